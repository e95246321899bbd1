"""Alembic environment: runs on the connection the service hands over, or opens its own.

`service.store.migrate.upgrade` passes a connection in `config.attributes["connection"]`; the
`alembic -c service/alembic.ini ...` command line opens one from `FAMILYCARD_DATABASE_URL`.
"""

from __future__ import annotations

import os

from alembic import context

from service.store import db, tables

config = context.config
target_metadata = tables.metadata


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = os.environ.get("FAMILYCARD_DATABASE_URL", "sqlite:///var/familycard.db")
    engine = db.create_engine(url)
    with engine.connect() as conn:
        _run(conn)
        conn.commit()
