"""Merging the writers' files into the fixed train/test split (run once per batch).

    python -m nlp.split nlp/data/corpus/*.jsonl

An example goes to the test split when sha1(its normalised text) falls in
the lowest fifth: the rule needs no random seed, never moves an example
between splits when more data is added, and keeps exact and near-exact
duplicates (same text after normalisation) on the same side.
Duplicates are dropped; the result is appended to train.jsonl and test.jsonl.
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from nlp.corpus import DATA_DIR, Example, read_jsonl
from nlp.normalize import normalize

__all__ = ["is_test", "main"]

TEST_SHARE = 0.2


def is_test(text: str) -> bool:
    digest = hashlib.sha1(normalize(text).plain.encode()).digest()
    return int.from_bytes(digest[:4], "big") < TEST_SHARE * 2**32


def _existing(path: Path) -> set[str]:
    return {normalize(raw["text"]).plain for _, raw in read_jsonl(path)} if path.exists() else set()


def main(paths: list[str]) -> int:
    train_path, test_path = DATA_DIR / "train.jsonl", DATA_DIR / "test.jsonl"
    seen = _existing(train_path) | _existing(test_path)
    counts = {"train": 0, "test": 0, "duplicate": 0}
    with train_path.open("a", encoding="utf-8") as train, test_path.open("a", encoding="utf-8") as test:
        for name in paths:
            for _, raw in read_jsonl(Path(name)):
                Example.from_json(raw)  # validates the labels
                key = normalize(raw["text"]).plain
                if key in seen:
                    counts["duplicate"] += 1
                    continue
                seen.add(key)
                side = "test" if is_test(raw["text"]) else "train"
                (test if side == "test" else train).write(json.dumps(raw, ensure_ascii=False) + "\n")
                counts[side] += 1
    print(counts)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
