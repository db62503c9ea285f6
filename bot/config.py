"""Settings from the environment (and a `.env` file), read once at start.

Every key is documented with its safe default in `.env.example`; code takes a
`Settings` object instead of reading `os.environ`, so tests build their own.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

from bot.channels.zalo_config import ZaloSettings

__all__ = ["Settings", "DEFAULT_DATABASE_URL"]

DEFAULT_DATABASE_URL = "sqlite:///var/phananh.db"
_TRUE = {"1", "true", "yes", "on"}


def _bool(value: str | None, default: bool) -> bool:
    return default if value in (None, "") else value.strip().lower() in _TRUE


def _int(value: str | None, default: int) -> int:
    return default if value in (None, "") else int(value)


def _float(value: str | None, default: float) -> float:
    return default if value in (None, "") else float(value)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the bot reads from its environment."""

    database_url: str = DEFAULT_DATABASE_URL
    telegram_bot_token: str = ""
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_rate_limit: bool = True
    webhook_url: str = ""
    webhook_secret: str = ""
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    max_tickets_per_day: int = 5
    max_text_length: int = 4096
    data_retention_days: int = 1825
    code_ttl_hours: int = 48
    staging: bool = False
    log_level: str = "INFO"
    outbox_poll_seconds: float = 5.0
    outbox_max_attempts: int = 12
    outbox_lease_seconds: float = 60.0
    outbox_process: bool = True
    nlp_process: bool = True
    timezone: str = "Asia/Ho_Chi_Minh"
    zalo: ZaloSettings = field(default_factory=ZaloSettings)  # ZALO_* keys (bot/channels/zalo_config.py)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, dotenv: Path | None = Path(".env")) -> Settings:
        """Build from `env` (default: os.environ over the `.env` file, if any)."""
        if env is None:
            merged: dict[str, str] = {}
            if dotenv is not None and dotenv.is_file():
                merged.update({k: v for k, v in dotenv_values(dotenv).items() if v is not None})
            merged.update(os.environ)
            env = merged
        get, d = env.get, cls()
        return cls(
            database_url=get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            telegram_bot_token=get("TELEGRAM_BOT_TOKEN", ""),
            telegram_api_base_url=get("TELEGRAM_API_BASE_URL") or d.telegram_api_base_url,
            telegram_rate_limit=_bool(get("TELEGRAM_RATE_LIMIT"), True),
            webhook_url=get("WEBHOOK_URL", ""),
            webhook_secret=get("WEBHOOK_SECRET", ""),
            webhook_listen=get("WEBHOOK_LISTEN") or d.webhook_listen,
            webhook_port=_int(get("WEBHOOK_PORT"), d.webhook_port),
            max_tickets_per_day=_int(get("MAX_TICKETS_PER_DAY"), d.max_tickets_per_day),
            max_text_length=_int(get("MAX_TEXT_LENGTH"), d.max_text_length),
            data_retention_days=_int(get("DATA_RETENTION_DAYS"), d.data_retention_days),
            code_ttl_hours=_int(get("CODE_TTL_HOURS"), d.code_ttl_hours),
            staging=_bool(get("STAGING"), False),
            log_level=(get("LOG_LEVEL") or d.log_level).upper(),
            outbox_poll_seconds=_float(get("OUTBOX_POLL_SECONDS"), d.outbox_poll_seconds),
            outbox_max_attempts=_int(get("OUTBOX_MAX_ATTEMPTS"), d.outbox_max_attempts),
            outbox_lease_seconds=_float(get("OUTBOX_LEASE_SECONDS"), d.outbox_lease_seconds),
            outbox_process=_bool(get("OUTBOX_PROCESS"), d.outbox_process),
            nlp_process=_bool(get("NLP_PROCESS"), d.nlp_process),
            timezone=get("TIMEZONE") or d.timezone,
            zalo=ZaloSettings.from_env(env),
        )
