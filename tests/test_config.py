"""Settings: every field documented in .env.example, parsed from the environment."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from bot.channels.zalo_config import ZaloSettings
from bot.config import DEFAULT_DATABASE_URL, Settings

ROOT = Path(__file__).resolve().parents[1]


PATH_VARIABLES = {"PHANANH_CONFIG_DIR", "PHANANH_MODEL_PATH", "PHANANH_REPORTS_DIR"}


def test_every_setting_is_documented_with_a_comment() -> None:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    keys = re.findall(r"^([A-Z_]+)=", text, flags=re.M)
    fields = {f.name.upper() for f in dataclasses.fields(Settings)} - {"ZALO"}
    fields |= {f"ZALO_{f.name.upper()}" for f in dataclasses.fields(ZaloSettings)}  # settings.zalo
    fields |= PATH_VARIABLES  # read from the environment by nlp/ and scheduler/ (.env loaded by the CLI)
    assert fields == set(keys)
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if re.match(r"^[A-Z_]+=", line):
            assert lines[i - 1].startswith("#"), f"{line} has no comment above it"


def test_defaults_and_parsing() -> None:
    s = Settings.from_env({})
    assert s.database_url == DEFAULT_DATABASE_URL and s.staging is False and s.telegram_bot_token == ""
    s = Settings.from_env({"STAGING": "true", "CODE_TTL_HOURS": "10", "LOG_LEVEL": "debug", "WEBHOOK_PORT": "9000",
                           "TELEGRAM_RATE_LIMIT": "false"})
    assert s.staging and s.code_ttl_hours == 10 and s.log_level == "DEBUG" and s.webhook_port == 9000
    assert s.telegram_rate_limit is False


def test_dotenv_file_is_read_and_environment_wins(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    env = tmp_path / ".env"
    env.write_text("CODE_TTL_HOURS=7\nMAX_TICKETS_PER_DAY=3\n", encoding="utf-8")
    monkeypatch.setenv("MAX_TICKETS_PER_DAY", "9")
    s = Settings.from_env(dotenv=env)
    assert s.code_ttl_hours == 7 and s.max_tickets_per_day == 9
