"""NLP commands: `phananh train | classify | evaluate | bench nlp`.

`classify --jsonl` and `evaluate` are contracts other tools call (see
README); their output shapes change only together with the README.
"""
from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

from nlp.labels import CATEGORY_NAMES, GROUP_NAMES, KIND_NAMES

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train the NLP model from nlp/data/ (var/nlp-model.joblib)")
    p.add_argument("--if-missing", action="store_true", help="only if no up-to-date model exists")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("classify", help="label a message, or JSON lines on stdin with --jsonl")
    p.add_argument("text", nargs="?", help="the message (omit with --jsonl)")
    p.add_argument("--jsonl", action="store_true", help='read {"id", "text"} lines on stdin, write JSON lines')
    p.set_defaults(func=cmd_classify)

    p = sub.add_parser("evaluate", help="measure the analyzer on a labelled JSONL file")
    p.add_argument("file", type=Path)
    p.add_argument("--errors", type=int, default=0, help="also list N misclassified messages")
    p.set_defaults(func=cmd_evaluate)

    bench = sub.add_parser("bench", help="benchmarks").add_subparsers(dest="bench", required=True, metavar="WHAT")
    p = bench.add_parser("nlp", help="model load time, latency p50/p99, messages/s, peak memory")
    p.add_argument("--messages", type=int, default=2000)
    p.set_defaults(func=cmd_bench_nlp)
    # The bot and the scheduler add their own benchmarks to the same group.
    for module in ("bot.bench", "scheduler.commands"):
        try:
            importlib.import_module(module).register_bench(bench)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


def cmd_train(args: argparse.Namespace) -> int:
    from nlp.corpus import training_files
    from nlp.pipeline import corpus_digest, load_or_train, model_path, save, train_model

    path = model_path()
    if args.if_missing:
        trained = load_or_train(path)
        fresh = trained.digest == corpus_digest(training_files())
        print(f"model: {path} ({trained.examples} examples{'' if fresh else ', stale'})")
        return 0
    trained = train_model()
    save(trained, path)
    print(f"trained on {trained.examples} examples in {trained.seconds:.1f} s -> {path}")
    return 0


def cmd_classify(args: argparse.Namespace) -> int:
    from nlp.pipeline import default_analyzer

    analyzer = default_analyzer()
    if args.jsonl:
        for line in classify_lines(analyzer, sys.stdin):
            sys.stdout.write(line + "\n")
        sys.stdout.flush()
        return 0
    if args.text is None:
        print("phananh classify: give a text, or --jsonl", file=sys.stderr)
        return 2
    print(describe(analyzer.analyze(args.text)))
    return 0


def classify_lines(analyzer: Any, lines: Iterable[str], batch: int = 64) -> Iterator[str]:
    """One JSON line out per line in; bad lines get {"id", "error"} and the run goes on."""
    pending: list[tuple[Any, str]] = []
    for line in lines:
        if not line.strip():
            continue
        item, error = _parse_line(line)
        if error is not None:
            yield from _flush(analyzer, pending)
            pending = []
            yield json.dumps({"id": item, "error": error}, ensure_ascii=False)
            continue
        pending.append(item)
        if len(pending) >= batch:
            yield from _flush(analyzer, pending)
            pending = []
    yield from _flush(analyzer, pending)


def _parse_line(line: str) -> tuple[Any, str | None]:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, f"dòng không phải JSON hợp lệ: {exc.msg}"
    if not isinstance(obj, dict):
        return None, "dòng phải là một đối tượng JSON có trường text"
    if not isinstance(obj.get("text"), str):
        return obj.get("id"), "thiếu trường text (chuỗi)"
    return (obj.get("id"), obj["text"]), None


def _flush(analyzer: Any, pending: list[tuple[Any, str]]) -> Iterator[str]:
    if not pending:
        return
    for (ident, _), analysis in zip(pending, analyzer.analyze_many([t for _, t in pending])):
        yield json.dumps({"id": ident, **analysis.to_json()}, ensure_ascii=False)


def describe(a: Any) -> str:
    """A readable answer for a person (Vietnamese labels, codes in brackets)."""
    top = ", ".join(f"{c.value} {p:.2f}" for c, p in a.top)
    place = "không nêu"
    if a.location and a.location.place:
        place = f"{a.location.place.name} [{a.location.place.code}] (từ: {a.location.mention})"
    elif a.location:
        place = "một trong: " + ", ".join(p.name for p in a.location.candidates) + f" (từ: {a.location.mention})"
    lines = [
        f"Lĩnh vực:    {CATEGORY_NAMES[a.category]} [{a.category.value}] — độ tin cậy {a.confidence:.2f}",
        f"Khả năng:    {top}",
        f"Đối tượng:   {', '.join(f'{GROUP_NAMES[g]} [{g.value}]' for g in a.groups) or 'không'}",
        f"Loại:        {KIND_NAMES[a.kind]} [{a.kind.value}]",
        f"Khẩn cấp:    {'CÓ — ' + ', '.join(a.urgent_reason) if a.urgent else 'không'}",
        f"Địa bàn:     {place}",
        f"Chủ trì:     {a.lead_unit}{' (chuyển bộ phận phân loại: chưa chắc chắn)' if a.needs_triage else ''}",
        f"Phối hợp:    {', '.join(a.coordinating_units) or 'không'}",
        f"Giám sát:    {a.overseer}",
    ]
    if a.notes:
        lines.append(f"Ghi chú:     {', '.join(a.notes)}")
    return "\n".join(lines)


def cmd_evaluate(args: argparse.Namespace) -> int:
    from nlp.corpus import load_examples
    from nlp.metrics import evaluate
    from nlp.pipeline import default_analyzer

    examples = load_examples([args.file])
    analyses = default_analyzer().analyze_many([e.text for e in examples])
    report = evaluate(examples, analyses)
    print_report(report, sys.stdout, errors=args.errors)
    return 0


def print_report(r: Any, out: TextIO, *, errors: int = 0) -> None:
    w = out.write
    w(f"messages: {r.n}\n\n")
    for name, (value, target) in r.targets().items():
        mark = "ok" if value >= target else "BELOW TARGET"
        w(f"{name:<20} {value:.3f}   (target >= {target:.2f}: {mark})\n")
    w(f"{'location n':<20} {r.location_n} messages name a place\n")
    w(f"{'sent to triage':<20} {r.triaged} ({r.triaged / max(r.n, 1):.1%})\n\n")
    w("per-class F1:\n")
    for code, value in sorted(r.per_class_f1.items(), key=lambda kv: kv[1]):
        w(f"  {code:<22} {value:.3f}\n")
    codes = list(r.confusion)
    abbrev = [c[:5] for c in codes]
    w("\nconfusion matrix (rows: gold, columns: predicted):\n")
    w(" " * 23 + " ".join(f"{a:>5}" for a in abbrev) + "\n")
    for code in codes:
        w(f"  {code:<21}" + " ".join(f"{r.confusion[code][c]:>5}" for c in codes) + "\n")
    for ident, gold, pred, text in r.errors[:errors]:
        w(f"\n[{ident}] gold={gold} predicted={pred}: {text}")
    if errors:
        w("\n")


def cmd_bench_nlp(args: argparse.Namespace) -> int:
    from nlp.bench import run_bench

    run_bench(messages=args.messages, out=sys.stdout)
    return 0
