"""The Telegram channel: python-telegram-bot 22.8 at the edge, plain Inbound/Outbound inside.

What PTB is used for, and what not (checked against PTB 22.8's source):

- The Application gives us the configured Bot (base_url from
  TELEGRAM_API_BASE_URL, the AIORateLimiter, connection pools) and its
  lifecycle. No persistence, no ConversationHandler: conversation state lives
  in the database.
- PTB's Updater is NOT used for polling. It puts fetched updates in a queue and
  asks Telegram for the next batch with `offset = last_id + 1` right away
  (ext/_updater.py, `polling_action_cb`), which confirms the batch to Telegram
  before any handler ran — a crash then loses those updates. And
  `Application.process_update` swallows handler exceptions, so the caller
  cannot know whether the effects were committed. Our poller
  (telegram_polling.py) confirms an update only after `runtime.process`
  returned, i.e. after COMMIT; the webhook server answers 200 only then.
- One generic update handler, `TelegramAdapter.handle_update`, serves both.
"""
from __future__ import annotations

import asyncio
import logging
import signal
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.exc import InterfaceError, OperationalError
from telegram import Bot, CallbackQuery, Update
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder

from bot.channels.base import ChannelName, Inbound, Outbound
from bot.channels.telegram_document import fetch_file, send_documents
from bot.channels.telegram_parse import to_inbound
from bot.channels.telegram_request import AiohttpRequest
from bot.channels.telegram_send import send_outbound
from bot.clock import sleep_unless

if TYPE_CHECKING:
    from bot.runtime import Runtime

__all__ = ["RateLimits", "TelegramAdapter", "api_urls", "build_application", "serve", "run"]

LOG = logging.getLogger(__name__)
Process = Callable[[Inbound], Awaitable[None]]
# Bot API calls in flight at once (outbox sends, callback answers); 16 on a ~100 ms
# round trip already exceed Telegram's 30 messages/s.
CONNECTION_POOL = 16
POISON_ATTEMPTS = 3  # an update failing this often for a non-transient reason is given up
MAX_BACKOFF_SECONDS = 30.0
# Failures that say "the database is away or busy", not "this update is bad": retried forever.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError, InterfaceError, TimeoutError, ConnectionError)


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Telegram's flood limits as PTB's AIORateLimiter applies them; `None` turns it off.

    Off only against a local fake (tests, benchmark): the real API bans bots
    that exceed 30 messages/s overall or 20/min in one group.
    """

    overall_per_second: float = 30
    group_per_minute: float = 20

    @classmethod
    def from_settings(cls, settings: object) -> RateLimits | None:
        """Telegram's limits unless TELEGRAM_RATE_LIMIT=false (a local fake only)."""
        return cls() if getattr(settings, "telegram_rate_limit", True) else None


def api_urls(base_url: str) -> tuple[str, str]:
    """PTB's (base_url, base_file_url) from TELEGRAM_API_BASE_URL.

    Accepts PTB's form ("https://api.telegram.org/bot", the token is appended)
    or a server root ("http://127.0.0.1:8081", as a self-hosted Bot API server
    is usually given).
    """
    root = base_url.rstrip("/")
    root = root.removesuffix("/bot")
    return f"{root}/bot", f"{root}/file/bot"


def build_application(token: str, base_url: str, *,
                      rate_limits: RateLimits | None = RateLimits()) -> Application:  # noqa: B008
    api, files = api_urls(base_url)
    builder = (ApplicationBuilder().token(token).base_url(api).base_file_url(files)
               .updater(None).persistence(None).concurrent_updates(False)
               # PTB's own HTTP layer on aiohttp (telegram_request.py): same Bot, ~4x less CPU per call
               .request(AiohttpRequest(connection_pool_size=CONNECTION_POOL, pool_timeout=10))
               .get_updates_request(AiohttpRequest(connection_pool_size=1)))
    if rate_limits is not None:
        builder = builder.rate_limiter(AIORateLimiter(
            overall_max_rate=rate_limits.overall_per_second, overall_time_period=1,
            group_max_rate=rate_limits.group_per_minute, group_time_period=60))
    return builder.build()


