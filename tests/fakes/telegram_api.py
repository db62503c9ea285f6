"""A local fake of the Telegram Bot API, for the real python-telegram-bot to talk to.

Point the bot at it with `base_url=f"{server.url}/bot"` (PTB appends the
token) and `base_file_url=f"{server.url}/file/bot"`. Runs in-process
(`async with FakeTelegramServer() as server`) or in its own process:

    python -m tests.fakes.telegram_api --port 8081     # prints "READY <port>"

Besides the Bot API under /bot<token>/<method>, a control API for tests:

    POST /_test/updates      a user's action (see telegram_updates) -> {"update_ids": [...]}
    POST /_test/redeliver    {"update_id": N}: Telegram delivers that update again
    GET  /_test/sent         ?chat_id=&after=&wait=&count=: what the bot sent (long-polls
                             until `count` records after seq `after` exist or `wait` s pass)
    GET  /_test/calls        ?method=: every Bot API call with its parameters
    POST /_test/faults       {"method", "status", "description", "retry_after", "times", "chat_id"}
    GET  /_test/state        pending updates, confirmed offset, webhook
    POST /_test/reset        forget everything
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import sys
import time
from typing import Any

from aiohttp import ClientSession, ClientTimeout, web

from tests.fakes.loopback import LoopbackSite
from tests.fakes.telegram_methods import METHODS
from tests.fakes.telegram_objects import JSON, error_body
from tests.fakes.telegram_state import ApiFault, Fault, FakeState
from tests.fakes.telegram_updates import build_update

__all__ = ["DEFAULT_TOKEN", "FakeTelegramServer", "main"]

DEFAULT_TOKEN = "123456789:TEST-token-for-the-fake-bot-api"
LOG = logging.getLogger("fake_telegram")
# Parameters PTB sends JSON-encoded in form fields; strings arrive raw.
_JSON_FIELDS = {"reply_markup", "media", "allowed_updates", "entities", "drop_pending_updates",
                "show_alert", "commands"}


async def _read_params(request: web.Request) -> JSON:
    params: JSON = dict(request.query)
    if request.content_type == "application/json":
        params.update(await request.json())
        return params
    if request.content_type == "multipart/form-data":
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if part.filename:  # type: ignore[union-attr]
                params[part.name] = bytes(await part.read())  # type: ignore[union-attr]
                params["_filename_" + str(part.name)] = part.filename  # type: ignore[union-attr]
            else:
                params[part.name] = await part.text()  # type: ignore[union-attr]
    else:
        params.update(await request.post())
    for key in _JSON_FIELDS & params.keys():
        if isinstance(params[key], str):
            with contextlib.suppress(ValueError):
                params[key] = json.loads(params[key])
    # Uploaded files are separate parts that a field refers to as "attach://name".
    def attached(value: Any) -> Any:
        if isinstance(value, str) and value.startswith("attach://"):
            return params.get(value.removeprefix("attach://"))
        return value

    for key in list(params):
        params[key] = attached(params[key])
    if isinstance(params.get("media"), list):
        for item in params["media"]:
            item["media"] = attached(item.get("media"))
    return params


class FakeTelegramServer:
    """The aiohttp application, its state, and the task pushing updates to a webhook."""

    def __init__(self, *, token: str = DEFAULT_TOKEN, host: str = "127.0.0.1", port: int = 0,
                 webhook_retry_delay: float = 0.1) -> None:
        self.token = token
        self.host = host
        self.port = port
        self.state = FakeState()
        self.webhook_retry_delay = webhook_retry_delay
        self._site = LoopbackSite(host, port)

    # -- lifecycle -----------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def app(self) -> web.Application:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_post("/bot{token}/{method}", self._api)
        app.router.add_get("/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        app.router.add_post("/_test/updates", self._push_updates)
        app.router.add_post("/_test/redeliver", self._redeliver)
        app.router.add_get("/_test/sent", self._sent)
        app.router.add_get("/_test/calls", self._calls)
        app.router.add_post("/_test/faults", self._faults)
        app.router.add_get("/_test/state", self._state)
        app.router.add_post("/_test/reset", self._reset)
        return app

    async def start(self) -> FakeTelegramServer:
        self.port = await self._site.start(self.app(), self._push_to_webhook())
        return self

    async def stop(self) -> None:
        self.state.closing = True
        await self.state.notify()
        await self._site.stop()

    async def __aenter__(self) -> FakeTelegramServer:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- the Bot API ---------------------------------------------------------------
    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(error_body(401, "Unauthorized"), status=401)
        method_name = request.match_info["method"]
        method = METHODS.get(method_name)
        if method is None:
            return web.json_response(error_body(404, "Not Found: method not found"), status=404)
        params = await _read_params(request)
        logged = {k: ("<bytes>" if isinstance(v, (bytes, bytearray)) else v) for k, v in params.items()}
        self.state.calls.append({"method": method_name, "params": logged, "at": time.time()})
        try:
            chat_id = int(params["chat_id"]) if "chat_id" in params else None
        except (TypeError, ValueError):
            chat_id = None
        try:
            self.state.check_fault(method_name, chat_id)
            result = await method(self.state, params)
        except ApiFault as fault:
            return web.json_response(error_body(fault.status, fault.description,
                                                fault.retry_after), status=fault.status)
        return web.json_response({"ok": True, "result": result})

    async def _file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        name = request.match_info["path"].rsplit("/", 1)[-1].removesuffix(".jpg")
        content = self.state.files.get(name)
        if content is None:
            return web.Response(status=404)
        return web.Response(body=content, content_type="image/jpeg")

    # -- webhook delivery ------------------------------------------------------------
    async def _push_to_webhook(self) -> None:
        """Deliver pending updates one by one; an update stays queued until a 2xx."""
        async with ClientSession(timeout=ClientTimeout(total=10)) as session:
            while True:
                state = self.state
                await state.wait_for(lambda: bool(state.webhook_url and state.pending), 1.0)
                if not (state.webhook_url and state.pending):
                    continue
                item = state.pending[0]
                headers = {"X-Telegram-Bot-Api-Secret-Token": state.webhook_secret} \
                    if state.webhook_secret else {}
                item.handed_out += 1
                try:
                    async with session.post(state.webhook_url, json=item.update,
                                            headers=headers) as response:
                        ok = 200 <= response.status < 300
                except Exception as exc:  # noqa: BLE001 - any failure means "try again"
                    LOG.info("webhook delivery failed error=%r", exc)
                    ok = False
                if ok and state.pending and state.pending[0] is item:
                    state.pending.pop(0)
                    await state.notify()
                elif not ok:
                    await asyncio.sleep(self.webhook_retry_delay)

    # -- control API ---------------------------------------------------------------
    async def enqueue(self, spec: JSON) -> list[int]:
        """A user's action (see telegram_updates); returns the new update ids."""
        return [await self.state.enqueue(update) for update in build_update(self.state, spec)]

    async def _push_updates(self, request: web.Request) -> web.Response:
        body = await request.json()
        specs = body if isinstance(body, list) else [body]
        ids = [uid for spec in specs for uid in await self.enqueue(spec)]
        return web.json_response({"update_ids": ids})

    async def _redeliver(self, request: web.Request) -> web.Response:
        body = await request.json()
        try:
            await self.state.redeliver(int(body["update_id"]))
        except KeyError:
            return web.json_response({"error": "unknown update_id"}, status=404)
        return web.json_response({"ok": True})

    async def _sent(self, request: web.Request) -> web.Response:
        query = request.query
        chat_id = int(query["chat_id"]) if "chat_id" in query else None
        after = int(query.get("after", 0))
        count = int(query.get("count", 1))
        wait = float(query.get("wait", 0))
        if wait > 0:
            await self.state.wait_for(
                lambda: len(self.state.sent_to(chat_id, after)) >= count, wait)
        return web.json_response([r.to_json() for r in self.state.sent_to(chat_id, after)])

    async def _calls(self, request: web.Request) -> web.Response:
        method = request.query.get("method")
        calls = [c for c in self.state.calls if method is None or c["method"] == method]
        return web.json_response(calls)

    async def _faults(self, request: web.Request) -> web.Response:
        body: dict[str, Any] = await request.json()
        self.state.faults.append(Fault(**body))
        return web.json_response({"ok": True})

    async def _state(self, request: web.Request) -> web.Response:
        s = self.state
        return web.json_response({"pending": [p.update_id for p in s.pending],
                                  "confirmed_below": s.confirmed_below,
                                  "webhook_url": s.webhook_url, "sent": len(s.sent),
                                  "last_seq": s.sent[-1].seq if s.sent else 0})

    async def _reset(self, request: web.Request) -> web.Response:
        self.state = FakeState()
        return web.json_response({"ok": True})


async def _serve(host: str, port: int, token: str) -> None:
    server = FakeTelegramServer(token=token, host=host, port=port)
    await server.start()
    print(f"READY {server.port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.host, args.port, args.token))
    return 0


if __name__ == "__main__":
    sys.exit(main())
