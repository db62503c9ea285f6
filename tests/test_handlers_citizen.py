"""The citizen's side: consent, anonymity, bad input, daily limit, pickers, tracking, albums."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.models import Citizen, EventType, TicketState
from bot.runtime import Runtime
from tests.core_helpers import Person, citizen, events, group, official, outbox, tickets

ROAD = "Đường vào ấp 3 xã Đầm Dơi bị sạt lở nặng, xe không qua được"
FARM = "Tôi là nông dân ở xã Đầm Dơi, ruộng lúa bị nhiễm mặn nặng do cống bị hư, đề nghị hỗ trợ"


def test_start_explains_data_use_and_keeps_text_sent_before_consent(runtime) -> None:  # type: ignore[no-untyped-def]
    rt = runtime
    dan = Person(rt, "6001", "6001", name="Lê Thị Hoa")
    rows = dan.say("/start")
    assert "ngày" in rows[0]["text"] and "ẩn danh" in rows[0]["text"] and len(rows[0]["buttons"]) == 2
    rows = dan.say(ROAD)
    assert tickets(rt) == [] and "giữ lại" in dan.texts
    rows = dan.press(dan.button("Tôi đồng ý"))
    assert len(tickets(rt)) == 1 and "Mã phiếu" in dan.texts
    with rt.session_factory() as s:
        c = s.query(Citizen).one()
        assert c.consent_at == rt.clock.now() and c.anonymous is False and c.step == "idle"


def test_anonymous_citizen_is_hidden_from_every_card(runtime) -> None:  # type: ignore[no-untyped-def]
    rt = runtime
    probe = rt.analyzer(FARM)
    group(rt, probe.lead_unit, "-100")
    for unit in probe.coordinating_units:
        group(rt, unit, f"-{unit}")
    named = citizen(rt, "6101", "Phạm Văn Tên")
    named.say(FARM)
    anon = citizen(rt, "6102", "Trần Ẩn Danh", anonymous=True)
    anon.say(FARM + " (ẩn danh)")
    cards = [r for r in outbox(rt) if r["card_unit_id"]]
    lead_cards = [r for r in cards if r["card_role"] == "lead"]
    coord_cards = [r for r in cards if r["card_role"] == "coordinating"]
    named_id, anon_id = tickets(rt)[0].id, tickets(rt)[1].id
    assert any("Phạm Văn Tên" in r["text"] for r in lead_cards if r["ticket_id"] == named_id)
    assert all("Trần Ẩn Danh" not in r["text"] for r in cards)
    assert any("ẩn danh" in r["text"] for r in lead_cards if r["ticket_id"] == anon_id)
    assert all("Phạm Văn Tên" not in r["text"] and "Người gửi:" not in r["text"] for r in coord_cards)
    if probe.coordinating_units:
        assert coord_cards and all("ẩn" in r["text"] for r in coord_cards)
    assert events(rt, anon_id)[0].data["anonymous"] is True


@pytest.mark.parametrize("kind", ["sticker", "voice", "document", "video"])
def test_unsupported_content_gets_a_clear_answer(runtime, kind: str) -> None:  # type: ignore[no-untyped-def]
    dan = citizen(runtime)
    rows = dan.say("", unsupported=kind)
    assert "chưa xử lý được" in rows[0]["text"] and tickets(runtime) == []


def test_bad_text_inputs(runtime) -> None:  # type: ignore[no-untyped-def]
    rt = runtime
    dan = citizen(rt)
    assert "chưa có nội dung" in dan.say("   ")[0]["text"]
    assert "biểu tượng cảm xúc" in dan.say("😀😀🙏")[0]["text"]
    assert "quá dài" in dan.say("đường hư " * 600)[0]["text"]
    assert "tiếng Việt" in dan.say("Hello, the road near my house is broken and nobody fixes it")[0]["text"]
    assert tickets(rt) == []


def test_daily_limit_then_next_day(runtime) -> None:  # type: ignore[no-untyped-def]
    rt: Runtime = runtime
    rt.settings = replace(rt.settings, max_tickets_per_day=2)
    dan = citizen(rt)
    assert "Mã phiếu" in dan.say(ROAD)[0]["text"]
    assert "Mã phiếu" in dan.say(ROAD + " lần hai")[0]["text"]
    rows = dan.say(ROAD + " lần ba")
    assert "mức tối đa" in rows[0]["text"] and len(tickets(rt)) == 2
    rt.clock.advance(timedelta(days=1))
    assert "Mã phiếu" in dan.say(ROAD + " hôm sau")[0]["text"]


def test_low_confidence_asks_the_topic_and_reroutes(runtime) -> None:  # type: ignore[no-untyped-def]
    rt: Runtime = runtime
    real = rt.analyzer
    triage = rt.router.triage_unit
    # the real analysis of the text, made unsure: what the classifier says when it cannot tell
    rt.analyzer = lambda text: replace(real(text), confidence=0.1, needs_triage=True, lead_unit=triage)
    group(rt, triage, "-triage")
    dan = citizen(rt)
    dan.say(ROAD)
    t = tickets(rt)[-1]
    assert t.lead_unit_id == triage and t.needs_triage
    picker = dan.last[-1]
    labels = [row[0][0] for row in picker["buttons"]]
    assert labels[-1] == "Khác" and 2 <= len(labels) <= 4
    data = next(row[0][1] for row in picker["buttons"] if "Giao thông" in row[0][0]) \
        if any("Giao thông" in row[0][0] for row in picker["buttons"]) else picker["buttons"][0][0][1]
    rows = dan.press(data)
    t = tickets(rt)[-1]
    assert "đã được chuyển đến" in rows[0]["text"] and t.confidence == 1.0 and not t.needs_triage
    ev = events(rt, t.id)[-1]
    assert ev.type == EventType.TOPIC_SET and ev.data["from_unit"] == triage and ev.data["to_unit"] == t.lead_unit_id
    if t.lead_unit_id != triage:  # the triage card now says it moved and has no buttons
        last_triage_card = [r for r in outbox(rt, chat_id="-triage") if r["card_unit_id"]][-1]
        assert "Đã chuyển sang" in last_triage_card["text"] and last_triage_card["buttons"] == []
    assert "không còn hiệu lực" in dan.press(data)[0]["text"]  # picked twice


def test_ambiguous_old_place_asks_for_the_commune(runtime) -> None:  # type: ignore[no-untyped-def]
    rt = runtime
    dan = citizen(rt)
    dan.say("Tôi ở thị trấn Năm Căn cũ, đường trước chợ bị sạt lở nặng")
    t = tickets(rt)[-1]
    assert t.location_code is None and len(t.location_candidates) >= 2
    picker = [r for r in dan.last if "xã/phường" in r["text"]][0]
    rows = dan.press(dan.button(t.location_candidates[0]["name"], [picker]))
    t = tickets(rt)[-1]
    assert t.location_code == t.location_candidates[0]["code"] and "chuyển đến" in rows[0]["text"]
    assert events(rt, t.id)[-1].type == EventType.PLACE_SET


def test_urgent_gets_emergency_numbers_and_pings(runtime) -> None:  # type: ignore[no-untyped-def]
    rt = runtime
    text = "Cháy nhà ở phường Tân Thành, có người mắc kẹt bên trong, cứu với"
    probe = rt.analyzer(text)
    if not probe.urgent:
        pytest.skip("the model did not find this text urgent")
    official(rt, probe.lead_unit, "7701")
    official(rt, "cong_an_tinh", "7702") if probe.lead_unit != "cong_an_tinh" else None
    dan = citizen(rt)
    dan.say(text)
    code = tickets(rt)[-1].code
    (answer,) = [r["text"] for r in outbox(rt, chat_id=dan.chat_id) if code in r["text"]]
    assert answer.index("113") < answer.index(code) and "114" in answer and "115" in answer  # one message
    assert any("KHẨN" in r["text"] and not r["card_unit_id"] for r in outbox(rt, chat_id="7701"))
    assert any("KHẨN" in r["text"] for r in outbox(rt, chat_id="7702" if probe.lead_unit != "cong_an_tinh" else "7701"))


def test_tracking_and_my_tickets(runtime) -> None:  # type: ignore[no-untyped-def]
    rt = runtime
    dan = citizen(rt)
    dan.say(ROAD)
    code = tickets(rt)[-1].code
    rows = dan.say(f"/tracuu {code.lower().replace('-', '')}")
    assert code in rows[0]["text"] and "Tiếp nhận" in rows[0]["text"]
    other = citizen(rt, "6999", "Người khác")
    assert "Không tìm thấy" in other.say(f"/tracuu {code}")[0]["text"]
    rows = dan.press(dan.button("Phiếu của tôi", outbox(rt, chat_id=dan.chat_id)))
    assert code in rows[0]["text"]
    rows = dan.press(dan.button("Xem"))
    assert "Trạng thái: Chờ tiếp nhận" in rows[0]["text"]
    assert "không còn hiệu lực" in other.press(f"c:{tickets(rt)[-1].id}:rate:1:5")[0]["text"] or \
        "Không tìm thấy" in other.press(f"c:{tickets(rt)[-1].id}:rate:1:5")[0]["text"]


def test_album_photos_join_the_ticket_and_photo_first_waits_for_text(runtime) -> None:  # type: ignore[no-untyped-def]
    rt = runtime
    dan = citizen(rt)
    dan.say(ROAD, photos=("p1",))
    rows = dan.say("", photos=("p2",))
    t = tickets(rt)[-1]
    assert [a["file_id"] for a in t.attachments] == ["p1", "p2"] and t.code in rows[0]["text"]
    rt.clock.advance(timedelta(hours=1))
    rows = dan.say("", photos=("p3",), location=(9.0, 105.1))
    assert "nhắn thêm nội dung" in rows[0]["text"] and len(tickets(rt)) == 1
    dan.say("Cây đổ chắn ngang đường ở xã Đầm Dơi")
    t = tickets(rt)[-1]
    assert len(tickets(rt)) == 2 and t.attachments[0]["file_id"] == "p3" and t.latitude == 9.0
    assert t.state == TicketState.NEW
