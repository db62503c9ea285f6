"""The Zalo Official Account channel (Open API v3): signed webhook in, message/cs out.

Incoming: the webhook checks X-ZEvent-Signature on the raw bytes (401 and no
change otherwise), stores the event (`ZaloOaEvent`, keyed by its delivery id,
so a retried delivery is stored once) and opens the follower's messaging
window in the same small transaction, then answers 200 at once: Zalo retries a
slow webhook for hours and then disables it, and the NLP and the ticket work
must not stand in the way. A worker (`run_events`) processes stored events in
order through `runtime.process` (whose delivery-id record makes a second run
of the same event a no-op), then releases the notifications held for that
follower.

Outgoing (`send`): inside the window, `message/cs` with the access token from
the database (refreshed once, under a lock, when Zalo says it is invalid);
photos are downloaded and uploaded first; buttons become numbered lines.
Outside the window: a ZNS template when configured and the phone is known,
else held (zalo_oa_window.py).
"""
from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING, Any

import httpx
from aiohttp import web
from sqlalchemy import select

from bot.channels.base import ChannelName, Outbound, RetryLater, Undeliverable
from bot.channels.zalo_bot import is_public_url
from bot.channels.zalo_bot_parse import split_text
from bot.channels.zalo_common import InboundWorker
from bot.channels.zalo_menu import number_buttons, remember_message_id
from bot.channels.zalo_models import ZaloOaEvent
from bot.channels.zalo_oa_api import OUTSIDE_WINDOW, OaApi, OaError
from bot.channels.zalo_oa_parse import SIGNATURE_HEADER, delivery_id, to_inbound, user_of, verify
from bot.channels.zalo_oa_tokens import TokenStore
from bot.channels.zalo_oa_window import hold, opened, release_held, take_window, zns_target
from bot.clock import wait_for_wake
from handlers import texts_zalo as tz

if TYPE_CHECKING:
    from bot.runtime import Runtime

__all__ = ["ZaloOaAdapter"]

LOG = logging.getLogger(__name__)
EVENT_BATCH = 50


