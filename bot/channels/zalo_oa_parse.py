"""OA webhook events: the signature check and event -> `Inbound` (pure functions).

Signature (ZALO_APIS.md B): `X-ZEvent-Signature: mac=` + sha256_hex(app_id +
raw body + timestamp + OA secret key), with app_id and timestamp read from the
JSON body and the hash over the body bytes AS RECEIVED (re-serialising the
JSON would change them). The `mac=` prefix is only observed, so both forms
are accepted.
"""
from __future__ import annotations

import hashlib
import hmac
from typing import Any

from bot.channels.base import Attachment, ChannelName, ChatKind, GeoPoint, Inbound
from bot.channels.zalo_bot_parse import parse_command

__all__ = ["SIGNATURE_HEADER", "signature", "verify", "delivery_id", "user_of", "to_inbound", "USER_EVENTS"]

SIGNATURE_HEADER = "X-ZEvent-Signature"
USER_EVENTS = ("user_send_text", "user_send_image", "user_send_location", "user_send_file", "user_send_sticker",
               "user_send_gif", "user_send_audio", "user_send_video", "user_send_link", "user_send_business_card")
_UNSUPPORTED = {"user_send_file": "document", "user_send_sticker": "sticker", "user_send_gif": "animation",
                "user_send_audio": "voice", "user_send_video": "video", "user_send_business_card": "contact"}


def signature(app_id: str, raw: bytes, timestamp: str, secret_key: str) -> str:
    digest = hashlib.sha256(app_id.encode() + raw + timestamp.encode() + secret_key.encode()).hexdigest()
    return f"mac={digest}"


def verify(raw: bytes, body: dict[str, Any], header: str | None, secret_key: str) -> bool:
    if not header or not secret_key:
        return False
    expected = signature(str(body.get("app_id", "")), raw, str(body.get("timestamp", "")), secret_key)
    given = header.strip()
    if not given.startswith("mac="):
        given = f"mac={given}"
    return hmac.compare_digest(given.lower().encode(), expected.encode())


def user_of(body: dict[str, Any]) -> str:
    """The follower's id (as a string: the ids overflow a double)."""
    sender = body.get("sender") or body.get("follower") or {}
    return str(sender.get("id") or "")


def delivery_id(body: dict[str, Any]) -> str:
    """Stable per event, so a retried delivery is recognised."""
    message = body.get("message") or {}
    key = message.get("msg_id") or f"{body.get('event_name')}:{user_of(body)}:{body.get('timestamp')}"
    return f"{ChannelName.ZALO_OA.value}:{key}"[:96]


def _location(attachment: dict[str, Any]) -> GeoPoint | None:
    payload = attachment.get("payload") or {}
    coords = payload.get("coordinates") or payload
    lat = coords.get("latitude", coords.get("lat"))
    lon = coords.get("longitude", coords.get("long", coords.get("lng")))
    try:
        return GeoPoint(float(lat), float(lon))
    except (TypeError, ValueError):
        return None


def to_inbound(body: dict[str, Any]) -> Inbound | None:
    """An Inbound for a follower's message; None for follow/unfollow, the OA's own events, etc."""
    event = str(body.get("event_name", ""))
    user = user_of(body)
    if event not in USER_EVENTS or not user:
        return None
    message = body.get("message") or {}
    base: dict[str, Any] = dict(channel=ChannelName.ZALO_OA, delivery_id=delivery_id(body), chat_id=user,
                                chat_kind=ChatKind.PRIVATE, sender_id=user)
    text = str(message.get("text") or "")
    attachments = [a for a in message.get("attachments") or [] if isinstance(a, dict)]
    if event == "user_send_text":
        command, args = parse_command(text)
        return Inbound(**base, text=text, command=command, command_args=args)
    if event == "user_send_image":
        urls = [str((a.get("payload") or {}).get("url") or "") for a in attachments]
        return Inbound(**base, text=text, attachments=tuple(Attachment("photo", u) for u in urls if u))
    if event == "user_send_location":
        point = next((p for p in map(_location, attachments) if p is not None), None)
        return Inbound(**base, text=text if point is None else "", location=point)
    return Inbound(**base, unsupported=_UNSUPPORTED.get(event, "unsupported"))
