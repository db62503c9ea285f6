"""Zalo settings, read with the others by `bot.config.Settings.from_env` (as `settings.zalo`).

Kept apart from bot/config.py because there are many of them and only the Zalo
channels read them. Every key is documented in `.env.example`; the defaults are
the real services' addresses (see /work/shared/ZALO_APIS.md for what is
confirmed about them).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["ZaloSettings"]


def _num(value: str | None, default: float) -> float:
    return default if value in (None, "") else float(value)


@dataclass(frozen=True, slots=True)
class ZaloSettings:
    # --- Zalo Bot Platform (Telegram-style Bot API) ---
    bot_token: str = ""
    bot_api_base_url: str = "https://bot-api.zaloplatforms.com"
    bot_webhook_url: str = ""   # empty: long polling with getUpdates
    bot_webhook_secret: str = ""
    bot_poll_timeout: int = 30  # getUpdates `timeout` seconds (Zalo answers 408 after it)
    # --- Official Account Open API v3 / OAuth v4 ---
    oa_app_id: str = ""
    oa_secret_key: str = ""     # the OA secret key: signs webhook events
    oa_app_secret: str = ""     # the app's secret key: header `secret_key` of the token refresh
    oa_access_token: str = ""   # first pair only; afterwards the database holds the tokens
    oa_refresh_token: str = ""
    oa_api_base_url: str = "https://openapi.zalo.me"
    oauth_base_url: str = "https://oauth.zaloapp.com"
    oa_webhook_path: str = "/zalo/oa"
    oa_window_hours: float = 48.0
    oa_window_messages: int = 8
    zns_base_url: str = "https://business.openapi.zalo.me"
    zns_template_id: str = ""   # empty: outside the window a notification is held, not sent as ZNS
    # --- the one web server for the Zalo webhooks ---
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8444

    @property
    def bot_enabled(self) -> bool:
        return bool(self.bot_token)

    @property
    def oa_enabled(self) -> bool:
        return bool(self.oa_app_id and self.oa_secret_key)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ZaloSettings:
        get, d = env.get, cls()
        return cls(
            bot_token=get("ZALO_BOT_TOKEN", ""),
            bot_api_base_url=(get("ZALO_BOT_API_BASE_URL") or d.bot_api_base_url).rstrip("/"),
            bot_webhook_url=get("ZALO_BOT_WEBHOOK_URL", ""),
            bot_webhook_secret=get("ZALO_BOT_WEBHOOK_SECRET", ""),
            bot_poll_timeout=int(_num(get("ZALO_BOT_POLL_TIMEOUT"), d.bot_poll_timeout)),
            oa_app_id=get("ZALO_OA_APP_ID", ""),
            oa_secret_key=get("ZALO_OA_SECRET_KEY", ""),
            oa_app_secret=get("ZALO_OA_APP_SECRET", ""),
            oa_access_token=get("ZALO_OA_ACCESS_TOKEN", ""),
            oa_refresh_token=get("ZALO_OA_REFRESH_TOKEN", ""),
            oa_api_base_url=(get("ZALO_OA_API_BASE_URL") or d.oa_api_base_url).rstrip("/"),
            oauth_base_url=(get("ZALO_OAUTH_BASE_URL") or d.oauth_base_url).rstrip("/"),
            oa_webhook_path=get("ZALO_OA_WEBHOOK_PATH") or d.oa_webhook_path,
            oa_window_hours=_num(get("ZALO_OA_WINDOW_HOURS"), d.oa_window_hours),
            oa_window_messages=int(_num(get("ZALO_OA_WINDOW_MESSAGES"), d.oa_window_messages)),
            zns_base_url=(get("ZALO_ZNS_BASE_URL") or d.zns_base_url).rstrip("/"),
            zns_template_id=get("ZALO_ZNS_TEMPLATE_ID", ""),
            webhook_listen=get("ZALO_WEBHOOK_LISTEN") or d.webhook_listen,
            webhook_port=int(_num(get("ZALO_WEBHOOK_PORT"), d.webhook_port)),
        )
