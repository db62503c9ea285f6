"""Normalisation: diacritics, tone placement, teencode, emoji."""
from __future__ import annotations

import pytest

from nlp.normalize import age_stages, normalize, strip_diacritics


def test_strip_diacritics_handles_d_bar_and_every_tone() -> None:
    assert strip_diacritics("Đầm Dơi, Tạ An Khương, Hồ Thị Kỷ") == "Dam Doi, Ta An Khuong, Ho Thi Ky"


@pytest.mark.parametrize(
    ("old", "new"),
    [("hoà bình", "hòa bình"), ("thuỷ lợi", "thủy lợi"), ("khoẻ", "khỏe"), ("Toà án", "tòa án")],
)
def test_old_tone_placement_becomes_the_modern_one(old: str, new: str) -> None:
    assert normalize(old).text == new


def test_with_and_without_diacritics_meet_in_the_plain_view() -> None:
    assert normalize("Đường ở ấp 3 bị hư").plain == normalize("duong o ap 3 bi hu").plain


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ko dc j het", "không được gì het"),
        ("tui hổng biết", "tôi không biết"),
        ("sao dzậy mn", "sao vậy mọi người"),
        ("UBND xã ko giải quyết", "ủy ban nhân dân xã không giải quyết"),
        ("đóng BHYT r", "đóng bảo hiểm y tế rồi"),
    ],
)
def test_teencode_and_abbreviations_are_expanded(raw: str, expected: str) -> None:
    assert normalize(raw).text == expected


def test_words_that_look_like_teencode_but_are_vietnamese_stay() -> None:
    # "vay" (a loan), "hong" (broken), lower-case "ca" (fish) must not be rewritten.
    assert normalize("bi vay nang lai, xe hong, nuoi ca").plain == "bi vay nang lai xe hong nuoi ca"
    assert normalize("CA xã").text == "công an xã"


def test_thousands_are_not_mistaken_for_khong() -> None:
    assert normalize("thu 50k mỗi tháng").text == "thu 50 nghìn mỗi tháng"


def test_emoji_and_repeated_letters_are_dropped() -> None:
    doc = normalize("Đường hư quáaaaa 😡😡!!!")
    assert "😡" not in doc.text and "!" not in doc.text
    assert "aaa" not in doc.text


@pytest.mark.parametrize("raw", ["", "   ", "😡😡😡", "👍"])
def test_empty_and_emoji_only_give_no_text(raw: str) -> None:
    doc = normalize(raw)
    assert doc.text == "" and doc.letters == 0


@pytest.mark.parametrize(
    ("raw", "stages"),
    [
        ("Con tôi 6 tuổi bị hen suyễn", "tuoi_tre_em"),
        ("con toi 6 tuoi bi hen suyen", "tuoi_tre_em"),
        ("bé nhà tui mới 3 tháng tuổi", "tuoi_tre_em"),
        ("Em 19 tuổi, muốn học nghề", "tuoi_thanh_nien"),
        ("tôi 45 tuổi", "tuoi_trung_nien"),
        ("Tôi là cựu chiến binh, năm nay 74 tuổi", "tuoi_cao"),
        ("Tôi tên Nguyễn Văn Tám, sinh năm 1950", "tuoi_cao"),
        ("em đang học lớp 9", "tuoi_tre_em"),
        ("phúc khảo điểm thi lớp 10", "hoc_sinh_thpt"),
        ("ông 80 tuổi dắt cháu 5 tuổi", "tuoi_cao tuoi_tre_em"),
        ("đường ấp 3 hư 5 năm rồi", ""),
    ],
)
def test_stated_ages_become_the_taxonomys_life_stages(raw: str, stages: str) -> None:
    assert normalize(raw).ages == stages


def test_a_birth_year_is_counted_from_the_given_year() -> None:
    assert age_stages("sinh nam 2000", year=2026) == "tuoi_thanh_nien"
    assert age_stages("sinh nam 2000", year=2070) == "tuoi_cao"
