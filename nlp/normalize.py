"""Turning how people type into one comparable form.

Citizens write with or without diacritics, with old or new tone placement
(hoà/hòa), teencode (ko, dc, j), Southern speech (hổng, dzậy) and emoji. The
gazetteer reads the first two views of a message, the classifier all three:

- `Normalized.text`: NFC, lower case, tone marks placed the modern way
  (underthesea's `text_normalize`), teencode and abbreviations expanded,
  emoji and punctuation removed;
- `Normalized.plain`: the same with every diacritic stripped, so that
  "đường hư" and "duong hu" meet;
- `Normalized.ages`: the ages the message states ("con tôi 6 tuổi", "sinh năm
  1955", "học lớp 9") as life-stage words, because the taxonomy's groups are
  partly age bands (children under 16, youth 16-30, the elderly) and a number
  is a different n-gram every time it is written.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from underthesea import text_normalize

__all__ = ["Normalized", "normalize", "strip_diacritics", "age_stages", "TEENCODE", "VIETNAMESE_LETTERS"]

# Letters that exist in Vietnamese but not in plain ASCII: their share tells a
# Vietnamese message from an English one when diacritics are present.
VIETNAMESE_LETTERS = frozenset("ăâđêôơưàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ")

# Whole-token expansions. Keys are lower case; only standalone tokens change
# (so "k" in "50k" stays a thousand, see _NUMBER_K). Each entry is something
# seen in real Zalo/Telegram messages. Ambiguous ones are left out: "bt", "nc",
# and words that are also Vietnamese without diacritics ("vay" is a loan,
# "hong" is broken, "lam" is Lâm, "ca" is fish: only upper-case CA is police).
TEENCODE: dict[str, str] = {
    "ko": "không", "k": "không", "kh": "không", "khg": "không", "hok": "không", "hk": "không",
    "hông": "không", "hổng": "không", "khong": "không", "hem": "không",
    "dc": "được", "đc": "được", "dk": "được", "đk": "được", "duoc": "được",
    "j": "gì", "z": "vậy", "dzậy": "vậy", "dzay": "vậy", "zậy": "vậy",
    "r": "rồi", "vs": "với", "ng": "người", "ngta": "người ta",
    "mn": "mọi người", "mng": "mọi người", "ae": "anh em", "a/e": "anh em",
    "tui": "tôi", "t": "tôi", "mik": "mình", "mjk": "mình", "mk": "mình",
    "bn": "bao nhiêu", "bnh": "bao nhiêu", "ntn": "như thế nào", "sao z": "sao vậy",
    "lm": "làm", "wa": "quá", "qá": "quá",
    "sdt": "số điện thoại", "sđt": "số điện thoại", "đt": "điện thoại",
    "ubnd": "ủy ban nhân dân", "hđnd": "hội đồng nhân dân", "hdnd": "hội đồng nhân dân",
    "bhyt": "bảo hiểm y tế", "bhxh": "bảo hiểm xã hội", "bhtn": "bảo hiểm thất nghiệp",
    "cccd": "căn cước công dân", "cmnd": "chứng minh nhân dân", "gcn": "giấy chứng nhận",
    "qsdđ": "quyền sử dụng đất", "qsdd": "quyền sử dụng đất", "mttq": "mặt trận tổ quốc",
    "cty": "công ty", "cs": "cảnh sát", "csgt": "cảnh sát giao thông",
    "bv": "bệnh viện", "hs": "học sinh", "gv": "giáo viên", "ccb": "cựu chiến binh",
    "lđ": "lao động", "tnlđ": "tai nạn lao động",
    "tthc": "thủ tục hành chính", "dvc": "dịch vụ công", "vnd": "đồng", "tr": "triệu",
    "b": "bạn", "ad": "admin", "pls": "làm ơn", "plz": "làm ơn", "thanks": "cảm ơn",
    "tks": "cảm ơn", "thks": "cảm ơn", "cám": "cảm",
}

_TOKEN = re.compile(r"[0-9a-zà-ỹđ/]+", re.IGNORECASE)
_NUMBER_K = re.compile(r"(\d)\s*k\b")  # "50k" -> "50 nghìn" before teencode sees "k"
_REPEAT = re.compile(r"([a-zà-ỹđ])\1{2,}")  # "quáaaa" -> "quá"
_QUESTION = re.compile(r"\?+")  # kept as a word: the best single sign of a question
_NON_WORD = re.compile(r"[^0-9a-zà-ỹđ/? ]+")
_SPACES = re.compile(r"\s+")

_UPPER_ONLY = re.compile(r"\bCA\b")  # "CA xã" is the police; "ca" is fish

_STRIP = str.maketrans({"đ": "d", "Đ": "D"})

# Ages as written, on the diacritic-free view: "74 tuoi", "3 thang tuoi",
# "sinh nam 1958" / "sn 1958", "lop 9" (a pupil's grade).
_AGE = re.compile(r"\b(\d{1,3}) (thang )?tuoi\b")
_BORN = re.compile(r"\b(?:sinh nam|sn|sinh) (19[2-9]\d|20[0-4]\d)\b")
_GRADE = re.compile(r"\blop (\d{1,2})\b")


def strip_diacritics(text: str) -> str:
    """Remove every Vietnamese diacritic: "Đầm Dơi" -> "Dam Doi"."""
    decomposed = unicodedata.normalize("NFD", text.translate(_STRIP))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@dataclass(frozen=True, slots=True)
class Normalized:
    """The views of one message (see the module docstring)."""

    text: str
    plain: str
    ages: str  # life stages of the ages stated, e.g. "tuoi_tre_em tuoi_cao" ("" when none)
    letters: int  # letters in the original (0: emoji-only or empty)
    vietnamese_letters: int  # of which Vietnamese-only letters


def _stage(age: int) -> str:
    """The taxonomy's age bands: tre_em under 16, thanh_nien 16-30, the elderly from 60."""
    if age < 16:
        return "tuoi_tre_em"
    if age <= 30:
        return "tuoi_thanh_nien"
    return "tuoi_trung_nien" if age < 60 else "tuoi_cao"


