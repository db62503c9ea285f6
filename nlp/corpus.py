"""The labelled corpus: reading, checking and splitting nlp/data/.

A record is one message with the taxonomy's labels (see nlp/data/DATA.md).
`location` is null, {"code": "32152"} or {"candidates": ["32152", ...]}.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nlp.labels import Category, Group, Kind

__all__ = ["Example", "CorpusError", "DATA_DIR", "read_jsonl", "load_examples", "training_files"]

DATA_DIR = Path(__file__).resolve().parent / "data"


class CorpusError(ValueError):
    """A corpus line that does not follow the contract."""

    def __init__(self, message: str, *, path: str, line: int) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled message."""

    id: str
    text: str
    category: Category
    groups: tuple[Group, ...]
    kind: Kind
    urgent: bool
    location_code: str | None  # a single resolved unit
    location_candidates: tuple[str, ...]  # or the candidates of an old name
    has_location: bool

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Example:
        loc = raw.get("location")
        code = loc.get("code") if isinstance(loc, dict) else None
        candidates = tuple(sorted(loc.get("candidates") or ())) if isinstance(loc, dict) else ()
        return cls(
            id=str(raw.get("id", "")),
            text=str(raw["text"]),
            category=Category(raw["category"]),
            groups=tuple(sorted({Group(g) for g in raw.get("groups") or ()})),
            kind=Kind(raw["kind"]),
            urgent=bool(raw["urgent"]),
            location_code=str(code) if code else None,
            location_candidates=candidates,
            has_location=bool(code or candidates),
        )


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line; raises CorpusError on bad JSON."""
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as exc:
                raise CorpusError(f"not JSON: {exc}", path=str(path), line=number) from exc


def load_examples(paths: Iterable[Path]) -> list[Example]:
    """Every example of `paths`, checked against the label codes."""
    examples: list[Example] = []
    for path in paths:
        for number, raw in read_jsonl(path):
            try:
                examples.append(Example.from_json(raw))
            except (KeyError, ValueError, TypeError) as exc:
                raise CorpusError(f"bad labels: {exc}", path=str(path), line=number) from exc
    return examples


def training_files(data_dir: Path = DATA_DIR) -> list[Path]:
    """The files the model learns from: the training split only, never test or independent."""
    return [data_dir / "train.jsonl"]
