"""A local fake of the Zalo Bot Platform API, over real HTTP, with a control API.

Behaves as ZALO_APIS.md part A says the real one does: JSON answers
`{"ok": ..., "result" | "error_code", "description"}`; getUpdates hands out ONE
update and forgets it, or answers `ok: false, error_code: 408` in HTTP 200
after `timeout` seconds; while a webhook is set, updates are POSTed to it with
`X-Bot-Api-Secret-Token` (wrapped `{"ok": true, "result": update}` or bare,
per update) until a 2xx; sendMessage refuses texts over 2000 characters;
sendPhoto takes only an http(s) URL.

In-process: `async with FakeZaloBotServer() as server`; tests call its methods
(`user_says`, `sent_to`, `wait_sent`, `fail`) or the same over HTTP:

    POST /_test/updates   {"chat_id", "user_id", "text" | "photo_url" | "event", "chat_type", "wrapped"}
    GET  /_test/sent      ?chat_id=&after=   what the bot sent
    GET  /_test/calls     ?method=           every API call with its parameters
    POST /_test/faults    {"method", "error_code", "description", "times"}
    GET  /_test/files/{name}                 a JPEG for photo URLs
"""
from __future__ import annotations

import asyncio
import contextlib
import itertools
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web

from tests.fakes.loopback import LoopbackSite

__all__ = ["TOKEN", "FakeZaloBotServer", "SentMessage"]

TOKEN = "1459232241454765289:fake-zalo-bot-secret"
JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")  # a tiny valid-looking JPEG


@dataclass
class SentMessage:
    seq: int
    method: str
    chat_id: str
    text: str
    photo: str = ""
    message_id: str = ""


@dataclass
class Fault:
    method: str
    error_code: int
    description: str = "fault"
    times: int = 1


@dataclass
class _State:
    pending: list[dict[str, Any]] = field(default_factory=list)
    sent: list[SentMessage] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    webhook_url: str = ""
    webhook_secret: str = ""
    handed_out: int = 0


