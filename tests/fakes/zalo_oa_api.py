"""A local fake of the Zalo OA Open API v3, OAuth v4 and ZNS, over real HTTP, with a control API.

As ZALO_APIS.md part B says the real ones behave: HTTP 200 always, `error` 0
on success; `access_token` header; -216 for an invalid/expired access token;
-230 outside the messaging window; the refresh token is SINGLE-USE (a second
use gets an error and the count of refreshes is kept, so a test sees whether
two instances burned it); `expires_in` is a string. It also signs and POSTs
follower events to the bot's webhook like Zalo does.

In-process: `async with FakeZaloOaServer(app_id=..., oa_secret=...) as oa`;
`await oa.follower_says(webhook_url, user_id, text)`, `oa.sent_to(user_id)`,
`oa.expire_access_token()`; over HTTP: GET /_test/sent, GET /_test/state.
"""
from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientSession, web

from tests.fakes.loopback import LoopbackSite

from bot.channels.zalo_oa_parse import signature

__all__ = ["FakeZaloOaServer", "OaSent"]


@dataclass
class OaSent:
    seq: int
    user_id: str
    text: str
    attachment_id: str = ""
    kind: str = "cs"  # "cs" or "zns"
    phone: str = ""


@dataclass
class _Tokens:
    access: str
    refresh: str
    refreshes: int = 0
    reused_refresh: int = 0
    burned: set[str] = field(default_factory=set)


