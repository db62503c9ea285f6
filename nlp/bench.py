"""`phananh bench nlp`: load time, latency p50/p99, throughput, peak memory.

Latency is measured one message at a time (as the bot calls it), on the
shipped test and independent sets cycled to the requested count, after a
warm-up. Peak memory is that of a separate `phananh classify --jsonl`
process fed the same messages, read from the kernel (ru_maxrss).
"""
from __future__ import annotations

import gc
import json
import resource
import statistics
import subprocess
import sys
import time
from itertools import cycle, islice
from typing import TextIO

from nlp.corpus import DATA_DIR, load_examples

__all__ = ["run_bench"]


def _sample_texts(count: int) -> list[str]:
    files = [p for p in (DATA_DIR / "test.jsonl", DATA_DIR / "independent.jsonl") if p.exists()]
    texts = [e.text for e in load_examples(files)]
    return list(islice(cycle(texts), count))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _child_peak_mb(texts: list[str]) -> float:
    """Peak RSS of `phananh classify --jsonl` over `texts`, in MB."""
    payload = "".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) + "\n" for i, t in enumerate(texts))
    subprocess.run([sys.executable, "-m", "bot.cli", "classify", "--jsonl"], input=payload.encode(),
                   stdout=subprocess.DEVNULL, check=True)
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def run_bench(*, messages: int, out: TextIO) -> dict[str, float]:
    from nlp.pipeline import Analyzer, load_or_train, model_path

    load_or_train()  # make sure a model exists before timing the load
    gc.collect()
    started = time.perf_counter()
    analyzer = Analyzer.load(model_path())
    load_s = time.perf_counter() - started

    texts = _sample_texts(messages)
    for text in texts[:50]:
        analyzer.analyze(text)
    latencies = []
    began = time.perf_counter()
    for text in texts:
        t0 = time.perf_counter()
        analyzer.analyze(text)
        latencies.append((time.perf_counter() - t0) * 1000)
    wall = time.perf_counter() - began
    results = {
        "model_load_s": load_s,
        "p50_ms": statistics.median(latencies),
        "p99_ms": _percentile(latencies, 0.99),
        "max_ms": max(latencies),
        "messages_per_s": len(texts) / wall,
        "bench_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "classify_jsonl_peak_mb": _child_peak_mb(texts),
    }
    out.write(f"messages:                    {len(texts)} (one at a time, mean length "
              f"{sum(map(len, texts)) / len(texts):.0f} chars)\n")
    out.write(f"model load:                  {results['model_load_s']:.3f} s   (target <= 2 s)\n")
    out.write(f"latency p50:                 {results['p50_ms']:.2f} ms  (target <= 2 ms)\n")
    out.write(f"latency p99:                 {results['p99_ms']:.2f} ms  (target <= 10 ms)\n")
    out.write(f"latency max:                 {results['max_ms']:.2f} ms\n")
    out.write(f"throughput:                  {results['messages_per_s']:.0f} messages/s (one process)\n")
    out.write(f"peak memory (this bench):    {results['bench_peak_mb']:.0f} MB\n")
    out.write(f"peak memory classify --jsonl:{results['classify_jsonl_peak_mb']:>5.0f} MB (target <= 300 MB)\n")
    return results
