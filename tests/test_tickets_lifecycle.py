"""The whole lifecycle through the handlers, with each action's audit row and outbox rows."""
from __future__ import annotations

from sqlalchemy import event, select

from bot.models import Citizen, EventType, Ticket, TicketState, Unit
from bot.tickets.filing import file_ticket
from scheduler.hooks import answer_due
from tests.core_helpers import citizen, events, group, in_group, official, outbox, tickets

ROAD = "Đường vào ấp 3 xã Đầm Dơi bị sạt lở nặng, xe không qua được, đề nghị sửa gấp"


def _file(rt, person, text=ROAD):  # type: ignore[no-untyped-def]
    rows = person.say(text)
    assert "Mã phiếu: CM-" in rows[0]["text"], rows
    return tickets(rt)[-1]


def test_file_take_ask_add_answer_rate(runtime) -> None:  # type: ignore[no-untyped-def]
    rt = runtime
    dan = citizen(rt)
    ticket = _file(rt, dan)
    lead = ticket.lead_unit_id
    assert ticket.code in dan.last[0]["text"] and ticket.state == TicketState.NEW
    assert "Hạn trả lời: 16/03/2026" in dan.last[0]["text"] or "Hạn trả lời: 17/03/2026" in dan.last[0]["text"]
    [filed] = events(rt, ticket.id)
    assert filed.type == EventType.FILED and filed.state_after == "new" and filed.data["analysis"]["lead_unit"] == lead

    cb = official(rt, lead, "7001", "Trần Cán Bộ")
    group(rt, lead, "-100")
    g = in_group(rt, cb, "-100")
    # a ticket filed now reaches the linked group as a card with the buttons
    before = outbox(rt)[-1]["id"]
    ticket = _file(rt, dan, ROAD + " (lần 2)")
    # the card (an urgent reading of the text may add a ping beside it)
    [card] = [r for r in outbox(rt, after=before) if r["chat_id"] == "-100" and r["card_unit_id"]]
    assert card["card_unit_id"] == lead and card["card_role"] == "lead"
    assert "Nguyễn Văn Dân" in card["text"] and ticket.code in card["text"]
    assert [b[0] for row in card["buttons"] for b in row][0] == "✋ Nhận xử lý"

    rows = g.press(g.button("Nhận xử lý", [card]))
    assert "đã nhận xử lý phiếu" in g.texts
    assert "đã nhận xử lý" in outbox(rt, chat_id=dan.chat_id)[-1]["text"]
    assert any(r["card_unit_id"] == lead for r in rows)  # the card is edited (new version, new buttons)
    t = tickets(rt)[-1]
    assert t.state == TicketState.IN_PROGRESS and t.version == 2
    assert events(rt, t.id)[-1].type == EventType.TAKEN

    g.press(g.button("Yêu cầu bổ sung"))
    g.say("Xin gửi ảnh hiện trường và số nhà gần nhất")
    notice = outbox(rt, chat_id=dan.chat_id)[-1]["text"]
    assert "bổ sung" in notice and "số nhà" in notice
    assert tickets(rt)[-1].state == TicketState.NEEDS_INFO

    rows = dan.say("Gần nhà số 12, ảnh đã gửi kèm", photos=("photo-1",))
    assert "Đã bổ sung" in rows[0]["text"]
    t = tickets(rt)[-1]
    assert t.state == TicketState.IN_PROGRESS and t.attachments[-1]["file_id"] == "photo-1"
    assert events(rt, t.id)[-1].data["text"].startswith("Gần nhà số 12")
    assert "người dân bổ sung" in outbox(rt, chat_id="-100")[-2]["text"]

    card = [r for r in outbox(rt, chat_id="-100") if r["card_unit_id"]][-1]
    g.press(g.button("Trả lời", [card]))
    g.say("Đã cử đội sửa chữa, dự kiến xong trong 5 ngày.")
    answer = outbox(rt, chat_id=dan.chat_id)[-1]
    assert "Đã cử đội sửa chữa" in answer["text"] and len(answer["buttons"][0]) == 5
    assert tickets(rt)[-1].state == TicketState.ANSWERED

    rows = dan.press(dan.button("5", [answer]))
    assert "5/5" in rows[0]["text"] and len(rows) == 1  # a good rating offers no reopening
    t = tickets(rt)[-1]
    assert t.state == TicketState.CLOSED and t.rating == 5
    kinds = [e.type for e in events(rt, t.id)]
    assert kinds == [EventType.FILED, EventType.TAKEN, EventType.INFO_REQUESTED, EventType.INFO_ADDED,
                     EventType.ANSWERED, EventType.RATED]


