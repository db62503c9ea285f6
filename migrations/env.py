"""Alembic environment: the URL comes from the caller or from Settings, never from alembic.ini."""
from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from bot.config import Settings
from bot.db import is_sqlite, make_engine
from bot.models import Base
import bot.channels.zalo_models  # noqa: F401,E402 - the Zalo tables belong to the metadata too
import scheduler.models  # noqa: F401,E402  (the scheduler's tables belong to the metadata)

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return config.attributes.get("url") or Settings.from_env().database_url


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=is_sqlite(str(connection.engine.url)),  # SQLite ALTER needs batch mode
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    try:
        with engine.connect() as conn:
            _run(conn)
            conn.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
