"""Vietnamese texts the Zalo channels add (Zalo has no inline buttons, no message edits)."""
from __future__ import annotations

__all__ = ["CHOICES_HEADER", "choice_line", "photos_not_shown"]

# Buttons become numbered lines under the message; the person sends the number back.
CHOICES_HEADER = "Trả lời bằng một con số để chọn:"


def choice_line(number: int, label: str) -> str:
    return f"{number}. {label}"


# Photos of another channel cannot be forwarded to Zalo (Zalo needs a public link).
def photos_not_shown(count: int) -> str:
    return f"(Kèm {count} ảnh, xem trên hệ thống.)"



# Files (a report's statistics workbook) cannot be sent through Zalo's bot APIs here: named instead.
def documents_not_sent(names: list[str]) -> str:
    return f"(Tệp đính kèm: {', '.join(names)} — Zalo không gửi được tệp qua bot; xem trên hệ thống.)"
