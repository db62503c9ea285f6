"""Client of the Zalo OA Open API v3, OAuth v4 and ZNS, on httpx (ZALO_APIS.md part B).

Every answer comes with HTTP 200; success is `error == 0`. The access token
goes in an `access_token` header (not Authorization). The token refresh is
synchronous on purpose: it runs in a worker thread while that thread holds the
database lock on the token row (zalo_oa_tokens.py).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

__all__ = ["OaError", "TokenPair", "OaApi", "TOKEN_ERRORS", "OUTSIDE_WINDOW"]

TOKEN_ERRORS = frozenset({-216, -220})  # "Access token is invalid" / treated as expired by integrators
OUTSIDE_WINDOW = -230  # the user has not interacted with the OA within the window


class OaError(Exception):
    """`error != 0`, or no usable answer (`code` 0: network or not JSON)."""

    def __init__(self, what: str, code: int, message: str) -> None:
        super().__init__(f"{what}: {code} {message}")
        self.code = code
        self.message = message

    @property
    def token_invalid(self) -> bool:
        return self.code in TOKEN_ERRORS


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: float  # seconds; Zalo sends it as a string


def _checked(what: str, response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as exc:
        raise OaError(what, 0, f"HTTP {response.status_code}, not JSON") from exc
    if not isinstance(body, dict):
        raise OaError(what, 0, "answer is not an object")
    code = int(body.get("error") or 0)
    if code != 0 or response.status_code >= 500:
        raise OaError(what, code or -response.status_code,
                      str(body.get("message") or body.get("error_name") or body.get("error_description") or ""))
    return body


class OaApi:
    def __init__(self, *, api_base_url: str, oauth_base_url: str, zns_base_url: str,
                 transport: httpx.AsyncBaseTransport | None = None, timeout: float = 15.0) -> None:
        self.api = api_base_url.rstrip("/")
        self.oauth = oauth_base_url.rstrip("/")
        self.zns = zns_base_url.rstrip("/")
        self._client = httpx.AsyncClient(transport=transport, timeout=timeout)
        self._timeout = timeout

    async def close(self) -> None:
        await self._client.aclose()

    async def _post(self, what: str, url: str, token: str, **kw: Any) -> dict[str, Any]:
        try:
            response = await self._client.post(url, headers={"access_token": token}, **kw)
        except httpx.HTTPError as exc:
            raise OaError(what, 0, type(exc).__name__) from exc
        return _checked(what, response)

    async def send_cs(self, token: str, user_id: str, message: dict[str, Any]) -> str:
        """A customer-service message (free inside the window); returns Zalo's message id."""
        body = await self._post("message/cs", f"{self.api}/v3.0/oa/message/cs", token,
                                json={"recipient": {"user_id": user_id}, "message": message})
        return str((body.get("data") or {}).get("message_id", ""))

    async def upload_image(self, token: str, content: bytes, filename: str = "photo.jpg") -> str:
        body = await self._post("upload/image", f"{self.api}/v2.0/oa/upload/image", token,
                                files={"file": (filename, content, "image/jpeg")})
        return str((body.get("data") or {}).get("attachment_id", ""))

    async def send_zns(self, token: str, phone: str, template_id: str, data: dict[str, str], tracking_id: str) -> str:
        body = await self._post("zns", f"{self.zns}/message/template", token,
                                json={"phone": phone, "template_id": template_id, "template_data": data,
                                      "tracking_id": tracking_id})
        return str((body.get("data") or {}).get("msg_id", ""))

    async def download(self, url: str, limit: int = 1024 * 1024) -> bytes:
        """A photo to upload (the OA takes jpg/png up to 1 MB)."""
        try:
            response = await self._client.get(url)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise OaError("download", 0, type(exc).__name__) from exc
        if len(response.content) > limit:
            raise OaError("download", -201, "photo larger than 1 MB")
        return response.content

    def refresh(self, *, app_id: str, app_secret: str, refresh_token: str) -> TokenPair:
        """Trade the single-use refresh token for a new pair (blocking: called under the row lock)."""
        try:
            response = httpx.post(f"{self.oauth}/v4/oa/access_token", headers={"secret_key": app_secret},
                                  data={"refresh_token": refresh_token, "app_id": app_id,
                                        "grant_type": "refresh_token"}, timeout=self._timeout)
        except httpx.HTTPError as exc:
            raise OaError("access_token", 0, type(exc).__name__) from exc
        body = _checked("access_token", response)
        if not body.get("access_token") or not body.get("refresh_token"):
            raise OaError("access_token", -1, "no token pair in the answer")
        return TokenPair(str(body["access_token"]), str(body["refresh_token"]),
                         float(body.get("expires_in") or 3600))