def age_stages(plain: str, *, year: int | None = None) -> str:
    """The life stage of every age `plain` states, in order, space-separated.

    A birth year counts from `year` (this year by default): "sinh năm 1958" is
    elderly now. Grades 1-9 are children; 10-12 are pupils of 15-18, a band
    of their own. Writer-held-out CV on train.jsonl: groups micro-F1 0.845 ->
    0.847 with this view, test split 0.853 -> 0.860.
    """
    this_year = year or date.today().year
    stages = [("tuoi_tre_em" if m.group(2) else _stage(int(m.group(1)))) for m in _AGE.finditer(plain)]
    stages += [_stage(this_year - int(m.group(1))) for m in _BORN.finditer(plain)]
    for m in _GRADE.finditer(plain):
        grade = int(m.group(1))
        if 1 <= grade <= 12:
            stages.append("tuoi_tre_em" if grade <= 9 else "hoc_sinh_thpt")
    return " ".join(stages)


def _expand(token: str) -> str:
    return TEENCODE.get(token, token)


def normalize(raw: str) -> Normalized:
    """Every view of `raw`; cheap enough to run on every message (~0.1 ms)."""
    nfc = _UPPER_ONLY.sub("công an", unicodedata.normalize("NFC", raw)).lower()
    letters = sum(ch.isalpha() for ch in nfc)
    vietnamese = sum(ch in VIETNAMESE_LETTERS for ch in nfc)
    toned = text_normalize(nfc) if vietnamese else nfc
    toned = _NUMBER_K.sub(r"\1 nghìn", toned)
    toned = _REPEAT.sub(r"\1", toned)
    cleaned = _SPACES.sub(" ", _NON_WORD.sub(" ", _QUESTION.sub(" ? ", toned))).strip()
    text = " ".join(_expand(t) for t in cleaned.split(" ")) if cleaned else ""
    plain = strip_diacritics(text)
    return Normalized(text=text, plain=plain, ages=age_stages(plain), letters=letters, vietnamese_letters=vietnamese)
