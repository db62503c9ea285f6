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
"""
from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache
from pathlib import Path

from nlp.analysis import Location, Place
from nlp.normalize import normalize, strip_diacritics

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
_DIGIT_AFTER_P = re.compile(r"\b(p|f|phuong)(\d{1,2})\b")
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


@dataclass(frozen=True, slots=True)
class _Mention:
    start: int
    end: int
    entry: _Entry


def _base_name(full: str) -> tuple[str, str]:
    """("xa", "tan thuan") from "Xã Tân Thuận"; the type is diacritic-free."""
    plain = strip_diacritics(full.strip()).lower()
    for kind in sorted(_PREFIXES, key=len, reverse=True):
        if plain.startswith(kind + " "):
            return kind, plain[len(kind) + 1 :]
    return "", plain


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


class Gazetteer:
    """Place names of Cà Mau mapped to today's units. Build with `from_dir()`."""

    def __init__(self, places: dict[str, Place], aliases: dict[tuple[str, ...], list[_Entry]]) -> None:
        self.places = places
        self._aliases = aliases
        self._bare_titles = {alias: " ".join(w.capitalize() for w in alias) for alias in aliases}

    @classmethod
    def from_dir(cls, folder: Path = ADMIN_DIR) -> Gazetteer:
        places: dict[str, Place] = {}
        aliases: dict[tuple[str, ...], list[_Entry]] = defaultdict(list)
        with (folder / "ca_mau_new_wards_2025.csv").open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                code, name = row["new_ward_code"], row["new_ward"].strip()
                places[code] = Place(code=code, name=name)
                kind, base = _base_name(name)
                cls._add(aliases, kind, base, _Entry(Strength.CURRENT, (code,), label=name),
                         _Entry(Strength.BARE_CURRENT, (code,), label=name), bare=base not in _PROVINCE_NAMES)
        old: dict[tuple[str, str], set[str]] = defaultdict(set)
        districts: dict[str, set[str]] = defaultdict(set)
        with (folder / "ca_mau_old_to_new_2025.csv").open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                district = _base_name(row["old_district"])
                old[(row["old_ward"].strip(), district[1])].add(row["new_ward_code"])
                districts[row["old_district"].strip()].add(row["new_ward_code"])
        for (ward, district), codes in old.items():
            kind, base = _base_name(ward)
            label = f"{ward} (cũ)"
            cls._add(aliases, kind, base, _Entry(Strength.OLD, tuple(sorted(codes)), district, label),
                     _Entry(Strength.BARE_OLD, tuple(sorted(codes)), district, label), bare=not base.isdigit())
        for district, codes in districts.items():
            kind, base = _base_name(district)
            entry = _Entry(Strength.DISTRICT, tuple(sorted(codes)), base, f"{district} (cũ)")
            bare = _Entry(Strength.BARE_DISTRICT, entry.codes, base, entry.label, narrow_only=base in _PROVINCE_NAMES)
            cls._add(aliases, kind, base, entry, bare)
        return cls(places, dict(aliases))

    @staticmethod
    def _add(aliases: dict[tuple[str, ...], list[_Entry]], kind: str, base: str, typed: _Entry,
             bare_entry: _Entry, *, bare: bool = True) -> None:
        """Register "xã Tân Thuận", "x Tân Thuận" … and, unless `bare` is off, "Tân Thuận"."""
        for prefix in _PREFIXES.get(kind, ()):
            aliases[_words(f"{prefix} {base}")].append(typed)
        if bare:
            aliases[_words(base)].append(bare_entry)

    def get(self, code: str) -> Place | None:
        return self.places.get(code)

    def all(self) -> list[Place]:
        return sorted(self.places.values(), key=lambda p: p.code)

    def find(self, text: str, *, plain: str | None = None) -> Location | None:
        """The place `text` is about, or None when it names none."""
        if plain is None:
            plain = normalize(text).plain
        plain = _DIGIT_AFTER_P.sub(r"\1 \2", plain)
        titled = strip_diacritics(text)
        mentions = self._scan(_words(plain), titled)
        return self._resolve(mentions)

    def _scan(self, words: tuple[str, ...], titled: str) -> list[_Mention]:
        found: list[_Mention] = []
        i = 0
        while i < len(words):
            for size in range(min(_MAX_ALIAS_WORDS, len(words) - i), 0, -1):
                alias = words[i : i + size]
                entries = self._aliases.get(alias)
                if not entries:
                    continue
                kept = [e for e in entries if e.strength not in _BARE or self._bare_ok(alias, words, i, titled)]
                if kept:
                    found.extend(_Mention(i, i + size, e) for e in kept)
                    i += size - 1
                    break
            i += 1
        return found

    def _bare_ok(self, alias: tuple[str, ...], words: tuple[str, ...], i: int, titled: str) -> bool:
        """A bare name counts when written with capitals or after a place cue word."""
        title = self._bare_titles[alias]
        if re.search(rf"\b({re.escape(title)}|{re.escape(title.upper())})\b", titled):
            return True
        before = words[max(0, i - 2) : i]
        return bool(before) and (before[-1] in _CUES or " ".join(before) in _CUES)

    def _resolve(self, mentions: list[_Mention]) -> Location | None:
        if not mentions:
            return None
        districts = [m for m in mentions if m.entry.strength in _DISTRICT]
        communes = [m for m in mentions if m.entry.strength not in _DISTRICT]
        narrowed = [
            m for m in communes
            if m.entry.strength in _OLD
            and any(d.entry.district == m.entry.district and d.start != m.start for d in districts)
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


_BARE = frozenset({Strength.BARE_CURRENT, Strength.BARE_OLD, Strength.BARE_DISTRICT})
_DISTRICT = frozenset({Strength.DISTRICT, Strength.BARE_DISTRICT})
_OLD = frozenset({Strength.OLD, Strength.BARE_OLD})


@lru_cache(maxsize=1)
def default_gazetteer() -> Gazetteer:
    return Gazetteer.from_dir()
