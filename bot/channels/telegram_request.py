"""python-telegram-bot's HTTP transport on aiohttp instead of httpx.

PTB stays the client: `Bot` builds every call, parses every answer and maps
Telegram's errors, and the AIORateLimiter wraps the calls as before. Only the
`BaseRequest` underneath changes (PTB's documented extension point,
`ApplicationBuilder.request()`). Why: measured on the pipeline benchmark, the
httpx/httpcore/anyio stack cost about 1 ms of CPU per Bot API call on this
machine (its pool re-checks every pooled socket on each request), which
made the HTTP client the bot's largest cost; aiohttp's C-accelerated client
does the same call for a fraction of that. aiohttp is already a dependency
(the webhook server).

A call without files goes as a JSON body (one of the Bot API's four accepted
forms): PTB's own transport sends a urlencoded form, and percent-encoding
Vietnamese text byte by byte in Python cost more than the rest of building
the request. Files go as multipart/form-data, as before.

Errors are mapped as PTB's own HTTPXRequest maps them: a timeout is
`TimedOut`, any other transport failure `NetworkError`, so the outbox's
RetryLater/Undeliverable decisions do not change.
"""
from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

__all__ = ["AiohttpRequest"]

_JSON = {"Content-Type": "application/json"}


class AiohttpRequest(BaseRequest):
    """A `BaseRequest` over one aiohttp ClientSession (opened by `initialize`, closed by `shutdown`)."""

    __slots__ = ("_connections", "_connect_timeout", "_media_write_timeout", "_pool_timeout", "_read_timeout",
                 "_session", "_write_timeout")

    def __init__(self, *, connection_pool_size: int = 16, read_timeout: float | None = 5.0,
                 write_timeout: float | None = 5.0, connect_timeout: float | None = 5.0,
                 pool_timeout: float | None = 1.0, media_write_timeout: float | None = 20.0) -> None:
        self._connections = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections, limit_per_host=self._connections),
                headers={"User-Agent": self.USER_AGENT})

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    def _timeout(self, read: ODVInput[float], write: ODVInput[float], connect: ODVInput[float],
                 pool: ODVInput[float], *, files: bool) -> aiohttp.ClientTimeout:
        read = self._read_timeout if isinstance(read, DefaultValue) else read
        connect = self._connect_timeout if isinstance(connect, DefaultValue) else connect
        pool = self._pool_timeout if isinstance(pool, DefaultValue) else pool
        if isinstance(write, DefaultValue):
            write = self._media_write_timeout if files else self._write_timeout
        # aiohttp has no write timeout of its own: the upload is bounded by `total`, the sum of
        # PTB's four phases (None when any of them is unbounded, e.g. a long getUpdates).
        phases = [t for t in (read, write, connect, pool) if t is not None]
        total = sum(phases) if len(phases) == 4 else None
        return aiohttp.ClientTimeout(total=total, connect=(connect or 0) + (pool or 0) or None,
                                     sock_connect=connect, sock_read=read)

    @staticmethod
    def _body(request_data: RequestData | None) -> tuple[Any, dict[str, str] | None]:
        """The body and its headers: JSON without files, multipart/form-data with them."""
        if request_data is None:
            return None, None
        if not request_data.contains_files:
            return json.dumps(request_data.parameters).encode(), _JSON
        form = aiohttp.FormData()
        for name, value in request_data.json_parameters.items():
            form.add_field(name, value)
        for name, (filename, content, mimetype) in request_data.multipart_data.items():
            form.add_field(name, content, filename=filename, content_type=mimetype)
        return form, None

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
                         write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
                         connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
                         pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        timeout = self._timeout(read_timeout, write_timeout, connect_timeout, pool_timeout,
                                files=bool(request_data and request_data.contains_files))
        body, headers = self._body(request_data)
        try:
            async with self._session.request(method, url, data=body, headers=headers, timeout=timeout) as res:
                return res.status, await res.read()
        except asyncio.TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err