class ZaloOaAdapter:
    name = ChannelName.ZALO_OA

    def __init__(self, runtime: Runtime, api: OaApi, tokens: TokenStore) -> None:
        self.runtime = runtime
        self.api = api
        self.tokens = tokens
        self.worker = InboundWorker(runtime)
        self._wake = asyncio.Event()

    @classmethod
    def build(cls, runtime: Runtime, *, transport: httpx.AsyncBaseTransport | None = None) -> ZaloOaAdapter:
        z = runtime.settings.zalo
        api = OaApi(api_base_url=z.oa_api_base_url, oauth_base_url=z.oauth_base_url, zns_base_url=z.zns_base_url,
                    transport=transport)
        tokens = TokenStore(runtime.session_factory, api, runtime.clock, app_id=z.oa_app_id,
                            app_secret=z.oa_app_secret, first_access=z.oa_access_token,
                            first_refresh=z.oa_refresh_token)
        return cls(runtime, api, tokens)

    async def close(self) -> None:
        await self.api.close()

    # -- incoming --------------------------------------------------------------------
    async def webhook(self, request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        settings = self.runtime.settings.zalo
        if not isinstance(body, dict) or not verify(raw, body, request.headers.get(SIGNATURE_HEADER),
                                                    settings.oa_secret_key) \
                or str(body.get("app_id", "")) != settings.oa_app_id:
            LOG.warning("zalo oa webhook refused: bad or missing signature remote=%s", request.remote)
            return web.Response(status=401)
        await asyncio.to_thread(self.record, body)
        self._wake.set()
        return web.Response(status=200)

    def record(self, body: dict[str, Any]) -> bool:
        """Store the event once and open the window; False for a retried delivery."""
        key = delivery_id(body)
        now = self.runtime.clock.now()
        with self.runtime.session_factory.begin() as session:
            if session.get(ZaloOaEvent, key) is not None:
                return False
            session.add(ZaloOaEvent(delivery_id=key, body=body, received_at=now, processed_at=None, attempts=0))
            if str(body.get("event_name", "")).startswith("user_send_") and user_of(body):
                opened(session, user_of(body), now)
            session.flush()
        return True

    async def run_events(self, stop: asyncio.Event) -> None:
        """Process stored events until `stop`; woken by the webhook, polling once a second."""
        while not stop.is_set():
            self._wake.clear()
            try:
                await self.process_pending()
            except Exception:  # the database is away: try again after the pause
                LOG.exception("zalo oa events failed")
            await wait_for_wake(self._wake, stop, 1.0)

    async def process_pending(self) -> int:
        events = await asyncio.to_thread(self._pending)
        for key, body in events:
            inbound = to_inbound(body)
            if inbound is not None and not await self.worker.handle(inbound):
                return 0  # stopping before commit: the event stays pending
            released = await asyncio.to_thread(self._done, key, user_of(body) if inbound else "")
            if released:
                self.runtime.wake_outbox()
        return len(events)

    def _pending(self) -> list[tuple[str, dict[str, Any]]]:
        with self.runtime.session_factory() as session:
            rows = session.scalars(select(ZaloOaEvent).where(ZaloOaEvent.processed_at.is_(None))
                                   .order_by(ZaloOaEvent.received_at, ZaloOaEvent.delivery_id).limit(EVENT_BATCH))
            return [(r.delivery_id, r.body) for r in rows]

    def _done(self, key: str, user_id: str) -> int:
        now = self.runtime.clock.now()
        with self.runtime.session_factory.begin() as session:
            event = session.get(ZaloOaEvent, key)
            if event is not None:
                event.processed_at, event.attempts = now, event.attempts + 1
            return release_held(session, user_id, now=now) if user_id else 0

    # -- outgoing --------------------------------------------------------------------
    async def send(self, message: Outbound) -> str | None:
        now = self.runtime.clock.now()
        z = self.runtime.settings.zalo
        text, choice_ids = await asyncio.to_thread(
            number_buttons, self.runtime.session_factory, self.name, message.chat_id, message.text,
            message.buttons, now=now)
        urls = [p for p in message.photos if is_public_url(p)]
        if len(urls) < len(message.photos):
            text = f"{text}\n{tz.photos_not_shown(len(message.photos) - len(urls))}"
        if message.documents:  # Zalo cannot receive a file from us here: name it in the text
            text = f"{text}\n{tz.documents_not_sent([d.name for d in message.documents])}"
        parts = split_text(text)
        inside = await asyncio.to_thread(take_window, self.runtime.session_factory, message.chat_id, now=now,
                                         hours=z.oa_window_hours, limit=z.oa_window_messages,
                                         count=len(parts) + len(urls))
        if not inside:
            return await self._outside(message)
        try:
            message_id = await self._send_parts(message.chat_id, parts, urls)
        except OaError as exc:
            if exc.code == OUTSIDE_WINDOW:  # Zalo's count differs from ours: Zalo is right
                return await self._outside(message)
            raise self._delivery_error(exc, message.chat_id) from exc
        await asyncio.to_thread(remember_message_id, self.runtime.session_factory, choice_ids, message_id)
        return message_id

    async def _send_parts(self, user_id: str, parts: list[str], urls: list[str]) -> str | None:
        message_id: str | None = None
        for url in urls:
            content = await self.api.download(url)
            attachment = await self._authorized(lambda t, c=content: self.api.upload_image(t, c))
            media = {"attachment": {"type": "template", "payload": {"template_type": "media", "elements": [
                {"media_type": "image", "attachment_id": attachment}]}}}
            message_id = await self._authorized(lambda t, m=media: self.api.send_cs(t, user_id, m))
        for part in parts:
            message_id = await self._authorized(lambda t, p=part: self.api.send_cs(t, user_id, {"text": p}))
        return message_id

    async def _authorized(self, call):  # type: ignore[no-untyped-def]
        """Run `call(access_token)`; when Zalo calls the token invalid, refresh once and run it again."""
        token = await asyncio.to_thread(self.tokens.current)
        try:
            return await call(token.value)
        except OaError as exc:
            if not exc.token_invalid:
                raise
        fresh = await asyncio.to_thread(self.tokens.refresh, token.generation)
        return await call(fresh.value)

    async def _outside(self, message: Outbound) -> str:
        z = self.runtime.settings.zalo
        target = await asyncio.to_thread(zns_target, self.runtime.session_factory, message.chat_id, message.text) \
            if z.zns_template_id else None
        if target is not None:
            phone, data = target
            try:
                msg_id = await self._authorized(lambda t: self.api.send_zns(
                    t, phone, z.zns_template_id, data, tracking_id=f"{message.chat_id}:{data['ma_phieu']}"))
                LOG.info("zalo oa outside window: sent as ZNS user=%s", message.chat_id)
                return f"zns:{msg_id}"[:64]
            except OaError as exc:
                LOG.warning("zalo oa ZNS failed, holding instead user=%s error=%s", message.chat_id, exc)
        held = await asyncio.to_thread(hold, self.runtime.session_factory, message, now=self.runtime.clock.now())
        LOG.info("zalo oa outside window: held id=%s user=%s", held, message.chat_id)
        return f"held:{held}"

    def _delivery_error(self, exc: OaError, chat_id: str) -> RetryLater | Undeliverable:
        if exc.code == 0 or exc.token_invalid:
            return RetryLater(str(exc), channel=self.name, chat_id=chat_id, retry_after=2.0)
        return Undeliverable(str(exc), channel=self.name, chat_id=chat_id)
