"""Plain messages between platforms and handlers.

Channel adapters (telegram, zalo, console) are the only code that knows a
platform. They turn an update into an `Inbound` and send an `Outbound`; the
handlers see nothing else, so adding a channel touches nothing else.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

__all__ = [
    "ChannelName", "ChatKind", "Attachment", "GeoPoint", "Button", "button_rows", "Inbound", "Outbound", "OutboundDocument",
    "DeliveryError", "RetryLater", "Undeliverable", "ChannelAdapter",
]


class ChannelName(StrEnum):
    TELEGRAM = "telegram"
    ZALO_BOT = "zalo_bot"
    ZALO_OA = "zalo_oa"
    CONSOLE = "console"


class ChatKind(StrEnum):
    PRIVATE = "private"
    GROUP = "group"


@dataclass(frozen=True, slots=True)
class Attachment:
    """A photo or file as the platform identifies it (no bytes in memory)."""

    kind: str  # "photo", "document", "voice", "sticker", "video", ...
    file_id: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class GeoPoint:
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button: `data` comes back as `Inbound.callback_data`."""

    text: str
    data: str


def button_rows(buttons: Sequence[Button], per_row: int) -> tuple[tuple[Button, ...], ...]:
    """`buttons` in order, `per_row` to a row (Telegram keyboards; numbered lines on Zalo)."""
    return tuple(tuple(buttons[i:i + per_row]) for i in range(0, len(buttons), per_row))


@dataclass(frozen=True, slots=True)
class Inbound:
    """One platform update, reduced to what handlers need.

    `delivery_id` is unique per platform update (e.g. "telegram:123456");
    it is recorded with the update's effects so a redelivery changes nothing.
    """

    channel: ChannelName
    delivery_id: str
    chat_id: str  # where to answer (a private chat or a group)
    chat_kind: ChatKind
    sender_id: str  # the platform's id of the person
    sender_name: str = ""
    text: str = ""
    command: str | None = None  # "start", "tracuu", ... without the slash
    command_args: tuple[str, ...] = ()
    callback_data: str | None = None  # set when a button was pressed
    callback_message_id: str | None = None
    attachments: tuple[Attachment, ...] = ()
    location: GeoPoint | None = None
    unsupported: str | None = None  # "sticker", "voice", ... content we cannot read


@dataclass(frozen=True, slots=True)
class OutboundDocument:
    """A local file to send with a message (a report's statistics workbook); `name` is what the reader sees."""

    path: str
    name: str


@dataclass(frozen=True, slots=True)
class Outbound:
    """One message to send: text and optional rows of buttons."""

    channel: ChannelName
    chat_id: str
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    photos: tuple[str, ...] = ()  # platform file ids to forward with the text
    edit_message_id: str | None = None  # edit a card in place instead of sending
    documents: tuple[OutboundDocument, ...] = ()  # local files sent before the text (Zalo: named in a text line)


class DeliveryError(Exception):
    """A send failed. The outbox sender decides from the subclass what to do."""

    def __init__(self, message: str, *, channel: ChannelName, chat_id: str) -> None:
        super().__init__(message)
        self.channel = channel
        self.chat_id = chat_id

    def __reduce__(self) -> tuple[object, ...]:
        """Pickle with the keyword fields too: the sender process sends these to the bot."""
        return _rebuild_error, (type(self), str(self), dict(self.__dict__))


def _rebuild_error(cls: type[DeliveryError], message: str, fields: dict[str, object]) -> DeliveryError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(fields)
    return error


class RetryLater(DeliveryError):
    """Temporary: rate limit, network, 5xx. Retry after `retry_after` seconds."""

    def __init__(self, message: str, *, channel: ChannelName, chat_id: str, retry_after: float) -> None:
        super().__init__(message, channel=channel, chat_id=chat_id)
        self.retry_after = retry_after


class Undeliverable(DeliveryError):
    """Permanent: the chat is gone, the bot was blocked. Retrying cannot help."""


class ChannelAdapter(Protocol):
    """What the outbox sender needs from a channel: send one message."""

    name: ChannelName

    async def send(self, message: Outbound) -> str | None:
        """Deliver `message`; return the platform's message id (to edit a card later).

        Raises RetryLater or Undeliverable; never swallows a failure.
        """
        ...
