"""/nopbaocao: an official submits a reporting duty's file (or its document number) through the bot.

The conversation is a named step on the Official row ("awaiting_report", with
the chosen obligation in step_data), like every other official follow-up: a
restart between the two messages loses nothing. Steps:

1. `/nopbaocao` — no open duty: said so; one: wait for it; several: one button each
   ("r:<obligation id>"). `/nopbaocao N` picks the N-th; `/nopbaocao N SỐ-VB` (or, with
   one open duty, `/nopbaocao SỐ-VB`) submits the document number at once. A file sent
   with the caption `/nopbaocao [N]` is submitted at once.
2. In the step: a document is the report file; plain text is the document number;
   /huy cancels.

`scheduler.obligations.submit` records it (late when after the deadline), stops the
unit's reminders and tells Home Affairs in this same transaction; the file itself is
downloaded after the commit by scheduler.report_files (the platform's file id is kept).
"""
from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from bot.channels.base import Attachment, Button
from bot.models import Official
from bot.tickets.cards import format_date, format_time, unit_name
from handlers import texts_reports as tr
from handlers.context import Ctx, Replies
from scheduler.models import Obligation
from scheduler.obligations import open_duties, submit

__all__ = ["COMMAND", "PREFIX", "AWAITING_REPORT", "wants", "handle_message", "handle_callback"]

log = logging.getLogger(__name__)
COMMAND = "nopbaocao"
PREFIX = "r:"  # button data "r:<obligation id>"
AWAITING_REPORT = "awaiting_report"
IDLE = "idle"


def _caption_command(ctx: Ctx) -> tuple[str, ...] | None:
    """A file's caption is plain text to the adapters: "/nopbaocao 2" -> ("2",)."""
    head, *args = (ctx.inbound.text or "").split() or [""]
    return tuple(args) if head.split("@")[0].lower() == "/" + COMMAND else None


def wants(ctx: Ctx, official: Official | None) -> bool:
    """Is this message part of a submission (the command, a captioned file, or the awaited reply)?"""
    if official is None:
        return False
    return (ctx.inbound.command == COMMAND or official.step == AWAITING_REPORT
            or (bool(_document(ctx)) and _caption_command(ctx) is not None))


def _document(ctx: Ctx) -> Attachment | None:
    return next((a for a in ctx.inbound.attachments if a.kind == "document"), None)


def _wait(ctx: Ctx, official: Official, duty: Obligation) -> Replies:
    official.step, official.step_data = AWAITING_REPORT, {"obligation_id": duty.id}
    return [ctx.reply(tr.SUBMIT_WAIT_FILE.format(title=duty.title, period=duty.period))]


def _record(ctx: Ctx, official: Official, duty: Obligation, *, doc_number: str | None = None,
            file: Attachment | None = None) -> Replies:
    session, now = ctx.session, ctx.deps.clock.now()
    row = submit(session, duty, official=official, channel=ctx.inbound.channel.value, now=now,
                 file_id=file.file_id if file else None, file_name=(file.name or None) if file else None,
                 doc_number=doc_number)
    official.step, official.step_data = IDLE, {}
    log.info("report submitted obligation=%s unit=%s official=%s late=%s file=%s doc=%s", duty.id, duty.unit_id,
             official.id, row.late, bool(file), doc_number)
    fields = {"title": duty.title, "period": duty.period, "unit": unit_name(session, duty.unit_id),
              "at": format_time(now), "due": format_date(duty.due_at)}
    return [ctx.reply((tr.SUBMIT_OK_LATE if row.late else tr.SUBMIT_OK).format(**fields))]


def _items(duties: list[Obligation]) -> str:
    return "\n".join(tr.SUBMIT_ITEM.format(n=i, title=d.title, period=d.period, due=format_date(d.due_at))
                     for i, d in enumerate(duties, 1))


def _start(ctx: Ctx, official: Official, args: tuple[str, ...]) -> Replies:
    duties = open_duties(ctx.session, official.unit_id)
    unit = unit_name(ctx.session, official.unit_id)
    if not duties:
        official.step, official.step_data = IDLE, {}
        return [ctx.reply(tr.SUBMIT_NOTHING_OPEN.format(unit=unit))]
    file = _document(ctx)
    chosen: Obligation | None = None
    rest = args
    if args and args[0].isdigit():
        index = int(args[0])
        if not 1 <= index <= len(duties):
            return [ctx.reply(tr.SUBMIT_BAD_NUMBER)]
        chosen, rest = duties[index - 1], args[1:]
    elif len(duties) == 1:
        chosen = duties[0]
    if chosen is None:
        if file is not None or args:  # a file or a number without saying for which duty
            return [ctx.reply(tr.SUBMIT_ASK.format(unit=unit, items=_items(duties)))]
        buttons = tuple((Button(tr.SUBMIT_BUTTON.format(n=i, title=d.title, period=d.period)[:60],
                                f"{PREFIX}{d.id}"),) for i, d in enumerate(duties, 1))
        return [ctx.reply(tr.SUBMIT_PICK.format(unit=unit, items=_items(duties)), buttons)]
    if file is not None:
        return _record(ctx, official, chosen, file=file)
    if rest:
        return _record(ctx, official, chosen, doc_number=" ".join(rest)[:64])
    return _wait(ctx, official, chosen)


def _step(ctx: Ctx, official: Official) -> Replies:
    inbound = ctx.inbound
    if inbound.command == "huy":
        official.step, official.step_data = IDLE, {}
        return [ctx.reply(tr.SUBMIT_CANCELLED)]
    duty = ctx.session.get(Obligation, int(official.step_data.get("obligation_id", 0)))
    if duty is None or duty.unit_id != official.unit_id:
        official.step, official.step_data = IDLE, {}
        return [ctx.reply(tr.SUBMIT_BAD_NUMBER)]
    file = _document(ctx)
    if file is not None:
        return _record(ctx, official, duty, file=file)
    text = (inbound.text or "").strip()
    if not text or inbound.command or inbound.attachments:
        return [ctx.reply(tr.SUBMIT_EMPTY)]
    return _record(ctx, official, duty, doc_number=text[:64])


def handle_message(ctx: Ctx, official: Official) -> Replies:
    if ctx.inbound.command == COMMAND:
        return _start(ctx, official, ctx.inbound.command_args)
    caption = _caption_command(ctx)
    if caption is not None and _document(ctx) is not None:
        return _start(ctx, official, caption)
    return _step(ctx, official)


def handle_callback(ctx: Ctx, official: Official | None) -> Replies:
    """A press on one of the duty buttons: wait for that duty's file or number."""
    if official is None:
        return [ctx.reply(tr.SUBMIT_NOT_OFFICIAL)]
    raw = (ctx.inbound.callback_data or "").removeprefix(PREFIX)
    duty = _duty(ctx.session, raw)
    if duty is None:
        return [ctx.reply(tr.SUBMIT_BAD_NUMBER)]
    if duty.unit_id != official.unit_id:
        return [ctx.reply(tr.SUBMIT_NOT_YOURS)]
    return _wait(ctx, official, duty)


def _duty(session: Session, raw: str) -> Obligation | None:
    return session.get(Obligation, int(raw)) if raw.isdigit() else None

