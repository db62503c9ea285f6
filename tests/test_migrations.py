"""The Alembic revision builds the same schema as the models, on SQLite and PostgreSQL."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from bot.db import make_engine, make_session_factory
from bot.migrate import upgrade
from bot.models import Base, Unit
import bot.channels.zalo_models  # noqa: F401 - Zalo tables (migration 0003_zalo)
from bot.seed import load_unit_rows, seed_units
import scheduler.models  # noqa: F401  (the scheduler's tables must be in the compared metadata)


def test_migrated_schema_matches_models(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
        assert diff == []
        assert {"tickets", "outbox", "processed_updates", "ticket_events"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_is_idempotent_and_seed_soft_deletes(db_url: str) -> None:
    upgrade(db_url)  # already at head: nothing to do, no error
    engine = make_engine(db_url)
    factory = make_session_factory(engine)
    rows = load_unit_rows()
    try:
        with factory.begin() as s:
            again = seed_units(s, rows)
        assert (again.added, again.updated, again.deactivated) == (0, 0, 0)
        with factory.begin() as s:
            result = seed_units(s, [r for r in rows if r["id"] != "hoi_nct"])
        assert result.deactivated == 1
        with factory() as s:
            unit = s.get(Unit, "hoi_nct")
            assert unit is not None and unit.active is False  # kept, not deleted
            assert s.scalar(select(Unit).where(Unit.id == "ubnd_32152")).commune == "32152"
        with factory.begin() as s:
            assert seed_units(s, rows).updated == 1  # back in the YAML -> active again
    finally:
        engine.dispose()
