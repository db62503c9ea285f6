"""Place resolution: new names, old names, ambiguous old names, no diacritics."""
from __future__ import annotations

import pytest

from nlp.places import default_gazetteer

DAM_DOI_DISTRICT = ["32152", "32155", "32161", "32167", "32182", "32185", "32188"]
CA_MAU_CITY = ["32002", "32014", "32025", "32041"]


def code(text: str) -> str | None:
    loc = default_gazetteer().find(text)
    return loc.place.code if loc and loc.place else None


def candidates(text: str) -> list[str]:
    loc = default_gazetteer().find(text)
    assert loc is not None and loc.place is None, loc
    return [p.code for p in loc.candidates]


def test_the_gazetteer_holds_the_64_units_of_today() -> None:
    places = default_gazetteer().all()
    assert len(places) == 64
    assert sum(p.name.startswith("Phường") for p in places) == 9


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Đường ở xã Đầm Dơi bị hư", "32152"),
        ("P. An Xuyên ngập nước", "32002"),
        ("phuong an xuyen ngap", "32002"),
        ("xa tan thuan", "32167"),
        ("X.Tân Thuận", "32167"),
        ("tôi ở Sông Đốc", "32098"),
        ("toi o song doc", "32098"),
        ("xã Hồ Thị Kỷ", "32092"),
    ],
)
def test_current_units_in_every_spelling(text: str, expected: str) -> None:
    assert code(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ấp Tân Long xã Tạ An Khương Nam", "32155"),  # old commune merged whole
        ("thị trấn Đầm Dơi", "32152"),
        ("tt Dam Doi", "32152"),
        ("phường 5 TP Cà Mau", "32025"),  # old ward narrowed by its old city
        ("P5 tp ca mau", "32025"),
        ("Phường 1 Bạc Liêu", "31825"),
        ("ap 4 xa Khanh Binh Tay huyen Tran Van Thoi", "32104"),
    ],
)
def test_old_names_resolve_to_the_unit_that_took_them_over(text: str, expected: str) -> None:
    assert code(text) == expected


def test_an_old_district_alone_gives_its_candidates() -> None:
    assert candidates("nhà tôi ở huyện Đầm Dơi") == DAM_DOI_DISTRICT
    assert candidates("TP Cà Mau ngập nặng") == CA_MAU_CITY
    assert candidates("thi xa Gia Rai") == ["31942", "31951", "31957"]


def test_an_old_name_in_two_old_cities_gives_both() -> None:
    assert candidates("Phường 5 ngập quá") == ["31834", "32025"]


def test_a_split_old_ward_gives_its_parts() -> None:
    assert candidates("phuong 6 tp ca mau") == ["32025", "32041"]


def test_a_commune_inside_an_old_district_narrows_it() -> None:
    assert code("huyện Đầm Dơi, xã Tân Thuận") == "32167"


@pytest.mark.parametrize(
    "text",
    [
        "hòa bình thế giới",  # a common phrase, not xã Hòa Bình
        "đất mới khai hoang",  # not xã Đất Mới
        "dân Cà Mau mình",  # the province
        "ở Bạc Liêu",  # the old province
        "đường ấp 3 bị hư",  # a hamlet only
        "về nhà mắt lờ đờ",  # "nhà mắt" is not Nhà Mát, though "ve nha mat" would be
        "cháy trong rừng U Minh Hạ",  # the forest, not xã U Minh
        "thằng nhỏ tên Thanh Tùng bị lạc",  # a person, not xã Thanh Tùng
        "sáp nhập phường năm 2025 rồi",  # a year, not phường 5
        "",
    ],
)
def test_no_commune_named(text: str) -> None:
    assert default_gazetteer().find(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # written with marks, the marks choose: old xã Tân Thành (TP Cà Mau), not xã Tân Thạnh (Giá Rai)
        ("khu chợ đêm xã Tân Thành cũ mất trộm hoài", "32025"),
        ("ông Năm ở xã Tân Thạnh cũ lấn đất", "31957"),
        # "B" is teencode for "bạn" in messages; the name keeps it
        ("lúa nhà em ở Phong Thanh Tay B bị hạn", "31885"),
        ("trường THCS Phong Thạnh Tây B thu tiền", "31885"),
        # an old district narrows only the old commune written next to it
        ("Kính gửi UBND xã Phước Long. Tôi ngụ ấp Phước Thuận, xã Vĩnh Phú Đông, huyện Phước Long cũ.", "31867"),
        ("Kính gửi UBND xã Khánh Lâm. Tôi ngụ ấp 10 (trước là xã Khánh Hội, huyện U Minh).", "32062"),
        # spelled-out ward numbers
        ("cây dầu bên đường Ngô Quyền phường chín TP Cà Mau sắp ngã", "32002"),
        # landmarks known by another name
        ("khu du lịch Mũi Cà Mau chặt chém", "32248"),
        ("nhà máy nước đá ở vàm Cái Đôi", "32212"),
        # a bare name shared by an old district and today's unit is today's unit
        ("Điện lực Giá Rai ghi sai chỉ số", "31942"),
    ],
)
def test_spelling_and_neighbours_choose_the_reading(text: str, expected: str) -> None:
    assert code(text) == expected


def test_cu_after_a_name_means_the_old_unit() -> None:
    # xã Tân Ân today (32236) is not the old xã Tân Ân, split into Phan Ngọc Hiển and Đất Mũi
    assert candidates("sạt lở ở xã Tân Ân cũ") == ["32244", "32248"]
    assert code("sạt lở ở xã Tân Ân") == "32236"
