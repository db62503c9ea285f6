"""The model in a process of its own (`NLP_PROCESS=true`, the default for `phananh serve`).

Why: on SQLite one database thread takes every update's transaction in turn,
and analysing a message there (~0.8 ms of CPU, a quarter of filing a
petition) held that thread and the interpreter's lock while the next updates
waited. `Runtime.process` now has a private message's text analysed here,
in `python -m bot.nlp_process` on the other core (bot/child.py), *before*
the transaction starts; the handler finds the answer ready.

The serve loops start the child first thing; it loads the model once. Anything
going wrong here (the child died, a bug) costs only speed, never an update:
`analyze` returns None and the handler analyses the text in the bot, which
loads the model on that first need (`LazyAnalyzer`).
"""
from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING

from bot.child import ChildGone, ChildProcess, child_main, serve_calls

if TYPE_CHECKING:
    from nlp.analysis import Analysis
    from nlp.pipeline import Analyzer

__all__ = ["AnalyzerProcess", "LazyAnalyzer", "main"]

log = logging.getLogger(__name__)


class AnalyzerProcess:
    """`await analyze(text)`: the Analysis made in the child process, or None if it could not be."""

    def __init__(self, *, log_level: str = "INFO") -> None:
        self.child = ChildProcess("bot.nlp_process", env={"LOG_LEVEL": log_level})
        self._failed = False

    async def start(self) -> None:
        """Start the child (it loads the model while the bot gets ready); once per run."""
        if self.child.pid is not None or self._failed:
            return
        try:
            await self.child.start()
        except OSError as exc:
            self._failed = True
            log.error("nlp process could not start, analysing in the bot error=%r", exc)

    async def analyze(self, text: str) -> Analysis | None:
        if self._failed or self.child.pid is None:
            return None
        try:
            return await self.child.call("analyze", text)  # type: ignore[no-any-return]
        except ChildGone as exc:
            self._failed = True  # the rest of this run analyses in the bot
            log.error("nlp process gone, analysing in the bot from now on error=%s", exc)
        except Exception as exc:  # noqa: BLE001 - this text only: the bot analyses it itself
            log.warning("nlp process failed on a message, analysing in the bot error=%r", exc)
        return None

    async def close(self) -> None:
        await self.child.close()


class LazyAnalyzer:
    """The model in this process, loaded on the first call only (with the NLP process it may never come)."""

    def __init__(self) -> None:
        self._analyzer: Analyzer | None = None

    def __call__(self, text: str) -> Analysis:
        if self._analyzer is None:
            from nlp import default_analyzer

            self._analyzer = default_analyzer()
        return self._analyzer(text)


async def _serve() -> None:
    from nlp import default_analyzer

    analyzer = default_analyzer()  # loaded (or trained, if missing) before the first answer

    async def analyze(text: str) -> Analysis:
        return analyzer(text)

    await serve_calls({"analyze": analyze})


def main() -> int:
    return child_main(_serve, name=__name__)


if __name__ == "__main__":
    sys.exit(main())
