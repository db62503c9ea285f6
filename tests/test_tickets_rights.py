"""Who may act: outsiders, coordinating units and replayed buttons are refused and change nothing."""
from __future__ import annotations

import pytest

from bot.channels.base import ChannelName, ChatKind, Inbound
from bot.errors import InvalidTransition, NotAllowed, StaleAction
from bot.models import EventType, Official, ProcessedUpdate, TicketState
from bot.tickets import TRANSITIONS, Action, take_ticket
from bot.tickets.states import check_transition
from tests.core_helpers import Person, citizen, events, official, outbox, tickets

# Groups "nông dân" coordinate with Hội Nông dân; the text names a farmer's field problem.
FARM = "Tôi là nông dân ở xã Đầm Dơi, ruộng lúa bị nhiễm mặn nặng do cống bị hư, đề nghị hỗ trợ"


def _snapshot(rt):  # type: ignore[no-untyped-def]
    t = tickets(rt)[-1]
    return (t.state, t.version, t.lead_unit_id, t.taken_by_id, len(events(rt, t.id)))


def test_outsider_official_is_refused(runtime) -> None:  # type: ignore[no-untyped-def]
    rt = runtime
    dan = citizen(rt)
    dan.say(FARM)
    t = tickets(rt)[-1]
    outsider_unit = "so_y_te" if t.lead_unit_id != "so_y_te" else "so_tu_phap"
    stranger = official(rt, outsider_unit, "8001")
    before = _snapshot(rt)
    rows = stranger.press(f"t:{t.id}:take:{t.version}")
    assert "không thuộc đơn vị" in rows[0]["text"]
    for action in ("answer", "reject", "ask", "move"):
        assert "không thuộc đơn vị" in stranger.press(f"t:{t.id}:{action}:{t.version}")[0]["text"]
    assert _snapshot(rt) == before
    # someone never enrolled, pressing in a group
    nobody = Person(rt, "9002", "-500", kind=ChatKind.GROUP)
    assert "chưa đăng ký" in nobody.press(f"t:{t.id}:take:{t.version}")[0]["text"]
    assert _snapshot(rt) == before


def test_coordinating_unit_only_adds_opinions(runtime) -> None:  # type: ignore[no-untyped-def]
    rt = runtime
    dan = citizen(rt)
    dan.say(FARM)
    t = tickets(rt)[-1]
    if not t.coordinating_units:
        pytest.skip("the analysis found no coordinating unit for this text")
    coord = official(rt, t.coordinating_units[0], "8101", "Hội viên")
    lead = official(rt, t.lead_unit_id, "8102")
    before = _snapshot(rt)
    rows = coord.press(f"t:{t.id}:take:{t.version}")
    assert "chỉ có thể gửi ý kiến" in rows[0]["text"] and _snapshot(rt) == before
    coord.press(f"t:{t.id}:opinion:0")
    rows = coord.say("Hội đề nghị khảo sát thiệt hại cho bà con")
    assert "Đã ghi ý kiến" in coord.texts
    assert "ý kiến phối hợp" in outbox(rt, chat_id=lead.chat_id)[-2]["text"] or \
        "ý kiến phối hợp" in outbox(rt, chat_id=lead.chat_id)[-1]["text"]
    ev = events(rt, t.id)[-1]
    assert ev.type == EventType.OPINION_ADDED and ev.data["unit"] == t.coordinating_units[0]
    assert tickets(rt)[-1].state == TicketState.NEW  # an opinion changes no state
    # the lead unit may not add opinions (it answers)
    assert "Chỉ đơn vị phối hợp" in lead.press(f"t:{t.id}:opinion:0")[0]["text"]


def test_replayed_button_is_refused(runtime) -> None:  # type: ignore[no-untyped-def]
    rt = runtime
    dan = citizen(rt)
    dan.say(FARM)
    t = tickets(rt)[-1]
    cb = official(rt, t.lead_unit_id, "8201")
    cb.press(f"t:{t.id}:take:1")
    after_take = _snapshot(rt)
    rows = cb.press(f"t:{t.id}:take:1")  # double press / replay of the old card
    assert "Nút này đã cũ" in rows[0]["text"] and _snapshot(rt) == after_take
    rows = cb.press(f"t:{t.id}:answer:1")  # any action from the old card
    assert "Nút này đã cũ" in rows[0]["text"] and _snapshot(rt) == after_take
    # a step started on the current card, then the ticket moves on: the typed text is refused
    cb.press(f"t:{t.id}:answer:2")
    cb.press(f"t:{t.id}:reject:2")  # replaces the step; then finish the rejection
    cb.say("Trùng lặp")
    assert tickets(rt)[-1].state == TicketState.REJECTED
    assert "Nút này đã cũ" in cb.press(f"t:{t.id}:answer:2")[0]["text"]
    # forged/malformed data: ignored, nothing queued
    assert cb.press("t:abc:take:1") == [] and cb.press("x:1:take:1") == []