class FakeZaloOaServer:
    def __init__(self, *, app_id: str, oa_secret: str, app_secret: str, oa_id: str = "388613280878808645",
                 refresh_delay: float = 0.2) -> None:
        self.app_id, self.oa_secret, self.app_secret, self.oa_id = app_id, oa_secret, app_secret, oa_id
        self.tokens = _Tokens(access="acc-1", refresh="ref-1")
        self.refresh_delay = refresh_delay  # a slow OAuth answer widens any race window
        self.sent: list[OaSent] = []
        self.uploads: list[bytes] = []
        self.outside_window: set[str] = set()  # users Zalo answers -230 for
        self._seq = itertools.count(1)
        self._lock = threading.Lock()
        self._changed = asyncio.Condition()
        self._site = LoopbackSite()
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> FakeZaloOaServer:
        app = web.Application()
        app.router.add_post("/v3.0/oa/message/cs", self._cs)
        app.router.add_post("/v2.0/oa/upload/image", self._upload)
        app.router.add_post("/v4/oa/access_token", self._refresh)
        app.router.add_post("/message/template", self._zns)
        app.router.add_get("/_test/sent", self._ctl_sent)
        app.router.add_get("/_test/state", self._ctl_state)
        self.port = await self._site.start(app)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._site.stop()

    # -- control ---------------------------------------------------------------------
    def expire_access_token(self) -> None:
        self.tokens.access = f"acc-expired-{secrets.token_hex(2)}"  # what the bot holds is now invalid

    def sent_to(self, user_id: str, after: int = 0) -> list[OaSent]:
        return [s for s in self.sent if s.user_id == user_id and s.seq > after]

    def last_seq(self) -> int:
        return self.sent[-1].seq if self.sent else 0

    async def wait_sent(self, user_id: str, predicate: Any = None, *, after: int = 0, timeout: float = 15) -> OaSent:
        def found() -> OaSent | None:
            return next((s for s in self.sent_to(user_id, after) if predicate is None or predicate(s)), None)
        async with self._changed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait_for(lambda: found() is not None), timeout)
        hit = found()
        if hit is None:
            raise AssertionError(f"nothing matching sent to {user_id}: {[s.text[:60] for s in self.sent_to(user_id)]}")
        return hit

    def event(self, user_id: str, *, text: str | None = None, image_url: str | None = None,
              event: str | None = None, msg_id: str | None = None,
              location: tuple[str, str] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"app_id": self.app_id, "user_id_by_app": "5521" + user_id[-6:],
                                "timestamp": str(int(time.time() * 1000)), "sender": {"id": user_id},
                                "recipient": {"id": self.oa_id}}
        message: dict[str, Any] = {"msg_id": msg_id or secrets.token_hex(10)}
        if image_url is not None:
            body["event_name"] = "user_send_image"
            message["attachments"] = [{"type": "image", "payload": {"url": image_url, "thumbnail": image_url}}]
            if text:
                message["text"] = text
        elif location is not None:
            body["event_name"] = "user_send_location"
            message["attachments"] = [{"type": "location", "payload": {
                "coordinates": {"latitude": location[0], "longitude": location[1]}}}]
        else:
            body["event_name"] = event or "user_send_text"
            if text is not None:
                message["text"] = text
        body["message"] = message
        return body

    def sign(self, raw: bytes, body: dict[str, Any]) -> str:
        return signature(body["app_id"], raw, body["timestamp"], self.oa_secret)

    async def deliver(self, webhook_url: str, body: dict[str, Any], *, signature_header: str | None = "good",
                      raw: bytes | None = None) -> int:
        """POST an event as Zalo does; returns the HTTP status the bot answered."""
        raw = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json"}
        if signature_header == "good":
            headers["X-ZEvent-Signature"] = self.sign(raw, body)
        elif signature_header is not None:
            headers["X-ZEvent-Signature"] = signature_header
        async with ClientSession() as session, session.post(webhook_url, data=raw, headers=headers) as r:
            return r.status

    async def follower_says(self, webhook_url: str, user_id: str, text: str | None = None, **kw: Any) -> int:
        return await self.deliver(webhook_url, self.event(user_id, text=text, **kw))

    # -- the API -----------------------------------------------------------------------
    async def _record(self, sent: OaSent) -> None:
        self.sent.append(sent)
        async with self._changed:
            self._changed.notify_all()

    def _bad_token(self, request: web.Request) -> web.Response | None:
        if request.headers.get("access_token") != self.tokens.access:
            return web.json_response({"error": -216, "message": "Access token is invalid"})
        return None

    async def _cs(self, request: web.Request) -> web.Response:
        if (bad := self._bad_token(request)) is not None:
            return bad
        body = await request.json()
        user_id = str(body["recipient"]["user_id"])
        if user_id in self.outside_window:
            return web.json_response({"error": OUTSIDE_WINDOW_CODE, "message": "User has not interacted"})
        message = body["message"]
        text = str(message.get("text", ""))
        if len(text) > 2000:
            return web.json_response({"error": -201, "message": "text too long"})
        elements = (((message.get("attachment") or {}).get("payload") or {}).get("elements") or [{}])
        sent = OaSent(next(self._seq), user_id, text, str(elements[0].get("attachment_id", "")))
        await self._record(sent)
        return web.json_response({"data": {"message_id": secrets.token_hex(10), "user_id": user_id},
                                  "error": 0, "message": "Success"})

    async def _upload(self, request: web.Request) -> web.Response:
        if (bad := self._bad_token(request)) is not None:
            return bad
        form = await request.post()
        field_ = form.get("file")
        content = field_.file.read() if hasattr(field_, "file") else b""  # type: ignore[union-attr]
        if not content:
            return web.json_response({"error": -201, "message": "file is empty"})
        self.uploads.append(content)
        return web.json_response({"data": {"attachment_id": f"att-{len(self.uploads)}"}, "error": 0})

    async def _refresh(self, request: web.Request) -> web.Response:
        form = await request.post()
        if request.headers.get("secret_key") != self.app_secret or form.get("app_id") != self.app_id:
            return web.json_response({"error": -14002, "error_name": "Invalid app"})
        await asyncio.sleep(self.refresh_delay)
        given = str(form.get("refresh_token", ""))
        with self._lock:
            if given != self.tokens.refresh:
                self.tokens.reused_refresh += int(given in self.tokens.burned)
                return web.json_response({"error": -14014, "error_name": "Invalid refresh token"})
            self.tokens.burned.add(given)
            self.tokens.refreshes += 1
            n = self.tokens.refreshes + 1
            self.tokens.access, self.tokens.refresh = f"acc-{n}", f"ref-{n}"
        return web.json_response({"access_token": self.tokens.access, "refresh_token": self.tokens.refresh,
                                  "expires_in": "90000"})

    async def _zns(self, request: web.Request) -> web.Response:
        if (bad := self._bad_token(request)) is not None:
            return bad
        body = await request.json()
        data = body.get("template_data") or {}
        await self._record(OaSent(next(self._seq), f"phone:{body['phone']}", str(data.get("noi_dung", "")),
                                  kind="zns", phone=str(body["phone"])))
        return web.json_response({"error": 0, "message": "Success", "data": {"msg_id": secrets.token_hex(8)}})

    async def _ctl_sent(self, request: web.Request) -> web.Response:
        return web.json_response([s.__dict__ for s in self.sent])

    async def _ctl_state(self, request: web.Request) -> web.Response:
        t = self.tokens
        return web.json_response({"access": t.access, "refresh": t.refresh, "refreshes": t.refreshes,
                                  "reused_refresh": t.reused_refresh, "uploads": len(self.uploads)})


OUTSIDE_WINDOW_CODE = -230
