"""Group commit: the updates that arrive while a transaction runs share the next one.

Why: SQLite has one writer, so a bot on SQLite runs its transactions one after
another in one thread (Runtime.install_db_executor). Under a burst, every
update paid for its own COMMIT (the write of the WAL pages), its own session
and its own round trip between the event loop and that thread. Here, while a
batch runs, newcomers wait in a list; the next batch takes them all (up to
`max_batch`) in one call. When updates come one at a time, a batch is one
update and nothing waits longer than before.

`run_batch(items)` returns one result per item, an exception standing for
that item's failure; each caller gets its own result or exception.
"""
from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

__all__ = ["GroupCommit"]

T = TypeVar("T")
R = TypeVar("R")


class GroupCommit(Generic[T, R]):
    """`await submit(item)`: `item` handled in the next batch of `run_batch` (in a worker thread)."""

    def __init__(self, run_batch: Callable[[list[T]], Sequence[R | BaseException]], *, max_batch: int) -> None:
        self._run_batch = run_batch
        self.max_batch = max_batch
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._drainer: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        loop = asyncio.get_running_loop()
        if self._drainer is not None and self._drainer.get_loop() is not loop:
            self._drainer, self._waiting = None, []  # a new event loop (a restart in one process)
        answer: asyncio.Future[R] = loop.create_future()
        self._waiting.append((item, answer))
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain(), name="group-commit")
        return await answer

    async def _drain(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:self.max_batch], self._waiting[self.max_batch:]
            try:
                results: Sequence[R | BaseException] = await asyncio.to_thread(
                    self._run_batch, [item for item, _ in batch])
            except asyncio.CancelledError:
                for _, answer in batch + self._waiting:
                    answer.cancel()
                raise
            except Exception as exc:  # noqa: BLE001 - reaches every caller of the batch
                results = [exc] * len(batch)
            for (_, answer), result in zip(batch, results, strict=True):
                if answer.done():  # the caller was cancelled (stopping); the work is committed anyway
                    continue
                if isinstance(result, BaseException):
                    answer.set_exception(result)
                else:
                    answer.set_result(result)
