"""On SQLite the hot statements run straight on the driver: the same rows as through SQLAlchemy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from service.store import db, fast, rows, tables

metadata = sa.MetaData()
T = sa.Table(
    "things", metadata,
    sa.Column("id", sa.String(20), primary_key=True),
    sa.Column("doc", tables.JSON, nullable=True),
    sa.Column("flag", sa.Boolean, nullable=False),
    sa.Column("n", sa.BigInteger, nullable=True),
    sa.Column("status", sa.String(10), nullable=False),
)
_GET = sa.select(T, (T.c.n + 1).label("next_n")).where(T.c.id == sa.bindparam("id"))
_OPEN = sa.select(T).where(T.c.status == "open", T.c.n > sa.bindparam("above")).order_by(T.c.id)
_ADD = T.insert()
_UPDATE = T.update().where(T.c.id == sa.bindparam("key_id"))
_BUMP = T.update().where(T.c.id == sa.bindparam("key_id")).values(n=T.c.n + 1)
_SOME = sa.select(T.c.id).where(T.c.id.in_(sa.bindparam("ids", expanding=True))).order_by(T.c.id)

ROWS: list[dict[str, Any]] = [
    {"id": "a", "doc": {"x": [1, 2.5, None], "kk": "Қазақша"}, "flag": True, "n": 2**40, "status": "open"},
    {"id": "b", "doc": None, "flag": False, "n": None, "status": "open"},
    {"id": "c", "doc": [], "flag": True, "n": -3, "status": "closed"},
]


def _engine(tmp_path: Path) -> sa.Engine:
    engine = db.create_engine(f"sqlite:///{tmp_path / 'fast.db'}")
    metadata.create_all(engine)
    return engine


def _through_sqlalchemy(conn: sa.Connection, query: Any, params: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in conn.execute(query, params)]


def test_rows_and_writes_match_sqlalchemy(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    before = fast.executed
    with engine.begin() as conn:
        rows.run(conn, _ADD, ROWS)  # several parameter sets: one executemany
        rows.run(conn, _UPDATE, {"key_id": "b", "doc": {"changed": True}, "flag": True})
        rows.run(conn, _BUMP, {"key_id": "c"})
    assert fast.executed - before == 3
    with engine.connect() as conn, conn.begin():  # as every unit of work reads: in a transaction
        for query, params in ((_GET, {"id": "a"}), (_GET, {"id": "b"}), (_GET, {"id": "zz"}), (_OPEN, {"above": -10})):
            direct = fast.rows(conn, query, params)
            assert direct == _through_sqlalchemy(conn, query, params)
        got = rows.one(conn, _GET, {"id": "a"})
        assert got is not None and got["doc"] == ROWS[0]["doc"] and got["flag"] is True and got["next_n"] == 2**40 + 1
        assert rows.one(conn, _GET, {"id": "b"}) == {"id": "b", "doc": {"changed": True}, "flag": True, "n": None,
                                                      "status": "open", "next_n": None}
        assert rows.one(conn, _GET, {"id": "c"}) == {**ROWS[2], "n": -2, "next_n": -1}
        assert fast.rows(conn, _SOME, {"ids": ["a", "c"]}) is None  # expanding IN: left to SQLAlchemy
        assert rows.many(conn, _SOME, {"ids": ["a", "c"]}) == [{"id": "a"}, {"id": "c"}]
    engine.dispose()


def test_returning_goes_through_sqlalchemy(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    with engine.begin() as conn:
        before = fast.executed
        rows.run(conn, T.insert().returning(T.c.id), ROWS[0])
        assert fast.executed == before
        assert conn.execute(sa.select(sa.func.count()).select_from(T)).scalar_one() == 1
    engine.dispose()


def test_postgresql_goes_through_sqlalchemy_with_the_same_rows(database_url: str) -> None:
    engine = db.create_engine(database_url)
    metadata.drop_all(engine)
    metadata.create_all(engine)
    try:
        with engine.begin() as conn:
            rows.run(conn, _ADD, ROWS)
            rows.run(conn, _BUMP, {"key_id": "c"})
        with engine.connect() as conn, conn.begin():
            handled = fast.rows(conn, _OPEN, {"above": -10})
            assert (handled is None) == (engine.dialect.name != "sqlite")
            assert rows.many(conn, _OPEN, {"above": -10}) == [ROWS[0]]  # b's NULL is not above anything
            assert rows.one(conn, _GET, {"id": "c"}) == {**ROWS[2], "n": -2, "next_n": -1}
    finally:
        metadata.drop_all(engine)
        engine.dispose()


def test_outside_a_transaction_sqlalchemy_begins_one_as_usual(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    with engine.connect() as conn:
        before = fast.executed
        rows.run(conn, _ADD, ROWS[1])  # SQLAlchemy begins; never committed
        assert fast.executed == before
    with engine.begin() as conn:
        assert rows.one(conn, _GET, {"id": "b"}) is None  # rolled back with the connection
    engine.dispose()


def test_none_in_a_json_column_is_stored_as_sqlalchemy_stores_it(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    with engine.begin() as conn:
        rows.run(conn, _ADD, {**ROWS[1], "id": "fast"})
        conn.execute(_ADD, {**ROWS[1], "id": "core"})
    with engine.connect() as conn:
        stored = dict(conn.exec_driver_sql("SELECT id, typeof(doc) || ':' || coalesce(doc, '') FROM things").all())
    assert stored["fast"] == stored["core"] == "text:null"  # JSON null, as PostgreSQL keeps it
    engine.dispose()


def test_a_duplicate_key_raises_sqlalchemys_integrity_error(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    with engine.begin() as conn:
        rows.run(conn, _ADD, ROWS[0])
        with pytest.raises(sa.exc.IntegrityError):
            rows.run(conn, _ADD, ROWS[0])
    engine.dispose()
