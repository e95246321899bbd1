"""Schema migrations: a fresh database and an old one both reach `head` by the same Alembic path."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from service.store import db

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def config() -> Config:
    """The Alembic configuration, built in code so no ini file or working directory matters."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Bring the schema to `revision`, holding the writer lock so two workers cannot race."""
    cfg = config()
    with db.writing(engine), engine.connect() as conn:
        conn.info["write"] = True
        try:
            with conn.begin():
                db.take_write_lock(conn)
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
        finally:
            conn.info["write"] = False


def current_revision(engine: sa.Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    """The newest revision in the migrations folder."""
    return ScriptDirectory.from_config(config()).get_current_head()
