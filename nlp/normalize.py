"""Turning how people type into one comparable form.

Citizens write with or without diacritics, with old or new tone placement
(hoà/hòa), teencode (ko, dc, j), Southern speech (hổng, dzậy) and emoji. The
classifier and the gazetteer both read two views of a message:

- `Normalized.text`: NFC, lower case, tone marks placed the modern way
  (underthesea's `text_normalize`), teencode and abbreviations expanded,
  emoji and punctuation removed;
- `Normalized.plain`: the same with every diacritic stripped, so that
  "đường hư" and "duong hu" meet.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from underthesea import text_normalize

__all__ = ["Normalized", "normalize", "strip_diacritics", "TEENCODE", "VIETNAMESE_LETTERS"]

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


def strip_diacritics(text: str) -> str:
    """Remove every Vietnamese diacritic: "Đầm Dơi" -> "Dam Doi"."""
    decomposed = unicodedata.normalize("NFD", text.translate(_STRIP))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@dataclass(frozen=True, slots=True)
class Normalized:
    """The two views of one message (see the module docstring)."""

    text: str
    plain: str
    letters: int  # letters in the original (0: emoji-only or empty)
    vietnamese_letters: int  # of which Vietnamese-only letters


def _expand(token: str) -> str:
    return TEENCODE.get(token, token)


def normalize(raw: str) -> Normalized:
    """Both views of `raw`; cheap enough to run on every message (~0.1 ms)."""
    nfc = _UPPER_ONLY.sub("công an", unicodedata.normalize("NFC", raw)).lower()
    letters = sum(ch.isalpha() for ch in nfc)
    vietnamese = sum(ch in VIETNAMESE_LETTERS for ch in nfc)
    toned = text_normalize(nfc) if vietnamese else nfc
    toned = _NUMBER_K.sub(r"\1 nghìn", toned)
    toned = _REPEAT.sub(r"\1", toned)
    cleaned = _SPACES.sub(" ", _NON_WORD.sub(" ", _QUESTION.sub(" ? ", toned))).strip()
    text = " ".join(_expand(t) for t in cleaned.split(" ")) if cleaned else ""
    return Normalized(text=text, plain=strip_diacritics(text), letters=letters, vietnamese_letters=vietnamese)
