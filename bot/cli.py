"""The `phananh` command: one entry point, subcommands registered per package.

Each package that owns commands exposes `register(subparsers)`; this module
only wires them together, so nlp/, the bot and the scheduler keep their own
command code beside the code it drives.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from dotenv import load_dotenv

# Modules exposing `register(subparsers)`; a missing one is skipped so a
# package can be developed without breaking the others' commands. Benchmarks
# join the `bench` group that nlp.cli creates (bot.bench, scheduler.commands).
REGISTRARS: tuple[str, ...] = ("nlp.cli", "bot.commands", "scheduler.commands")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="phananh", description="Phản ánh – kiến nghị Cà Mau")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in REGISTRARS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    # .env fills what the real environment leaves unset, for every module that
    # reads a setting (Settings, and the PHANANH_* paths read by nlp/ and scheduler/).
    load_dotenv(Path(".env"), override=False)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result = args.func(args)
    except BrokenPipeError:  # `phananh … | head` stopped reading: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
