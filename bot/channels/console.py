"""The local chat in the terminal: the same handlers and database, no platform.

The user talks as a citizen and can take the seat of an official of any unit
(`/ngoi UNIT_ID`, back with `/dan`). Every unit gets a console "group" linked
at start, so cards land where an official would see them; the outbox is
delivered by `ConsoleAdapter`, which prints. Buttons are numbered; typing the
number presses the latest one shown in the current seat's chats.
"""
from __future__ import annotations

import asyncio
import itertools
import sys
import uuid
from dataclasses import dataclass
from typing import TextIO

from sqlalchemy import select

from bot.channels.base import Button, ChannelName, ChatKind, Inbound, Outbound
from bot.enrolment import create_code
from bot.models import CodePurpose, GroupLink, Official, Unit
from bot.outbox import OutboxSender
from bot.runtime import Runtime
from handlers import texts_console as tx

__all__ = ["ConsoleAdapter", "ConsoleSession", "run_console", "CITIZEN_ID"]

CITIZEN_ID = "dan"
GROUP_PREFIX = "nhom-"
OFFICIAL_PREFIX = "cb-"


class ConsoleAdapter:
    """Prints each message with its recipient; remembers the buttons per chat."""

    name = ChannelName.CONSOLE

    def __init__(self, out: TextIO, unit_names: dict[str, str]) -> None:
        self.out = out
        self.unit_names = unit_names
        self.buttons: dict[str, list[Button]] = {}
        self.latest_chat_with_buttons: list[str] = []
        self._ids = itertools.count(1)

    def _label(self, chat_id: str) -> str:
        if chat_id == CITIZEN_ID:
            return tx.TO_CITIZEN
        if chat_id.startswith(GROUP_PREFIX):
            unit = chat_id[len(GROUP_PREFIX):]
            return tx.TO_GROUP.format(unit=self.unit_names.get(unit, unit))
        return tx.TO_PRIVATE.format(who=chat_id)

    async def send(self, message: Outbound) -> str | None:
        edited = tx.EDITED if message.edit_message_id else ""
        lines = [f"{self._label(message.chat_id)}{edited}", message.text]
        lines += [tx.DOCUMENT.format(name=d.name, path=d.path) for d in message.documents]
        flat = [b for row in message.buttons for b in row]
        lines += [f"   [{i}] {b.text}" for i, b in enumerate(flat, 1)]
        self.out.write("\n".join(lines) + "\n\n")
        self.out.flush()
        if flat:
            self.buttons[message.chat_id] = flat
            if message.chat_id in self.latest_chat_with_buttons:
                self.latest_chat_with_buttons.remove(message.chat_id)
            self.latest_chat_with_buttons.append(message.chat_id)
        return message.edit_message_id or str(next(self._ids))


@dataclass
class Seat:
    sender_id: str
    chat_id: str
    chat_kind: ChatKind
    name: str
    chats: tuple[str, ...]