def test_low_rating_reopens_once(runtime) -> None:  # type: ignore[no-untyped-def]
    rt = runtime
    dan = citizen(rt)
    ticket = _file(rt, dan)
    cb = official(rt, ticket.lead_unit_id, "7001")
    cb.press(f"t:{ticket.id}:answer:1")
    cb.say("Đã xử lý xong.")
    answer = outbox(rt, chat_id=dan.chat_id)[-1]
    rows = dan.press(dan.button("2", [answer]))
    reopen = dan.button("mở lại", rows)
    dan.press(reopen)
    rows = dan.say("Đường vẫn còn sạt, chưa ai đến")
    assert "mở lại" in rows[0]["text"]
    t = tickets(rt)[-1]
    assert t.state == TicketState.REOPENED and t.reopened_count == 1
    assert t.due_at == answer_due(t.kind, rt.clock.now(), rt.settings.timezone)  # a fresh working-day deadline
    assert events(rt, t.id)[-1].data["reason"] == "Đường vẫn còn sạt, chưa ai đến"
    assert "mở lại" in outbox(rt, chat_id=cb.chat_id)[-2]["text"] or "mở lại" in outbox(rt, chat_id=cb.chat_id)[-1]["text"]
    # the reopen button replayed: refused, nothing changes
    rows = dan.press(reopen)
    assert "không còn hiệu lực" in rows[0]["text"]
    # answered again and rated low again: no second reopening
    cb.press(f"t:{t.id}:take:{t.version}")
    t = tickets(rt)[-1]
    cb.press(f"t:{t.id}:answer:{t.version}")
    cb.say("Đã xử lý lần hai.")
    answer = outbox(rt, chat_id=dan.chat_id)[-1]
    rows = dan.press(dan.button("1", [answer]))
    assert len(rows) == 1 and tickets(rt)[-1].state == TicketState.CLOSED
    t = tickets(rt)[-1]
    rows = dan.press(f"c:{t.id}:reopen:{t.version}")
    assert "một lần" in rows[0]["text"]
    assert tickets(rt)[-1].reopened_count == 1


