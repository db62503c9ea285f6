"""Bot API calls in a process of their own (`OUTBOX_PROCESS=true`, the default).

Why: the bot is one Python process, so a citizen's update (parse, analyse,
file, commit) and the Bot API calls that deliver its reply and card share one
core; python-telegram-bot spends about a millisecond of CPU on each call. The
outbox sender stays in the bot (claiming and marking rows in the same database
thread as the updates, so SQLite's single writer is shared in turn), but the
calls themselves go to a child process on the other core.

`RemoteTelegram` is the bot's side: a ChannelAdapter whose `send` and
`fetch_file` are answered by `python -m bot.channels.telegram_sender`, which
runs the real TelegramAdapter (PTB, its rate limiter and connection pool).
They talk over the child's standard input and output in frames: a 4-byte
length, then a pickled `(id, method, args)` request or `(id, ok, value)`
answer; exceptions (RetryLater, Undeliverable, network errors) travel as
values and are raised in the bot, so the outbox treats them as before.

The pipe is also the child's lifeline: when the bot exits, even by SIGKILL,
the child reads end-of-file, finishes the calls in flight and stops. A child
that dies on its own stops the bot loudly (`RemoteTelegram.run` raises).
"""
from __future__ import annotations

import asyncio
import itertools
import logging
import os
import pickle
import struct
import sys
from typing import TYPE_CHECKING, Any

from bot.channels.base import ChannelName, Outbound

if TYPE_CHECKING:
    from bot.config import Settings

__all__ = ["RemoteTelegram", "main"]

LOG = logging.getLogger(__name__)
STOP_SECONDS = 15.0  # the child's grace to finish its calls after the pipe closes
METHODS = frozenset({"send", "fetch_file"})
_HEADER = struct.Struct(">I")


class SenderGone(ConnectionError):
    """The sender process is not there (any more): the outbox retries the row later."""


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


class RemoteTelegram:
    """ChannelAdapter for the outbox: the Bot API calls happen in the child process."""

    name = ChannelName.TELEGRAM

    def __init__(self, settings: Settings, *, rate_limited: bool = True) -> None:
        self._settings, self._rate_limited = settings, rate_limited
        self._proc: asyncio.subprocess.Process | None = None
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._ids = itertools.count(1)
        self._reader: asyncio.Task[None] | None = None
        self._closing = False

    async def start(self) -> None:
        """Start the child with the bot's own Telegram settings (not whatever the environment says)."""
        env = dict(os.environ)  # the same interpreter, working folder and path as the bot
        env.update(TELEGRAM_BOT_TOKEN=self._settings.telegram_bot_token,
                   TELEGRAM_API_BASE_URL=self._settings.telegram_api_base_url,
                   TELEGRAM_RATE_LIMIT="true" if self._rate_limited else "false",
                   LOG_LEVEL=self._settings.log_level)
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.channels.telegram_sender", env=env,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=2**26)
        self._reader = asyncio.create_task(self._read_answers(), name="telegram-sender-answers")
        LOG.info("telegram sender process started pid=%d", self._proc.pid)

    async def send(self, message: Outbound) -> str | None:
        return await self._call("send", message)  # type: ignore[no-any-return]

    async def fetch_file(self, file_id: str) -> bytes:
        return await self._call("fetch_file", file_id)  # type: ignore[no-any-return]

    async def _call(self, method: str, *args: Any) -> Any:
        proc = self._proc
        if proc is None or proc.stdin is None or proc.returncode is not None or self._closing:
            raise SenderGone("the telegram sender process is not running")
        call_id = next(self._ids)
        answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[call_id] = answer
        try:
            proc.stdin.write(_frame((call_id, method, args)))
            await proc.stdin.drain()
            return await answer
        except (BrokenPipeError, ConnectionResetError) as exc:
            raise SenderGone("the telegram sender process went away") from exc
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
            LOG.exception("unreadable answer from the telegram sender process")
            self._proc.kill()
        finally:
            for future in self._pending.values():  # nothing more will answer these
                if not future.done():
                    future.set_exception(SenderGone("the telegram sender process exited"))

    async def run(self, stop: asyncio.Event) -> None:
        """Return when `stop` is set; raise if the child exits before that."""
        if self._proc is None:
            raise RuntimeError("RemoteTelegram.run before start")
        exited = asyncio.ensure_future(self._proc.wait())
        stopped = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({exited, stopped}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopped.cancel()
            exited.cancel()
        if not stop.is_set() and not self._closing:
            raise RuntimeError(f"telegram sender process exited with code {self._proc.returncode}")

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
            LOG.warning("telegram sender process did not stop in %.0fs: killed", STOP_SECONDS)
            proc.kill()
            await proc.wait()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)


# --- the child --------------------------------------------------------------------------------
async def _answer(adapter: Any, call: tuple[int, str, tuple[Any, ...]], out: asyncio.StreamWriter) -> None:
    call_id, method, args = call
    try:
        if method not in METHODS:
            raise ValueError(f"unknown method {method!r}")
        answer: tuple[int, bool, Any] = (call_id, True, await getattr(adapter, method)(*args))
    except Exception as exc:  # noqa: BLE001 - every failure goes back to the outbox, which decides
        answer = (call_id, False, exc)
    try:
        data = _frame(answer)
        if not answer[1]:
            pickle.loads(data[_HEADER.size:])  # an exception that pickles but does not unpickle would kill the bot's reader
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


async def _serve(settings: Settings) -> None:
    from bot.channels.telegram import RateLimits, TelegramAdapter, build_application

    application = build_application(settings.telegram_bot_token, settings.telegram_api_base_url,
                                    rate_limits=RateLimits.from_settings(settings))
    reader, writer = await _pipes()
    calls: set[asyncio.Task[None]] = set()
    async with TelegramAdapter(application) as adapter:
        while (call := await _read_frame(reader)) is not None:
            task = asyncio.create_task(_answer(adapter, call, writer))
            calls.add(task)
            task.add_done_callback(calls.discard)
        await asyncio.gather(*calls, return_exceptions=True)


def main() -> int:
    import signal

    from bot.config import Settings

    # Ctrl-C or a service manager's SIGTERM to the whole group: the bot stops, closes
    # our pipe, and we finish the calls in flight before exiting.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    settings = Settings.from_env()
    logging.basicConfig(level=settings.log_level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    asyncio.run(_serve(settings))
    LOG.info("telegram sender process stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
