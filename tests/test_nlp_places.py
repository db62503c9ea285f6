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
        "",
    ],
)
def test_no_commune_named(text: str) -> None:
    assert default_gazetteer().find(text) is None