class FakeZaloBotServer:
    def __init__(self, *, token: str = TOKEN, host: str = "127.0.0.1") -> None:
        self.token = token
        self.host = host
        self.port = 0
        self.state = _State()
        self._changed = asyncio.Condition()
        self._seq = itertools.count(1)
        self._site = LoopbackSite(self.host)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def file_url(self, name: str) -> str:
        return f"{self.url}/_test/files/{name}.jpg"

    # -- lifecycle -------------------------------------------------------------------
    async def __aenter__(self) -> FakeZaloBotServer:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._api)
        app.router.add_get("/bot{token}/{method}", self._api)
        app.router.add_post("/_test/updates", self._ctl_updates)
        app.router.add_get("/_test/sent", self._ctl_sent)
        app.router.add_get("/_test/calls", self._ctl_calls)
        app.router.add_post("/_test/faults", self._ctl_faults)
        app.router.add_get("/_test/files/{name}", self._file)
        self.port = await self._site.start(app, self._push())
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._site.stop()

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def _wait(self, predicate: Any, timeout: float) -> bool:
        async with self._changed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait_for(predicate), timeout)
        return bool(predicate())

    # -- what a person does ------------------------------------------------------------
    def update(self, chat_id: str, *, user_id: str | None = None, text: str | None = None,
               photo_url: str | None = None, event: str | None = None, chat_type: str = "PRIVATE",
               name: str = "", wrapped: bool = False, message_id: str | None = None) -> dict[str, Any]:
        user_id = user_id or chat_id
        message: dict[str, Any] = {
            "from": {"id": user_id, "display_name": name or f"Người {user_id[-4:]}", "is_bot": False},
            "chat": {"id": chat_id, "chat_type": chat_type},
            "message_id": message_id or secrets.token_hex(10), "date": int(time.time() * 1000)}
        if photo_url is not None:
            event = event or "message.image.received"
            message.update(message_type="CHAT_PHOTO", photo_url=photo_url, caption=text or "")
        elif text is not None:
            event = event or "message.text.received"
            message["text"] = text
        elif event == "message.sticker.received":
            message["sticker"] = "bfe458bf64fa8da4d4eb"
        body = {"event_name": event or "message.unsupported.received", "message": message}
        return {"ok": True, "result": body, "_wrapped": True} if wrapped else body

    async def push(self, update: dict[str, Any]) -> str:
        self.state.pending.append(update)
        await self._notify()
        inner = update.get("result", update)
        return str(inner["message"]["message_id"])

    async def user_says(self, chat_id: str, text: str | None = None, **kw: Any) -> str:
        return await self.push(self.update(chat_id, text=text, **kw))

    # -- what the bot sent ---------------------------------------------------------------
    def last_seq(self) -> int:
        return self.state.sent[-1].seq if self.state.sent else 0

    def sent_to(self, chat_id: str | None = None, after: int = 0) -> list[SentMessage]:
        return [m for m in self.state.sent if m.seq > after and (chat_id is None or m.chat_id == chat_id)]

    async def wait_sent(self, chat_id: str, predicate: Any = None, *, after: int = 0,
                        timeout: float = 15) -> SentMessage:
        def found() -> SentMessage | None:
            return next((m for m in self.sent_to(chat_id, after) if predicate is None or predicate(m)), None)
        if not await self._wait(lambda: found() is not None, timeout):
            texts = [m.text[:80] for m in self.sent_to(chat_id, after)]
            raise AssertionError(f"nothing matching sent to {chat_id} after {after}: {texts}")
        return found()  # type: ignore[return-value]

    def fail(self, method: str, error_code: int, description: str = "fault", times: int = 1) -> None:
        self.state.faults.append(Fault(method, error_code, description, times))

    # -- the API ------------------------------------------------------------------------
    def _error(self, code: int, description: str, status: int = 200) -> web.Response:
        return web.json_response({"ok": False, "error_code": code, "description": description}, status=status)

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._error(401, "Unauthorized", 401)
        method = request.match_info["method"]
        params: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            params.update(await request.json() if request.content_type == "application/json"
                          else dict(await request.post()))
        self.state.calls.append({"method": method, "params": params})
        for fault in self.state.faults:
            if fault.method == method and fault.times > 0:
                fault.times -= 1
                return self._error(fault.error_code, fault.description)
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return self._error(404, "Not Found")
        return await handler(params)

    async def _m_getMe(self, params: dict[str, Any]) -> web.Response:
        return web.json_response({"ok": True, "result": {
            "id": self.token.split(":")[0], "account_name": "bot.PhanAnhCaMau", "account_type": "BASIC",
            "can_join_groups": True}})

    async def _m_getUpdates(self, params: dict[str, Any]) -> web.Response:
        if self.state.webhook_url:
            return self._error(409, "Conflict: webhook is set")  # undocumented in the real API
        timeout = float(params.get("timeout", 30))
        if not await self._wait(lambda: bool(self.state.pending), timeout):
            return self._error(408, "Request timeout")
        update = self.state.pending.pop(0)  # dequeued when handed out: no acknowledgement
        self.state.handed_out += 1
        update.pop("_wrapped", None)
        return web.json_response({"ok": True, "result": update.get("result", update)})

    async def _m_setWebhook(self, params: dict[str, Any]) -> web.Response:
        secret = str(params.get("secret_token", ""))
        if not str(params.get("url", "")).startswith("http") or not 8 <= len(secret) <= 256:
            return self._error(400, "Bad Request: invalid url or secret_token")
        self.state.webhook_url, self.state.webhook_secret = str(params["url"]), secret
        await self._notify()
        return web.json_response({"ok": True, "result": {"url": params["url"], "updated_at": 1}})

    async def _m_deleteWebhook(self, params: dict[str, Any]) -> web.Response:
        self.state.webhook_url = ""
        return web.json_response({"ok": True, "result": {"url": "", "updated_at": 1}})

    async def _m_getWebhookInfo(self, params: dict[str, Any]) -> web.Response:
        return web.json_response({"ok": True, "result": {"url": self.state.webhook_url, "updated_at": 1}})

    async def _record(self, method: str, chat_id: str, text: str, photo: str = "") -> web.Response:
        message_id = secrets.token_hex(10)
        self.state.sent.append(SentMessage(next(self._seq), method, chat_id, text, photo, message_id))
        await self._notify()
        return web.json_response({"ok": True, "result": {"message_id": message_id, "date": int(time.time() * 1000)}})

    async def _m_sendMessage(self, params: dict[str, Any]) -> web.Response:
        text = str(params.get("text", ""))
        if not params.get("chat_id") or not 1 <= len(text) <= 2000:
            return self._error(400, "Bad Request: text must be 1-2000 characters")
        return await self._record("sendMessage", str(params["chat_id"]), text)

    async def _m_sendPhoto(self, params: dict[str, Any]) -> web.Response:
        photo = str(params.get("photo", ""))
        if not photo.startswith(("http://", "https://")):
            return self._error(400, "The photo must start with http:// or https://")
        return await self._record("sendPhoto", str(params.get("chat_id")), str(params.get("caption", "")), photo)

    async def _m_sendChatAction(self, params: dict[str, Any]) -> web.Response:
        return web.json_response({"ok": True})

    async def _file(self, request: web.Request) -> web.Response:
        return web.Response(body=JPEG, content_type="image/jpeg")

    # -- webhook delivery -------------------------------------------------------------------
    async def _push(self) -> None:
        async with ClientSession(timeout=ClientTimeout(total=10)) as session:
            while True:
                await self._wait(lambda: bool(self.state.webhook_url and self.state.pending), 1.0)
                if not (self.state.webhook_url and self.state.pending):
                    continue
                update = dict(self.state.pending[0])
                update.pop("_wrapped", None)
                try:
                    async with session.post(self.state.webhook_url, json=update,
                                            headers={"X-Bot-Api-Secret-Token": self.state.webhook_secret}) as r:
                        ok = 200 <= r.status < 300
                except Exception:  # noqa: BLE001 - any failure: deliver again
                    ok = False
                if ok:
                    self.state.pending.pop(0)
                    self.state.handed_out += 1
                    await self._notify()
                else:
                    await asyncio.sleep(0.1)

    # -- control API over HTTP ------------------------------------------------------------------
    async def _ctl_updates(self, request: web.Request) -> web.Response:
        spec = await request.json()
        message_id = await self.push(self.update(str(spec.pop("chat_id")), **spec))
        return web.json_response({"message_id": message_id})

    async def _ctl_sent(self, request: web.Request) -> web.Response:
        rows = self.sent_to(request.query.get("chat_id"), int(request.query.get("after", 0)))
        return web.json_response([m.__dict__ for m in rows])

    async def _ctl_calls(self, request: web.Request) -> web.Response:
        method = request.query.get("method")
        return web.json_response([c for c in self.state.calls if method is None or c["method"] == method])

    async def _ctl_faults(self, request: web.Request) -> web.Response:
        self.fail(**await request.json())
        return web.json_response({"ok": True})
