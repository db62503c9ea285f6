"""Short codes people read aloud: ticket codes and enrolment codes.

The alphabet leaves out 0/O, 1/I/L (and U/V, easily confused on the phone), so
a code read over the phone or copied by hand comes out right.
"""
from __future__ import annotations

import secrets

__all__ = ["ALPHABET", "random_code", "ticket_code", "normalize_code", "normalize_ticket_code"]

ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
TICKET_PREFIX = "CM"


def random_code(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def ticket_code() -> str:
    """e.g. "CM-7K3P9X": 29^6 ≈ 600 million codes; uniqueness is checked by the caller."""
    return f"{TICKET_PREFIX}-{random_code(6)}"


def normalize_code(text: str) -> str:
    """An enrolment code as typed -> the stored form (case, spaces)."""
    return "".join(text.split()).upper()


def normalize_ticket_code(text: str) -> str:
    """A ticket code as typed -> "CM-XXXXXX" (case, spaces, a missing or odd dash)."""
    s = normalize_code(text).replace("_", "-")
    if s.startswith(TICKET_PREFIX) and not s.startswith(TICKET_PREFIX + "-") and len(s) == len(TICKET_PREFIX) + 6:
        s = f"{TICKET_PREFIX}-{s[len(TICKET_PREFIX):]}"
    return s
