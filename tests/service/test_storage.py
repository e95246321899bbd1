"""Storage on SQLite and PostgreSQL: the migrations build exactly the tables, transactions are atomic."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from service.store import db, migrate, tables, uow


@pytest.fixture
def engine(database_url: str) -> sa.Engine:
    return db.create_engine(database_url)


def test_a_fresh_database_reaches_head_by_the_migrations_and_matches_the_tables(engine: sa.Engine) -> None:
    assert migrate.current_revision(engine) is None
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), tables.metadata)
    assert diff == []


def test_upgrading_twice_changes_nothing(engine: sa.Engine) -> None:
    migrate.upgrade(engine)
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()


def test_a_unit_of_work_rolls_back_unless_committed(engine: sa.Engine) -> None:
    migrate.upgrade(engine)
    row = {"id": 1, "generation": 1, "version": "v", "reloaded_at": "t", "reloaded_by": "x"}
    with pytest.raises(RuntimeError), uow.UnitOfWork(engine, write=True) as work:
        work.conn.execute(tables.rules_state.insert().values(**row))
        raise RuntimeError("an effect failed")
    with uow.UnitOfWork(engine, write=True) as work:
        work.conn.execute(tables.rules_state.insert().values(**row))  # nothing committed: no clash
    with uow.UnitOfWork(engine, write=False) as work:
        assert work.conn.execute(sa.select(sa.func.count()).select_from(tables.rules_state)).scalar_one() == 0
    with uow.UnitOfWork(engine, write=True) as work:
        work.conn.execute(tables.rules_state.insert().values(**row))
        work.commit()
    with uow.UnitOfWork(engine, write=False) as work:
        assert work.conn.execute(sa.select(sa.func.count()).select_from(tables.rules_state)).scalar_one() == 1


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(sqlite_url: str) -> None:
    engine = db.create_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == db.BUSY_TIMEOUT_MS


def test_a_postgresql_url_means_psycopg_3() -> None:
    assert db.normalise_url("postgresql://u@h:5432/d").startswith("postgresql+psycopg://")