def test_transfer_records_correction_and_moves_cards(runtime) -> None:  # type: ignore[no-untyped-def]
    rt = runtime
    dan = citizen(rt)
    ticket = _file(rt, dan)
    first = ticket.lead_unit_id
    group(rt, first, "-100")
    group(rt, "so_xay_dung", "-200")
    cb = official(rt, first, "7001")
    dan.say("Cống thoát nước ở phường Tân Thành bị nghẹt, nước tràn vào nhà dân")
    ticket = tickets(rt)[-1]
    lead = ticket.lead_unit_id
    if lead != first:  # the analysis routed elsewhere: enrol there too
        group(rt, lead, "-150")
        cb = official(rt, lead, "7002")
    target = "so_xay_dung" if lead != "so_xay_dung" else "so_nong_nghiep_moi_truong"
    picker = cb.press(f"t:{ticket.id}:move:{ticket.version}")
    with rt.session_factory() as s:
        short = s.get(Unit, target).short
    data = cb.button(short, picker)
    cb.press(data)
    rows = cb.say("Thuộc thẩm quyền của Sở")
    assert "Đã chuyển" in cb.texts
    t = tickets(rt)[-1]
    assert t.lead_unit_id == target and t.state == TicketState.NEW and t.taken_by_id is None
    moved = events(rt, t.id)[-1]
    assert moved.type == EventType.TRANSFERRED
    assert moved.data["from_unit"] == lead and moved.data["to_unit"] == target
    assert moved.data["reason"] == "Thuộc thẩm quyền của Sở" and moved.data["correction"] is True
    assert moved.data["category"] == t.category and moved.data["routed_unit"] == events(rt, t.id)[0].data["analysis"]["lead_unit"]
    assert "đã được chuyển" in outbox(rt, chat_id=dan.chat_id)[-1]["text"]
    if target == "so_xay_dung":
        new_card = [r for r in outbox(rt, chat_id="-200") if r["ticket_id"] == t.id][-1]
        assert new_card["card_role"] == "lead" and new_card["buttons"]
    # the old lead may no longer act
    rows = cb.press(f"t:{t.id}:take:{t.version}")
    assert "không thuộc đơn vị" in rows[0]["text"]
    assert tickets(rt)[-1].state == TicketState.NEW


def test_reject_tells_the_citizen_the_reason(runtime) -> None:  # type: ignore[no-untyped-def]
    rt = runtime
    dan = citizen(rt)
    ticket = _file(rt, dan)
    cb = official(rt, ticket.lead_unit_id, "7001")
    cb.press(f"t:{ticket.id}:reject:1")
    cb.say("Nội dung quảng cáo, không phải phản ánh")
    assert "quảng cáo" in outbox(rt, chat_id=dan.chat_id)[-1]["text"]
    t = tickets(rt)[-1]
    assert t.state == TicketState.REJECTED and events(rt, t.id)[-1].data["reason"].startswith("Nội dung")


def test_a_code_drawn_twice_is_drawn_again(runtime, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The INSERT skips a taken code (ON CONFLICT DO NOTHING) and the next draw is used: no lookup, no error."""
    rt = runtime
    dan = citizen(rt)
    first = _file(rt, dan)
    draws = iter([first.code, first.code, "CM-2345AB"])
    monkeypatch.setattr("bot.tickets.filing.ticket_code", lambda: next(draws))
    second = _file(rt, dan, ROAD + " (lần 2)")
    assert second.code == "CM-2345AB" and "CM-2345AB" in dan.last[0]["text"]
    assert [t.code for t in tickets(rt)] == [first.code, "CM-2345AB"]


def test_filed_ticket_is_a_whole_persistent_object(runtime) -> None:  # type: ignore[no-untyped-def]
    """`file_ticket` inserts the row by Core and keeps the object in the session: nothing is
    loaded back, the identity map has it, and a change in the same transaction is written."""
    rt = runtime
    citizen(rt).say("/start")
    statements: list[str] = []
    with rt.session_factory() as session, session.begin():
        person = session.scalar(select(Citizen))
        event.listen(session.connection(), "before_cursor_execute",
                     lambda conn, cursor, sql, *rest: statements.append(" ".join(sql.split())))
        ticket = file_ticket(session, rt.deps, citizen=person, text=ROAD, analysis=rt.analyzer(ROAD))
        assert session.get(Ticket, ticket.id) is ticket
        assert (ticket.taken_by_id, ticket.rating, ticket.closed_at, ticket.version) == (None, None, None, 1)
        after_insert = statements[[s.startswith("INSERT INTO tickets") for s in statements].index(True) + 1:]
        assert after_insert and not any("FROM tickets" in sql for sql in after_insert)  # nothing loaded back
        ticket.needs_triage = True
        session.flush()
        assert statements[-1].startswith("UPDATE tickets")
    [stored] = tickets(rt)
    assert stored.code == ticket.code and stored.needs_triage and stored.lead_unit_id == ticket.lead_unit_id
