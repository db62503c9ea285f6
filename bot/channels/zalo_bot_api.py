"""A small client of the Zalo Bot Platform API (`<base>/bot<TOKEN>/<method>`), on httpx.

No SDK: python-zalo-bot is not a dependency, and the API is a handful of JSON
POSTs. What the real service does is in /work/shared/ZALO_APIS.md; the parts
this client relies on:

- answers are `{"ok": true, "result": ...}` or `{"ok": false, "error_code",
  "description"}`, and errors may come with HTTP 200: read `ok`, not the status;
- getUpdates hands out ONE update (no offset, no list) and answers
  `error_code` 408 after `timeout` seconds when there is none: "no news";
- the token is in the URL path, so URLs are never logged.

The transport is injectable (httpx.MockTransport in unit tests); the tests
mostly use the fake server in tests/fakes/zalo_bot_api.py over real HTTP.
"""
from __future__ import annotations

import logging
from typing import Any

import httpx

__all__ = ["ZaloBotError", "ZaloBotApi", "NO_UPDATES"]

LOG = logging.getLogger(__name__)
NO_UPDATES = 408  # getUpdates: nothing came within `timeout` seconds


class ZaloBotError(Exception):
    """The API said no (`ok: false`), or no usable answer came (`code` 0: network, bad JSON)."""

    def __init__(self, method: str, code: int, description: str, *, status: int = 0) -> None:
        super().__init__(f"{method}: {code} {description}")
        self.method = method
        self.code = code
        self.description = description
        self.status = status

    @property
    def temporary(self) -> bool:
        """Worth retrying: network, rate limit, server trouble."""
        return self.code in (0, 429) or self.code >= 500 or self.status >= 500


class ZaloBotApi:
    def __init__(self, token: str, base_url: str, *, transport: httpx.AsyncBaseTransport | None = None,
                 timeout: float = 15.0) -> None:
        if not token:
            raise ValueError("ZALO_BOT_TOKEN is empty")
        self._prefix = f"{base_url.rstrip('/')}/bot{token}"
        self._timeout = timeout
        self._client = httpx.AsyncClient(transport=transport, timeout=timeout)

    async def close(self) -> None:
        await self._client.aclose()

    async def call(self, method: str, params: dict[str, Any] | None = None, *, timeout: float | None = None) -> Any:
        """POST `params` as JSON; the `result` (True when the answer has none, as sendChatAction's)."""
        try:
            response = await self._client.post(f"{self._prefix}/{method}", json=params or {},
                                                timeout=timeout or self._timeout)
            body = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise ZaloBotError(method, 0, type(exc).__name__) from exc
        if not isinstance(body, dict):
            raise ZaloBotError(method, 0, "answer is not an object", status=response.status_code)
        if not body.get("ok"):
            raise ZaloBotError(method, int(body.get("error_code") or response.status_code or 0),
                               str(body.get("description", "")), status=response.status_code)
        return body.get("result", True)

    async def get_me(self) -> dict[str, Any]:
        return await self.call("getMe")  # type: ignore[no-any-return]

    async def get_updates(self, timeout: int) -> dict[str, Any] | None:
        """One update, or None when none came within `timeout` seconds (Zalo's 408)."""
        try:
            result = await self.call("getUpdates", {"timeout": str(timeout)}, timeout=timeout + 10)
        except ZaloBotError as exc:
            if exc.code == NO_UPDATES:
                return None
            raise
        if isinstance(result, list):  # not what Zalo documents, but harmless to accept
            LOG.warning("getUpdates returned a list of %d; handling the first", len(result))
            return result[0] if result else None
        return result if isinstance(result, dict) else None

    async def set_webhook(self, url: str, secret_token: str) -> None:
        await self.call("setWebhook", {"url": url, "secret_token": secret_token})

    async def delete_webhook(self) -> None:
        await self.call("deleteWebhook")

    async def send_message(self, chat_id: str, text: str) -> str | None:
        result = await self.call("sendMessage", {"chat_id": chat_id, "text": text})
        return str(result.get("message_id")) if isinstance(result, dict) and result.get("message_id") else None

    async def send_photo(self, chat_id: str, photo_url: str, caption: str = "") -> str | None:
        params = {"chat_id": chat_id, "photo": photo_url}
        if caption:
            params["caption"] = caption
        result = await self.call("sendPhoto", params)
        return str(result.get("message_id")) if isinstance(result, dict) and result.get("message_id") else None
