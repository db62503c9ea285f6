"""Engine and sessions for SQLite (the embedded default) and PostgreSQL.

SQLite gets WAL (readers do not block the writer), foreign keys on, and a busy
timeout so two processes wait for each other instead of failing. PostgreSQL
uses psycopg 3. All writes go through `transaction()`: one unit of work, one
commit, rolled back whole on any error.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, Table, create_engine, event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.sql.dml import Insert
from sqlalchemy.orm import Session, sessionmaker

__all__ = ["make_engine", "make_session_factory", "transaction", "is_sqlite", "normalize_url", "InsertIgnoring"]

SQLITE_BUSY_TIMEOUT_MS = 15_000


def normalize_url(url: str) -> str:
    """Pin the drivers: `postgresql://` means psycopg 3 here, never psycopg2."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def is_sqlite(engine_or_url: Engine | str) -> bool:
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else make_url(normalize_url(engine_or_url))
    return url.get_backend_name() == "sqlite"


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    # isolation_level=None leaves transaction control to the events below, so
    # that BEGIN IMMEDIATE takes the write lock at the start (no upgrade deadlock).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _sqlite_on_begin(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine configured for the backend of `url` (creating the SQLite folder)."""
    url = normalize_url(url)
    if is_sqlite(url):
        path = make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 15})
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=5, max_overflow=5)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any exception."""
    with factory() as session, session.begin():
        yield session


class InsertIgnoring:
    """`INSERT … ON CONFLICT DO NOTHING` into `table`, built once for each of the two dialects.

    Idempotent writes (a delivery id, a reminder ladder, a year of reporting
    duties) use it; building the statement for every call cost more than
    SQLite's own work on the busiest path. `on(connection)` picks the dialect's.
    """

    def __init__(self, table: Table, *, index_elements: list[str] | None = None, returning: tuple[Any, ...] = ()) -> None:
        self._by_dialect: dict[str, Insert] = {}
        for name, dialect_insert in (("sqlite", sqlite_insert), ("postgresql", pg_insert)):
            stmt = dialect_insert(table).on_conflict_do_nothing(index_elements=index_elements)
            self._by_dialect[name] = stmt.returning(*returning) if returning else stmt

    def on(self, connection: Connection) -> Insert:
        return self._by_dialect[connection.dialect.name]
