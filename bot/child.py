"""A helper process of the bot, called over its standard input and output.

Why processes: the bot is one Python interpreter, so CPU-heavy work beside the
database thread (Bot API calls in python-telegram-bot, the model) shares one
core and one interpreter lock with it. `phananh serve` hands such work to
children on the other core: bot/channels/telegram_sender.py (the outbox's
Bot API calls) and bot/nlp_process.py (the analysis of messages).

The protocol is small: frames of a 4-byte length and a pickled `(id, method,
args)` call or `(id, ok, value)` answer; an exception travels as the value
and is raised in the bot. The parent reads and writes the pipes from its
event loop (no extra threads competing for the interpreter lock).

The pipe is also the child's lifeline: when the bot exits, even by SIGKILL,
the child reads end-of-file, finishes the calls in flight and stops.
`ChildProcess.run` raises if the child dies on its own, so the bot stops
loudly instead of waiting on answers that will never come.
"""
from __future__ import annotations

import asyncio
import itertools
import logging
import os
import pickle
import signal
import struct
import sys
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from bot.clock import unless_stopped

__all__ = ["ChildGone", "ChildProcess", "serve_calls", "child_main"]

LOG = logging.getLogger(__name__)
STOP_SECONDS = 15.0  # the child's grace to finish its calls after the pipe closes
_HEADER = struct.Struct(">I")
Method = Callable[..., Awaitable[Any]]


class ChildGone(ConnectionError):
    """The child process is not there (any more); callers fall back or retry later."""


def _frame(payload: Any) -> bytes:
    data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(data)) + data


async def _read_frame(reader: asyncio.StreamReader) -> Any | None:
    """The next frame's object, or None at end-of-file."""
    try:
        header = await reader.readexactly(_HEADER.size)
        return pickle.loads(await reader.readexactly(_HEADER.unpack(header)[0]))
    except asyncio.IncompleteReadError:
        return None


class ChildProcess:
    """The parent's side: `await call(method, *args)` runs `method` in `python -m module`."""

    def __init__(self, module: str, *, env: Mapping[str, str] | None = None) -> None:
        self.module = module
        self._env = dict(env or {})
        self._proc: asyncio.subprocess.Process | None = None
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._ids = itertools.count(1)
        self._reader: asyncio.Task[None] | None = None
        self._closing = False

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    async def start(self) -> None:
        """Start the child with this interpreter, working folder and path, plus `env`."""
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", self.module, env={**os.environ, **self._env},
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=2**26)
        self._reader = asyncio.create_task(self._read_answers(), name=f"{self.module}-answers")
        LOG.info("child process started module=%s pid=%d", self.module, self._proc.pid)

    async def call(self, method: str, *args: Any) -> Any:
        proc = self._proc
        if proc is None or proc.stdin is None or proc.returncode is not None or self._closing:
            raise ChildGone(f"{self.module} is not running")
        call_id = next(self._ids)
        answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[call_id] = answer
        try:
            proc.stdin.write(_frame((call_id, method, args)))
            await proc.stdin.drain()
            return await answer
        except (BrokenPipeError, ConnectionResetError) as exc:
            raise ChildGone(f"{self.module} went away") from exc
        finally:
            self._pending.pop(call_id, None)

    async def _read_answers(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        try:
            while (answer := await _read_frame(self._proc.stdout)) is not None:
                call_id, ok, value = answer
                future = self._pending.get(call_id)
                if future is None or future.done():
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)
        except Exception:  # a frame we cannot read: stop the child rather than wait on it forever
            LOG.exception("unreadable answer from child process module=%s", self.module)
            self._proc.kill()
        finally:
            for future in self._pending.values():  # nothing more will answer these
                if not future.done():
                    future.set_exception(ChildGone(f"{self.module} exited"))

    async def run(self, stop: asyncio.Event) -> None:
        """Return when `stop` is set; raise if the child exits before that."""
        if self._proc is None:
            raise RuntimeError(f"{self.module}: run before start")
        await unless_stopped(stop, self._proc.wait())
        if not stop.is_set() and not self._closing:
            raise RuntimeError(f"{self.module} exited with code {self._proc.returncode}")

    async def close(self) -> None:
        """Close the pipe (the child finishes its calls and exits), then reap it."""
        proc = self._proc
        if proc is None:
            return
        self._closing = True
        if proc.stdin is not None and not proc.stdin.is_closing():
            proc.stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), STOP_SECONDS)
        except TimeoutError:
            LOG.warning("child process did not stop in %.0fs, killed module=%s", STOP_SECONDS, self.module)
            proc.kill()
            await proc.wait()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)


# --- the child's side --------------------------------------------------------------------------
async def _answer(methods: Mapping[str, Method], call: tuple[int, str, tuple[Any, ...]],
                  out: asyncio.StreamWriter) -> None:
    call_id, method, args = call
    try:
        if method not in methods:
            raise ValueError(f"unknown method {method!r}")
        answer: tuple[int, bool, Any] = (call_id, True, await methods[method](*args))
    except Exception as exc:  # noqa: BLE001 - every failure goes back to the caller, which decides
        answer = (call_id, False, exc)
    try:
        data = _frame(answer)
        if not answer[1]:
            pickle.loads(data[_HEADER.size:])  # an exception that pickles but does not unpickle would kill the reader
    except Exception:  # noqa: BLE001 - such an exception still has to be reported, as text
        data = _frame((call_id, False, RuntimeError(repr(answer[2]))))
    out.write(data)
    await out.drain()


async def _pipes() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=2**26)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin.buffer)
    transport, protocol = await loop.connect_write_pipe(asyncio.streams.FlowControlMixin, sys.stdout.buffer)
    return reader, asyncio.StreamWriter(transport, protocol, None, loop)


async def serve_calls(methods: Mapping[str, Method]) -> None:
    """Answer the parent's calls until end-of-file on standard input, then finish those in flight."""
    reader, writer = await _pipes()
    calls: set[asyncio.Task[None]] = set()
    while (call := await _read_frame(reader)) is not None:
        task = asyncio.create_task(_answer(methods, call, writer))
        calls.add(task)
        task.add_done_callback(calls.discard)
    await asyncio.gather(*calls, return_exceptions=True)


def child_main(serve: Callable[[], Awaitable[None]], *, name: str) -> int:
    """A child's entry point: logs to stderr, ignores the signals meant for the bot, runs `serve`.

    Ctrl-C or a service manager's SIGTERM reaches the whole process group: the
    bot stops and closes our pipe, and we finish the calls in flight first.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO").upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    asyncio.run(serve())
    logging.getLogger(name).info("child process stopped")
    return 0
