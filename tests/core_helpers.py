"""Helpers for the core tests: people who talk to the runtime, and reads of the outbox."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from bot.channels.base import Attachment, ChannelName, ChatKind, GeoPoint, Inbound
from bot.enrolment import create_code
from bot.models import CodePurpose, Outbox, Ticket, TicketEvent
from bot.runtime import Runtime

_ids = itertools.count(1)


def parse_command(text: str) -> tuple[str | None, tuple[str, ...]]:
    if not text.startswith("/"):
        return None, ()
    head, *args = text.split()
    return head[1:].split("@")[0].lower(), tuple(args)


@dataclass
class Person:
    """Someone in one chat. `say` and `press` return the rows queued for this chat by that update."""

    rt: Runtime
    sender_id: str
    chat_id: str
    kind: ChatKind = ChatKind.PRIVATE
    name: str = ""
    channel: ChannelName = ChannelName.TELEGRAM
    last: list[dict[str, Any]] = field(default_factory=list)

    def _send(self, **kw: Any) -> list[dict[str, Any]]:
        before = max_outbox_id(self.rt)
        delivery = kw.pop("delivery_id", None) or f"test:{next(_ids)}"
        inbound = Inbound(channel=self.channel, delivery_id=delivery, chat_id=self.chat_id, chat_kind=self.kind,
                          sender_id=self.sender_id, sender_name=self.name, **kw)
        self.rt.process_sync(inbound)
        self.last = [r for r in outbox(self.rt, after=before) if r["chat_id"] == self.chat_id]
        return self.last

    def say(self, text: str = "", *, photos: tuple[str, ...] = (), location: tuple[float, float] | None = None,
            unsupported: str | None = None, delivery_id: str | None = None) -> list[dict[str, Any]]:
        command, args = parse_command(text)
        return self._send(text=text, command=command, command_args=args, delivery_id=delivery_id,
                          attachments=tuple(Attachment("photo", p) for p in photos),
                          location=GeoPoint(*location) if location else None, unsupported=unsupported)

    def press(self, data: str, *, delivery_id: str | None = None) -> list[dict[str, Any]]:
        return self._send(callback_data=data, delivery_id=delivery_id)

    def button(self, label_part: str, rows: list[dict[str, Any]] | None = None) -> str:
        """The data of the button whose label contains `label_part` in the latest messages."""
        for row in reversed(rows if rows is not None else self.last):
            for line in row["buttons"]:
                for text, data in line:
                    if label_part in text:
                        return data
        raise AssertionError(f"no button {label_part!r} in {rows if rows is not None else self.last}")

    @property
    def texts(self) -> str:
        return "\n---\n".join(r["text"] for r in self.last)


def max_outbox_id(rt: Runtime) -> int:
    with rt.session_factory() as s:
        return s.scalar(select(Outbox.id).order_by(Outbox.id.desc()).limit(1)) or 0


def outbox(rt: Runtime, *, after: int = 0, chat_id: str | None = None) -> list[dict[str, Any]]:
    with rt.session_factory() as s:
        q = select(Outbox).where(Outbox.id > after).order_by(Outbox.id)
        if chat_id is not None:
            q = q.where(Outbox.chat_id == chat_id)
        return [{"id": r.id, "chat_id": r.chat_id, "text": r.payload["text"], "buttons": r.payload["buttons"],
                 "ticket_id": r.ticket_id, "card_unit_id": r.card_unit_id, "card_role": r.card_role,
                 "status": r.status.value} for r in s.scalars(q)]


def tickets(rt: Runtime) -> list[Ticket]:
    with rt.session_factory() as s:
        return list(s.scalars(select(Ticket).order_by(Ticket.id)))


def events(rt: Runtime, ticket_id: int) -> list[TicketEvent]:
    with rt.session_factory() as s:
        return list(s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)))


def citizen(rt: Runtime, uid: str = "5001", name: str = "Nguyễn Văn Dân", *, consent: bool = True,
            anonymous: bool = False) -> Person:
    p = Person(rt, uid, uid, name=name)
    if consent:
        p.say("/start")
        p.press(p.button("ẩn danh" if anonymous else "Tôi đồng ý"))
    return p


def official(rt: Runtime, unit_id: str, uid: str, name: str = "Cán bộ") -> Person:
    code = create_code(rt.session_factory, CodePurpose.OFFICIAL_INVITE, unit_id, rt.clock)
    p = Person(rt, uid, uid, name=name)
    rows = p.say(f"/start {code}")
    assert "thành công" in rows[0]["text"], rows
    return p


def group(rt: Runtime, unit_id: str, chat_id: str, admin_uid: str = "9999") -> None:
    code = create_code(rt.session_factory, CodePurpose.GROUP_LINK, unit_id, rt.clock)
    rows = Person(rt, admin_uid, chat_id, kind=ChatKind.GROUP).say(f"/lienket {code}")
    assert "Đã liên kết" in rows[0]["text"], rows


def in_group(rt: Runtime, person: Person, chat_id: str) -> Person:
    """The same official, speaking in a group chat."""
    return Person(rt, person.sender_id, chat_id, kind=ChatKind.GROUP, name=person.name)