class TelegramAdapter:
    """ChannelAdapter for the outbox sender, and the one handler of every incoming Update."""

    name = ChannelName.TELEGRAM

    def __init__(self, application: Application, process: Process | None = None, *,
                 error_text: str = "", retry_base_seconds: float = 0.5) -> None:
        self.application = application
        self._process = process
        self._error_text = error_text
        self._retry_base = retry_base_seconds
        self.stopping = asyncio.Event()
        self.username = ""
        self._chat_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = \
            weakref.WeakValueDictionary()

    @property
    def bot(self) -> Bot:
        return self.application.bot

    async def start(self) -> None:
        await self.application.initialize()  # getMe: checks the token, learns our username
        self.username = self.bot.username

    async def stop(self) -> None:
        self.stopping.set()
        await self.application.shutdown()

    async def __aenter__(self) -> TelegramAdapter:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- outgoing ------------------------------------------------------------------
    async def send(self, message: Outbound) -> str | None:
        if message.documents:  # files first, then the text that explains them
            await send_documents(self.bot, message)
        return await send_outbound(self.bot, message)

    async def fetch_file(self, file_id: str) -> bytes:
        """A file a user sent (a submitted report), for scheduler.report_files."""
        return await fetch_file(self.bot, file_id)

    # -- incoming ------------------------------------------------------------------
    def to_inbound(self, update: Update) -> Inbound | None:
        return to_inbound(update, bot_username=self.username)

    async def handle_update(self, update: Update) -> bool:
        """Process one update; True when it may be acknowledged to Telegram.

        True after `process` committed, or for an update with nothing to act
        on, or for a poison update given up after POISON_ATTEMPTS (the person
        is told to try again). False only when we are stopping before commit:
        Telegram will deliver it again.
        """
        inbound = self.to_inbound(update)
        if inbound is None:
            return True
        if self._process is None:
            raise RuntimeError("TelegramAdapter has no process callable")
        lock = self._chat_locks.setdefault(inbound.chat_id, asyncio.Lock())
        async with lock:  # one chat's updates run in order; chats run side by side
            done = await self._process_with_retries(inbound)
        if done and update.callback_query is not None:
            await self._answer(update.callback_query)
        return done

    async def _process_with_retries(self, inbound: Inbound) -> bool:
        attempt = 0
        while True:
            try:
                await self._process(inbound)  # type: ignore[misc]
                return True
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - every failure is decided on below
                attempt += 1
                transient = isinstance(exc, TRANSIENT_ERRORS)
                LOG.warning("update failed delivery_id=%s attempt=%d transient=%s error=%r",
                            inbound.delivery_id, attempt, transient, exc,
                            exc_info=not transient)
                if not transient and attempt >= POISON_ATTEMPTS:
                    LOG.error("update given up delivery_id=%s", inbound.delivery_id)
                    await self._tell_failure(inbound)
                    return True
            delay = min(MAX_BACKOFF_SECONDS, self._retry_base * 2 ** (attempt - 1))
            if await sleep_unless(self.stopping, delay):
                return False

    async def _answer(self, query: CallbackQuery) -> None:
        """Stop the button's spinner; the real answer arrives as a message via the outbox."""
        try:
            await query.answer()
        except TelegramError as exc:  # too old, already answered: harmless
            LOG.info("callback answer failed id=%s error=%s", query.id, exc)

    async def _tell_failure(self, inbound: Inbound) -> None:
        if not self._error_text:
            return
        try:
            await self.bot.send_message(int(inbound.chat_id), self._error_text)
        except (TelegramError, ValueError) as exc:
            LOG.warning("could not tell about failure chat_id=%s error=%s", inbound.chat_id, exc)


def _install_signal_handlers(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # not the main thread / platform
            pass


async def serve(runtime: Runtime, *, stop: asyncio.Event | None = None,
                rate_limits: RateLimits | None = RateLimits(),  # noqa: B008
                ready: asyncio.Event | None = None, outbox_process: bool = False) -> None:
    """Run the Telegram bot and the outbox sender until `stop` (or SIGINT/SIGTERM).

    With `outbox_process` the outbox's Bot API calls run in a child process
    (telegram_sender.py), on the other core; otherwise here.
    """
    from bot.channels.telegram_polling import Poller
    from bot.channels.telegram_sender import RemoteTelegram
    from bot.channels.telegram_webhook import WebhookServer
    from bot.outbox import OutboxSender
    from handlers import texts_citizen
    from scheduler.report_files import FileFetcher

    settings = runtime.settings
    if stop is None:
        stop = asyncio.Event()
        _install_signal_handlers(stop)
    runtime.install_db_executor()
    await runtime.start_children()
    application = build_application(settings.telegram_bot_token,
                                     settings.telegram_api_base_url, rate_limits=rate_limits)
    failed_text = getattr(texts_citizen, "PROCESSING_FAILED", texts_citizen.GENERIC_ERROR)
    adapter = TelegramAdapter(application, runtime.process, error_text=failed_text)
    remote = RemoteTelegram(settings, rate_limited=rate_limits is not None) if outbox_process else None
    async with adapter:
        if settings.webhook_url:
            receiver: Poller | WebhookServer = WebhookServer.from_settings(adapter, settings)
        else:
            receiver = Poller(adapter.bot, adapter.handle_update)
        LOG.info("telegram bot started mode=%s username=%s outbox_process=%s",
                 "webhook" if settings.webhook_url else "polling", adapter.bot.username, outbox_process)
        tasks: list[asyncio.Task[None]] = []
        if remote is not None:
            await remote.start()
            tasks.append(asyncio.create_task(remote.run(stop), name="telegram-sender-process"))
        delivery = remote or adapter  # who makes the Bot API calls of the outbox
        sender = OutboxSender(runtime, {ChannelName.TELEGRAM: delivery})
        fetcher = FileFetcher(runtime, {ChannelName.TELEGRAM.value: delivery.fetch_file})  # submitted report files
        tasks += [asyncio.create_task(sender.run(stop), name="outbox-sender"),
                  asyncio.create_task(fetcher.run(stop), name="report-file-fetcher"),
                  asyncio.create_task(receiver.run(stop, ready=ready), name="telegram-receiver")]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
            for task in done:
                task.result()  # a crashed task stops the bot loudly
        finally:
            stop.set()
            adapter.stopping.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            if remote is not None:
                await remote.close()
            await runtime.close_children()
    LOG.info("telegram bot stopped")


def run(runtime: Runtime) -> int:
    """Entry point of `phananh serve` when TELEGRAM_BOT_TOKEN is set."""
    asyncio.run(serve(runtime, rate_limits=RateLimits.from_settings(runtime.settings),
                      outbox_process=runtime.settings.outbox_process))
    return 0