def test_redelivered_update_changes_nothing(runtime) -> None:  # type: ignore[no-untyped-def]
    rt = runtime
    dan = citizen(rt)
    inbound = Inbound(channel=ChannelName.TELEGRAM, delivery_id="telegram:777", chat_id=dan.chat_id,
                      chat_kind=ChatKind.PRIVATE, sender_id=dan.sender_id, text=FARM)
    first = rt.process_sync(inbound)
    rows_after_first = len(outbox(rt))
    second = rt.process_sync(inbound)
    assert not first.duplicate and second.duplicate
    assert len(tickets(rt)) == 1 and len(outbox(rt)) == rows_after_first
    with rt.session_factory() as s:
        assert s.get(ProcessedUpdate, "telegram:777") is not None


async def test_process_is_async_and_wakes_the_outbox(runtime) -> None:  # type: ignore[no-untyped-def]
    rt = runtime
    woken: list[int] = []
    rt.add_outbox_listener(lambda: woken.append(1))
    await rt.process(Inbound(channel=ChannelName.TELEGRAM, delivery_id="telegram:1", chat_id="42",
                             chat_kind=ChatKind.PRIVATE, sender_id="42", command="start", text="/start"))
    assert woken == [1] and "Xin chào" in outbox(rt)[-1]["text"]
    await rt.process(Inbound(channel=ChannelName.TELEGRAM, delivery_id="telegram:1", chat_id="42",
                             chat_kind=ChatKind.PRIVATE, sender_id="42", command="start", text="/start"))
    assert woken == [1]  # a duplicate wakes nothing


def test_transition_table_is_the_only_way(runtime) -> None:  # type: ignore[no-untyped-def]
    assert set(TRANSITIONS) == set(Action)
    with pytest.raises(InvalidTransition):
        check_transition(1, TicketState.CLOSED, Action.TAKE)
    assert check_transition(1, TicketState.REOPENED, Action.TAKE) == TicketState.IN_PROGRESS
    rt = runtime
    dan = citizen(rt)
    dan.say(FARM)
    t = tickets(rt)[-1]
    cb = official(rt, t.lead_unit_id, "8301")
    with rt.session_factory() as s, s.begin():
        me = s.query(Official).filter_by(platform_id="8301").one()
        with pytest.raises(StaleAction):
            take_ticket(s, rt.deps, t.id, official=me, version=t.version + 5)
        take_ticket(s, rt.deps, t.id, official=me, version=t.version)
        with pytest.raises(InvalidTransition):
            take_ticket(s, rt.deps, t.id, official=me, version=t.version + 1)
        other = s.query(Official).filter_by(platform_id="8301").one()
        other.active = False
        with pytest.raises(NotAllowed):
            take_ticket(s, rt.deps, t.id, official=other, version=t.version + 1)
    assert cb is not None


def test_two_officials_pressing_take_at_once_one_wins(runtime) -> None:  # type: ignore[no-untyped-def]
    """Row lock (PostgreSQL) / write lock (SQLite) + version: the second press is refused."""
    from concurrent.futures import ThreadPoolExecutor

    rt = runtime
    dan = citizen(rt)
    dan.say(FARM)
    t = tickets(rt)[-1]
    a, b = official(rt, t.lead_unit_id, "8401"), official(rt, t.lead_unit_id, "8402")
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda p: p.press(f"t:{t.id}:take:{t.version}"), [a, b]))
    texts = [rows[-1]["text"] for rows in results]
    assert sum("đã nhận xử lý phiếu" in x for x in texts) == 1 and sum("Nút này đã cũ" in x for x in texts) == 1
    assert [e.type for e in events(rt, t.id)].count(EventType.TAKEN) == 1
