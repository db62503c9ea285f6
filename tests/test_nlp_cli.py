"""The command-line contract: classify, classify --jsonl (bad lines included), evaluate."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REQUIRED = {"id", "category", "confidence", "top", "groups", "kind", "urgent", "location",
            "lead_unit", "coordinating_units"}


def phananh(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], input=stdin, capture_output=True,
                          text=True, timeout=120, check=True)


def test_classify_jsonl_answers_every_line_and_survives_bad_ones() -> None:
    lines = [
        json.dumps({"id": "a", "text": "Đèn đường ở phường 5 TP Cà Mau hư cả tháng nay"}, ensure_ascii=False),
        "{this is not json",
        json.dumps({"id": 7}),
        json.dumps({"id": "b", "text": "nha toi o huyen Dam Doi bi cup dien tu sang toi gio"}),
        json.dumps([1, 2]),
        json.dumps({"id": "c", "text": ""}),
    ]
    out = [json.loads(line) for line in phananh("classify", "--jsonl", stdin="\n".join(lines) + "\n").stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", None, 7, "b", None, "c"]
    assert "error" in out[1] and "error" in out[2] and "error" in out[4]
    for good in (out[0], out[3], out[5]):
        assert REQUIRED <= set(good), good
        assert len(good["top"]) == 3 and 0.0 <= good["confidence"] <= 1.0
    assert out[0]["location"] == {"code": "32025", "name": "Phường Tân Thành", "candidates": []}
    assert out[3]["location"]["code"] is None
    assert len(out[3]["location"]["candidates"]) == 7
    assert out[5]["location"] is None and out[5]["category"] == "khac"


def test_classify_prints_a_readable_answer() -> None:
    text = phananh("classify", "Cháy nhà ở ấp 3 xã Tân Thuận, lửa lan qua nhà bên, cứu với!").stdout
    assert "Lĩnh vực:" in text and "Địa bàn:     Xã Tân Thuận [32167]" in text
    assert "Khẩn cấp:    CÓ" in text


def test_evaluate_prints_every_measure(tmp_path: Path) -> None:
    sample = tmp_path / "sample.jsonl"
    rows = [
        {"id": "1", "text": "Cháy nhà ở xã Đầm Dơi, cứu với!!!", "category": "an_ninh_trat_tu", "groups": [],
         "kind": "phan_anh_kien_nghi", "urgent": True, "location": {"code": "32152"}},
        {"id": "2", "text": "cho hỏi làm giấy khai sinh cho con cần giấy tờ gì", "category": "thu_tuc_hanh_chinh",
         "groups": ["tre_em"], "kind": "hoi_dap", "urgent": False, "location": None},
    ]
    sample.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    out = phananh("evaluate", str(sample)).stdout
    for measure in ("category accuracy", "category macro-F1", "per-class F1", "confusion matrix",
                    "kind accuracy", "urgent recall", "urgent precision", "groups micro-F1", "location accuracy"):
        assert measure in out
    assert "location n           1 messages" in out
