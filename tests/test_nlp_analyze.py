"""analyze() on whatever citizens send: bad input never crashes and says what it was."""
from __future__ import annotations

import time

import pytest

from nlp import Category, analyze, default_analyzer
from nlp.pipeline import MAX_ANALYZED_CHARS


def test_a_fire_is_urgent_with_its_reason_and_place() -> None:
    a = analyze("Cháy nhà ở ấp 3 xã Tân Thuận, lửa đang lan qua mấy nhà bên cạnh, cứu với!!!")
    assert a.urgent and a.urgent_reason
    assert a.location and a.location.place and a.location.place.code == "32167"
    assert a.overseer == "mttq_tinh"


def test_the_top_three_are_ordered_probabilities() -> None:
    a = analyze("mất điện từ sáng tới giờ ở xã Khánh Lâm, điện lực không trả lời")
    probs = [p for _, p in a.top]
    assert len(a.top) == 3 and probs == sorted(probs, reverse=True)
    assert a.top[0] == (a.category, a.probability)
    assert 0.0 <= a.confidence <= 1.0


@pytest.mark.parametrize(("text", "note"), [("", "empty"), ("   \n ", "empty"), ("😡😡😡🙏", "no_text"),
                                             ("12345 !!!", "no_text")])
def test_nothing_to_read_goes_to_triage_as_khac(text: str, note: str) -> None:
    a = analyze(text)
    assert a.notes[:1] == (note,)
    assert a.category is Category.KHAC and a.needs_triage and not a.urgent


def test_another_language_is_noticed() -> None:
    a = analyze("Hello, I would like to report a broken street light near the market please")
    assert "foreign_language" in a.notes
    assert "foreign_language" not in analyze("duong o ap 3 bi hu nang qua xin xa cho sua").notes


def test_binary_garbage_is_read_as_text_without_crashing() -> None:
    garbage = bytes(range(256)).decode("latin-1") * 4
    a = analyze(garbage)
    assert a.category in set(Category)


def test_an_enormous_message_is_cut_for_analysis_and_stays_fast() -> None:
    default_analyzer()
    huge = "đường ở ấp 3 xã Đầm Dơi bị hư nặng, xe không đi được. " * 20_000
    started = time.perf_counter()
    a = analyze(huge)
    assert time.perf_counter() - started < 2.0
    assert "truncated" in a.notes and len(huge) > MAX_ANALYZED_CHARS
    assert a.location and a.location.place and a.location.place.code == "32152"
