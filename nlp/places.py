"""Finding the commune or ward a message is about, old names included.

The gazetteer is built from nlp/data/admin/ (dvhcvn, MIT; see SOURCE.md
there): the 64 units of Cà Mau after 1/7/2025 and the 164 old units of Cà Mau
and Bạc Liêu with the unit(s) that took each over. Matching runs on the
diacritic-free view, so "xa Tan Thuan", "X. Tân Thuận" and "xã Tân Thuận" meet.

Resolution, most specific first:
1. an old commune named with its old district ("phường 5 TP Cà Mau");
2. a current unit named with its type ("xã Đầm Dơi", "P. An Xuyên");
3. an old commune named with its type ("xã Tạ An Khương Nam"); if it was
   split, or the name exists in several old districts, the candidates;
4. a bare name (no "xã"/"phường") that is capitalised or follows "ở", "tại"…:
   a current unit's name first, then an old commune's;
5. an old district alone ("huyện Đầm Dơi", "TP Cà Mau"): its candidates,
   unless a commune-level mention inside it narrows it down.

What the diacritic-free view loses is read back from the toned view: a name
written with marks keeps only the units spelled that way ("xã Tân Thành" is
not "xã Tân Thạnh"; "về nhà mắt" is not Nhà Mát). A name followed by "cũ" is
the old unit, not today's namesake; "rừng U Minh" is the forest and "tên Thanh
Tùng" a person; an old district narrows only the old commune written next to
it. A bare name after "ấp", "cầu", "sông" stays the commune: the corpus writers
read "cầu Gành Hào" as Gành Hào (excluding them cost 0.6 points on train).
"""
from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass, replace
from enum import IntEnum
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from nlp.analysis import Location, Place
from nlp.normalize import Normalized, normalize, strip_diacritics

__all__ = ["Gazetteer", "default_gazetteer", "ADMIN_DIR"]

ADMIN_DIR = Path(__file__).resolve().parent / "data" / "admin"

# Type words as people write them (diacritic-free, punctuation already gone).
_PREFIXES = {
    "xa": ("xa", "x"),
    "phuong": ("phuong", "p", "f"),
    "thi tran": ("thi tran", "tt"),
    "huyen": ("huyen", "h"),
    "thanh pho": ("thanh pho", "tp"),
    "thi xa": ("thi xa", "tx"),
}
# Words after which a bare name is a place: "ở Tân Thuận", "dưới Năm Căn".
_CUES = frozenset({"o", "tai", "duoi", "tren", "ngu", "thuoc", "ve", "ben", "khu vuc", "dia ban", "xuong", "len"})
# Bare, these name a province (old or new), not "phường Bạc Liêu".
_PROVINCE_NAMES = frozenset({"ca mau", "bac lieu"})
# Before a bare name, these make it a forest or a person ("rừng U Minh", "tên Thanh Tùng").
_NOT_COMMUNE = frozenset({"rung", "ten"})
# Places known by another name than their unit's: "Mũi Cà Mau" is in xã Đất Mũi,
# "vàm Cái Đôi" is Cái Đôi Vàm.
_LANDMARKS = {"Mũi Cà Mau": "32248", "Vàm Cái Đôi": "32212"}
# An old district narrows an old commune written at most this many words away.
_NARROW_GAP = 3
_DIGIT_AFTER_P = re.compile(r"\b(p|f|phuong|phường)(\d{1,2})\b")
# "phường sáu" is phường 6; only with marks ("phuong sau" is also "after").
_SPELLED_WARD = re.compile(r"\b(phường|p) (một|hai|ba|bốn|năm|sáu|bảy|tám|chín|mười)\b(?! \d)")  # not "phường năm 2025"
_NUMBERS = {w: str(i) for i, w in enumerate(("một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín", "mười"), 1)}
_MAX_ALIAS_WORDS = 7


class Strength(IntEnum):
    """How sure a mention is; a higher value wins."""

    BARE_DISTRICT = 1
    BARE_OLD = 2
    BARE_CURRENT = 3
    DISTRICT = 4
    OLD = 5
    CURRENT = 6


@dataclass(frozen=True, slots=True)
class _Entry:
    strength: Strength
    codes: tuple[str, ...]  # the current unit(s) this name now means
    district: str = ""  # for old communes: their old district (diacritic-free)
    label: str = ""
    narrow_only: bool = False  # bare "Cà Mau"/"Bạc Liêu": the province, unless it narrows an old commune
    marked: str = ""  # the name with its diacritics, as normalize() writes it ("tân thạnh")
    title: str = ""  # the name as it is capitalised, without marks ("Phong Thanh Tay B")

    @classmethod
    def named(cls, name: _Name, strength: Strength, codes: tuple[str, ...], district: str = "",
              label: str = "") -> _Entry:
        """An entry for `name`, carrying its spelling with marks and its capitalised form."""
        return cls(strength, codes, district, label, marked=name.marked, title=name.title)