class ConsoleSession:
    """One terminal user: a seat, a line in, the resulting messages printed."""

    def __init__(self, runtime: Runtime, out: TextIO) -> None:
        self.rt = runtime
        self.out = out
        with runtime.session_factory() as session:
            self.units = {u.id: u.short for u in session.scalars(select(Unit).where(Unit.active.is_(True)))}
        self.adapter = ConsoleAdapter(out, self.units)
        self.sender = OutboxSender(runtime, {ChannelName.CONSOLE: self.adapter})
        self.seat = self._citizen_seat()
        self._link_all_units()

    def _citizen_seat(self) -> Seat:
        return Seat(CITIZEN_ID, CITIZEN_ID, ChatKind.PRIVATE, tx.CITIZEN_NAME, (CITIZEN_ID,))

    def _link_all_units(self) -> None:
        """Every unit's console group exists from the start, so no card is lost."""
        now = self.rt.clock.now()
        with self.rt.session_factory() as session, session.begin():
            linked = set(session.scalars(select(GroupLink.unit_id).where(GroupLink.channel == ChannelName.CONSOLE.value)))
            for unit_id in self.units:
                if unit_id not in linked:
                    session.add(GroupLink(channel=ChannelName.CONSOLE.value, chat_id=GROUP_PREFIX + unit_id,
                                          unit_id=unit_id, active=True, linked_at=now))

    def _print(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    async def _process(self, seat: Seat, **kw: object) -> None:
        inbound = Inbound(channel=ChannelName.CONSOLE, delivery_id=f"console:{uuid.uuid4().hex}",
                          chat_id=kw.pop("chat_id", seat.chat_id), chat_kind=kw.pop("chat_kind", seat.chat_kind),  # type: ignore[arg-type]
                          sender_id=seat.sender_id, sender_name=seat.name, **kw)  # type: ignore[arg-type]
        await self.rt.process(inbound)
        await self.sender.drain()

    async def _take_seat(self, unit_id: str) -> None:
        if unit_id not in self.units:
            self._print(tx.UNKNOWN_UNIT.format(unit=unit_id))
            return
        sender = OFFICIAL_PREFIX + unit_id
        seat = Seat(sender, GROUP_PREFIX + unit_id, ChatKind.GROUP, tx.OFFICIAL_NAME.format(unit=self.units[unit_id]),
                    (GROUP_PREFIX + unit_id, sender))
        with self.rt.session_factory() as session:
            enrolled = session.scalar(select(Official).where(
                Official.channel == ChannelName.CONSOLE.value, Official.platform_id == sender,
                Official.unit_id == unit_id, Official.active.is_(True)))
        if enrolled is None:  # the real enrolment path: an invite code sent with /start
            code = create_code(self.rt.session_factory, CodePurpose.OFFICIAL_INVITE, unit_id, self.rt.clock)
            await self._process(seat, chat_id=sender, chat_kind=ChatKind.PRIVATE, text=f"/start {code}",
                                command="start", command_args=(code,))
        self.seat = seat
        self._print(tx.SEAT_OFFICIAL.format(unit=self.units[unit_id]))

    def _list_units(self, word: str) -> None:
        for unit_id, short in sorted(self.units.items()):
            if not word or word.lower() in unit_id or word.lower() in short.lower():
                self._print(tx.UNIT_LINE.format(id=unit_id, short=short))

    async def _press(self, n: int) -> None:
        for chat_id in reversed(self.adapter.latest_chat_with_buttons):
            if chat_id in self.seat.chats:
                buttons = self.adapter.buttons[chat_id]
                if 1 <= n <= len(buttons):
                    kind = ChatKind.GROUP if chat_id.startswith(GROUP_PREFIX) else ChatKind.PRIVATE
                    await self._process(self.seat, chat_id=chat_id, chat_kind=kind, callback_data=buttons[n - 1].data)
                    return
                break
        self._print(tx.NO_BUTTON.format(n=n))

    async def handle_line(self, line: str) -> bool:
        """One line typed by the user; False when the session ends."""
        text = line.strip()
        head, _, rest = text.partition(" ")
        if head in ("/thoat", "/quit", "/exit"):
            self._print(tx.BYE)
            return False
        if head == "/giup":
            self._print(tx.WELCOME)
        elif head == "/dan":
            self.seat = self._citizen_seat()
            self._print(tx.SEAT_CITIZEN)
        elif head == "/ngoi":
            await self._take_seat(rest.strip())
        elif head == "/donvi":
            self._list_units(rest.strip())
        elif text.isdigit() and len(text) <= 2:
            await self._press(int(text))
        else:
            command, args = None, ()
            if text.startswith("/"):
                command, args = head[1:].lower(), tuple(rest.split())
            await self._process(self.seat, text=text, command=command, command_args=args)
        return True


async def run_console(runtime: Runtime, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    session = ConsoleSession(runtime, stdout)
    stdout.write(tx.WELCOME + "\n\n")
    await session.sender.drain()  # whatever an earlier run left in the outbox
    while True:
        stdout.write("> ")
        stdout.flush()
        line = await asyncio.to_thread(stdin.readline)
        if not line:
            return 0
        if not await session.handle_line(line):
            return 0
