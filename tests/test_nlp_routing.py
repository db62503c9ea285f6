"""Routing from config: commune first, then province, then triage."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from nlp.labels import Category, Group, Kind
from nlp.routing import Router, RoutingConfigError, config_dir, default_router, load_units


def test_every_routed_unit_exists_and_every_commune_has_a_committee() -> None:
    units = load_units()
    assert sum(u["kind"] == "ubnd_xa" for u in units) == 64
    router = default_router()
    assert router.overseer == "mttq_tinh"
    assert set(router.categories) == set(Category)


def test_a_local_matter_in_a_known_commune_goes_to_its_peoples_committee() -> None:
    route = default_router().route(category=Category.GIAO_THONG_XAY_DUNG, commune="32152")
    assert (route.lead_unit, route.reason) == ("ubnd_32152", "commune")


def test_without_a_commune_the_provincial_unit_leads() -> None:
    assert default_router().route(category=Category.GIAO_THONG_XAY_DUNG).lead_unit == "so_xay_dung"


def test_corruption_is_never_sent_back_to_the_commune() -> None:
    route = default_router().route(category=Category.CAN_BO_THAM_NHUNG, commune="32152")
    assert route.lead_unit == "thanh_tra_tinh"


def test_groups_and_kind_add_coordinating_units_once() -> None:
    route = default_router().route(
        category=Category.LAO_DONG_VIEC_LAM,
        groups=[Group.CONG_NHAN, Group.TRE_EM],
        kind=Kind.KHIEU_NAI_TO_CAO,
    )
    assert route.coordinating_units == ("ldld_tinh", "hoi_lhpn", "tinh_doan", "thanh_tra_tinh")
    assert route.overseer == "mttq_tinh"


def test_low_confidence_goes_to_triage() -> None:
    route = default_router().route(category=Category.Y_TE, confidence=0.1)
    assert (route.lead_unit, route.reason) == ("vp_ubnd_tinh", "triage")


def _write(tmp_path: Path, change: dict) -> Path:
    raw = yaml.safe_load((config_dir() / "routing.yaml").read_text(encoding="utf-8"))
    raw.update(change)
    path = tmp_path / "routing.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_an_override_wins_over_the_commune(tmp_path: Path) -> None:
    path = _write(tmp_path, {"overrides": [{"commune": "32152", "category": "moi_truong",
                                            "lead": "so_nong_nghiep_moi_truong"}]})
    route = Router.from_config(path).route(category=Category.MOI_TRUONG, commune="32152")
    assert (route.lead_unit, route.reason) == ("so_nong_nghiep_moi_truong", "override")


def test_an_unknown_unit_in_the_config_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RoutingConfigError, match="no_such_unit"):
        Router.from_config(_write(tmp_path, {"overseer": "no_such_unit"}))