class _Name(NamedTuple):
    """One official name, split for the alias table."""

    kind: str  # "xa", "phuong", … ("" for none)
    plain: str  # "phong thanh tay ban": the message view's words, teencode included
    marked: str  # "phong thạnh tây bạn"
    title: str  # "Phong Thanh Tay B"


@dataclass(frozen=True, slots=True)
class _Mention:
    start: int
    end: int
    entry: _Entry


def _base_name(full: str) -> _Name:
    """The parts of "Xã Tân Thuận": type "xa", then the name in each view.

    Names go through normalize() like any message, so "Phong Thạnh Tây B" is
    stored as the message view writes it ("phong thanh tay ban").
    """
    view = normalize(full.strip())
    skip = 0
    for kind in sorted(_PREFIXES, key=len, reverse=True):
        if view.plain.startswith(kind + " "):
            skip = len(kind.split())
            break
    else:
        kind = ""
    title = " ".join(w.capitalize() for w in strip_diacritics(full).split()[skip:])
    return _Name(kind, " ".join(view.plain.split()[skip:]), " ".join(view.text.split()[skip:]), title)


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


class Gazetteer:
    """Place names of Cà Mau mapped to today's units. Build with `from_dir()`."""

    def __init__(self, places: dict[str, Place], aliases: dict[tuple[str, ...], list[_Entry]]) -> None:
        self.places = places
        self._aliases = aliases
        self._bare_titles = {alias: _title_pattern({e.title for e in entries}) for alias, entries in aliases.items()}

    @classmethod
    def from_dir(cls, folder: Path = ADMIN_DIR) -> Gazetteer:
        places: dict[str, Place] = {}
        aliases: dict[tuple[str, ...], list[_Entry]] = defaultdict(list)
        with (folder / "ca_mau_new_wards_2025.csv").open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                code, name = row["new_ward_code"], row["new_ward"].strip()
                places[code] = Place(code=code, name=name)
                n = _base_name(name)
                typed = _Entry.named(n, Strength.CURRENT, (code,), label=name)
                cls._add(aliases, n, typed, replace(typed, strength=Strength.BARE_CURRENT),
                         bare=n.plain not in _PROVINCE_NAMES)
        with (folder / "ca_mau_old_to_new_2025.csv").open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        district_names = {d: _base_name(d) for d in {row["old_district"].strip() for row in rows}}  # normalised once
        old: dict[tuple[str, str], set[str]] = defaultdict(set)
        districts: dict[str, set[str]] = defaultdict(set)
        for row in rows:
            district = row["old_district"].strip()
            old[(row["old_ward"].strip(), district_names[district].plain)].add(row["new_ward_code"])
            districts[district].add(row["new_ward_code"])
        for (ward, district), codes in old.items():
            n = _base_name(ward)
            typed = _Entry.named(n, Strength.OLD, tuple(sorted(codes)), district, f"{ward} (cũ)")
            cls._add(aliases, n, typed, replace(typed, strength=Strength.BARE_OLD), bare=not n.plain.isdigit())
        for district, codes in districts.items():
            n = district_names[district]
            typed = _Entry.named(n, Strength.DISTRICT, tuple(sorted(codes)), n.plain, f"{district} (cũ)")
            bare = replace(typed, strength=Strength.BARE_DISTRICT, narrow_only=n.plain in _PROVINCE_NAMES)
            cls._add(aliases, n, typed, bare)
        for landmark, code in _LANDMARKS.items():
            n = _base_name(landmark)
            aliases[_words(n.plain)].append(_Entry.named(n, Strength.BARE_CURRENT, (code,), label=places[code].name))
        return cls(places, dict(aliases))

    @staticmethod
    def _add(aliases: dict[tuple[str, ...], list[_Entry]], name: _Name, typed: _Entry,
             bare_entry: _Entry, *, bare: bool = True) -> None:
        """Register "xã Tân Thuận", "x Tân Thuận" … and, unless `bare` is off, "Tân Thuận"."""
        for prefix in _PREFIXES.get(name.kind, ()):
            aliases[_words(f"{prefix} {name.plain}")].append(typed)
        if bare:
            aliases[_words(name.plain)].append(bare_entry)

    def get(self, code: str) -> Place | None:
        return self.places.get(code)

    def all(self) -> list[Place]:
        return sorted(self.places.values(), key=lambda p: p.code)

    def find(self, text: str, *, normalized: Normalized | None = None) -> Location | None:
        """The place `text` is about, or None when it names none."""
        view = (normalized or normalize(text)).text
        view = _SPELLED_WARD.sub(lambda m: f"{m.group(1)} {_NUMBERS[m.group(2)]}", view)
        view = _DIGIT_AFTER_P.sub(r"\1 \2", view)
        # Stripping marks never adds or removes a space: word i is word i in both views.
        mentions = self._scan(_words(strip_diacritics(view)), _words(view), strip_diacritics(text))
        return self._resolve(mentions)

    def _scan(self, words: tuple[str, ...], marked: tuple[str, ...], titled: str) -> list[_Mention]:
        found: list[_Mention] = []
        i = 0
        while i < len(words):
            for size in range(min(_MAX_ALIAS_WORDS, len(words) - i), 0, -1):
                alias = words[i : i + size]
                entries = self._aliases.get(alias)
                if not entries:
                    continue
                kept = self._keep(entries, alias, words, marked, i, titled)
                if kept:
                    found.extend(_Mention(i, i + size, e) for e in kept)
                    i += size - 1
                    break
            i += 1
        return found

    def _keep(self, entries: list[_Entry], alias: tuple[str, ...], words: tuple[str, ...],
              marked: tuple[str, ...], i: int, titled: str) -> list[_Entry]:
        """The readings of one written name that its spelling and neighbours allow."""
        written = " ".join(marked[i + len(alias) - len(entries[0].marked.split()) : i + len(alias)])
        has_marks = written != strip_diacritics(written)
        spelled = [e for e in entries if e.marked == written]
        if has_marks and spelled:  # "Tân Thành" is not "Tân Thạnh"
            entries = spelled
        after = words[i + len(alias)] if i + len(alias) < len(words) else ""
        if after == "cu" and any(e.strength not in _CURRENT for e in entries):
            entries = [e for e in entries if e.strength not in _CURRENT]  # "xã Tân Ân cũ": the old one
        bare_ok = self._bare_ok(alias, words, i, titled, marks_fit=not has_marks or bool(spelled))
        return [e for e in entries if e.strength not in _BARE or bare_ok]

    def _bare_ok(self, alias: tuple[str, ...], words: tuple[str, ...], i: int, titled: str, *,
                 marks_fit: bool) -> bool:
        """A bare name counts when written with capitals, or after a place cue word if
        its marks (when it has any) are the name's own: "về nhà mắt" is not Nhà Mát."""
        before = words[max(0, i - 2) : i]
        if before and before[-1] in _NOT_COMMUNE:
            return False
        if self._bare_titles[alias].search(titled):
            return True
        return marks_fit and bool(before) and (before[-1] in _CUES or " ".join(before) in _CUES)

    def _resolve(self, mentions: list[_Mention]) -> Location | None:
        if not mentions:
            return None
        districts = [m for m in mentions if m.entry.strength in _DISTRICT]
        communes = [m for m in mentions if m.entry.strength not in _DISTRICT]
        narrowed = [
            m for m in communes
            if m.entry.strength in _OLD
            and any(d.entry.district == m.entry.district and d.start != m.start and _near(m, d) for d in districts)
        ]
        if narrowed:  # rule 1: old commune + its old district
            return self._location(narrowed[0].entry.codes, narrowed[0])
        if communes:
            best = max(communes, key=lambda m: (m.entry.strength, -m.start))
            same = [m for m in communes if m.start == best.start and m.entry.strength == best.entry.strength]
            codes = sorted({c for m in same for c in m.entry.codes})
            return self._location(tuple(codes), best)
        districts = [m for m in districts if not m.entry.narrow_only]
        if not districts:
            return None
        best = max(districts, key=lambda m: (m.entry.strength, -m.start))
        return self._location(best.entry.codes, best)

    def _location(self, codes: tuple[str, ...], mention: _Mention) -> Location:
        places = tuple(self.places[c] for c in codes)
        if len(places) == 1:
            return Location(place=places[0], mention=mention.entry.label)
        return Location(place=None, candidates=places, mention=mention.entry.label)


def _title_pattern(titles: set[str]) -> re.Pattern[str]:
    """A name written Capitalised or in CAPITALS, on the diacritic-free original."""
    forms = sorted({form for t in titles for form in (t, t.upper())}, key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(map(re.escape, forms)) + r")\b")


def _near(a: _Mention, b: _Mention) -> bool:
    """Written next to each other ("xã Tân Phong, thị xã Giá Rai"), a few words apart at most."""
    return max(a.start, b.start) - min(a.end, b.end) <= _NARROW_GAP


_BARE = frozenset({Strength.BARE_CURRENT, Strength.BARE_OLD, Strength.BARE_DISTRICT})
_CURRENT = frozenset({Strength.CURRENT, Strength.BARE_CURRENT})
_DISTRICT = frozenset({Strength.DISTRICT, Strength.BARE_DISTRICT})
_OLD = frozenset({Strength.OLD, Strength.BARE_OLD})


@lru_cache(maxsize=1)
def default_gazetteer() -> Gazetteer:
    return Gazetteer.from_dir()
