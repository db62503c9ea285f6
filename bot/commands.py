"""The bot's `phananh` subcommands: serve, db upgrade, seed, official invite, unit link-code."""
from __future__ import annotations

import argparse
import asyncio
import logging
from datetime import timedelta

from bot.config import Settings

__all__ = ["register"]

log = logging.getLogger(__name__)


def _setup_logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")


def cmd_serve(args: argparse.Namespace) -> int:
    """Zalo and/or Telegram when their settings are there; otherwise the local chat in the terminal."""
    from bot.runtime import Runtime
    from scheduler.ticker import background_ticker

    settings = Settings.from_env()
    if settings.zalo.bot_enabled or settings.zalo.oa_enabled:  # Zalo (and Telegram if its token is set)
        _setup_logging(settings)
        from bot.channels import zalo_serve

        runtime = Runtime.build(settings, nlp_process=settings.nlp_process)
        try:
            with background_ticker(runtime):  # reminders and digests, beside the outbox sender
                asyncio.run(zalo_serve.serve_all(runtime))
            return 0
        finally:
            runtime.close()
    if settings.telegram_bot_token:
        _setup_logging(settings)
        from bot.channels import telegram

        runtime = Runtime.build(settings, nlp_process=settings.nlp_process)
        try:
            with background_ticker(runtime):  # reminders and digests, beside the outbox sender
                return int(telegram.run(runtime) or 0)
        finally:
            runtime.close()
    logging.basicConfig(level=logging.WARNING)  # the terminal is the chat: keep logs out of it
    from bot.channels.console import run_console

    runtime = Runtime.build(settings)
    try:
        return asyncio.run(run_console(runtime))
    finally:
        runtime.close()


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from bot.migrate import upgrade

    settings = Settings.from_env()
    _setup_logging(settings)
    upgrade(settings.database_url, args.revision)
    print(f"database at {args.revision}")
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bot.db import make_engine, make_session_factory
    from bot.seed import load_unit_rows, seed_units

    settings = Settings.from_env()
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine).begin() as session:
            result = seed_units(session, load_unit_rows(Path(args.units) if args.units else None))
    finally:
        engine.dispose()
    print(f"units: {result.added} added, {result.updated} updated, {result.deactivated} made inactive")
    return 0


def _code(args: argparse.Namespace, purpose_name: str) -> int:
    from bot.clock import SystemClock
    from bot.db import make_engine, make_session_factory
    from bot.enrolment import create_code
    from bot.errors import ConfigError
    from bot.models import CodePurpose

    settings = Settings.from_env()
    engine = make_engine(settings.database_url)
    ttl = timedelta(hours=args.hours or settings.code_ttl_hours)
    try:
        code = create_code(make_session_factory(engine), CodePurpose(purpose_name), args.unit_id, SystemClock(), ttl)
    except ConfigError as exc:
        print(f"error: {exc}")
        return 2
    finally:
        engine.dispose()
    how = f"/start {code}  (in a private chat with the bot)" if purpose_name == "official_invite" \
        else f"/lienket {code}  (in the unit's group, with the bot added)"
    print(code)
    print(f"one-time code for {args.unit_id}, valid {ttl.total_seconds() / 3600:.0f} h: {how}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    serve = sub.add_parser("serve", help="run the bot (Telegram with a token, else a local terminal chat)")
    serve.set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    up = db_sub.add_parser("upgrade", help="apply the Alembic migrations (DATABASE_URL)")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(func=cmd_db_upgrade)

    seed = sub.add_parser("seed", help="load config/units.yaml into the units table (idempotent)")
    seed.add_argument("--units", help="another units.yaml")
    seed.set_defaults(func=cmd_seed)

    official = sub.add_parser("official", help="officials")
    off_sub = official.add_subparsers(dest="official_command", required=True)
    invite = off_sub.add_parser("invite", help="print a one-time code enrolling an official of UNIT_ID")
    invite.add_argument("unit_id")
    invite.add_argument("--hours", type=int, help="validity (default CODE_TTL_HOURS)")
    invite.set_defaults(func=lambda a: _code(a, "official_invite"))

    unit = sub.add_parser("unit", help="units")
    unit_sub = unit.add_subparsers(dest="unit_command", required=True)
    link = unit_sub.add_parser("link-code", help="print a one-time code linking a group chat to UNIT_ID")
    link.add_argument("unit_id")
    link.add_argument("--hours", type=int, help="validity (default CODE_TTL_HOURS)")
    link.set_defaults(func=lambda a: _code(a, "group_link"))
