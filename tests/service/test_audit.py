"""The audit hash chain: appending links entries; any edit, deletion or insertion is found."""

from __future__ import annotations

import argparse

import pytest
import sqlalchemy as sa

from service import audit, audit_cli
from service.store import db, migrate, tables, uow


@pytest.fixture
def engine(database_url: str) -> sa.Engine:
    engine = db.create_engine(database_url)
    migrate.upgrade(engine)
    if engine.dialect.name == "postgresql":
        # These tests play an insider who owns the tables and switched the append-only guard off;
        # the guard itself is tested in tests/hardening/test_audit_tamper.py.
        with engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER USER")
            conn.exec_driver_sql("ALTER TABLE audit_head DISABLE TRIGGER USER")
    return engine


def _append(engine: sa.Engine, n: int) -> None:
    with uow.UnitOfWork(engine, write=True) as work:
        for i in range(n):
            audit.append(work.conn, kind="decisions", actor="engine", at=f"2026-03-01T00:00:{i:02d}+00:00",
                         family_id="FAM-1", subject=f"e-{i}", data={"i": i, "text": "қазақша"})
        work.commit()


def _verify(engine: sa.Engine) -> audit.Verification:
    with uow.UnitOfWork(engine, write=False) as work:
        return audit.verify(work.conn)


def test_an_untouched_chain_verifies(engine: sa.Engine) -> None:
    _append(engine, 5)
    assert _verify(engine) == audit.Verification(True, 5)


def test_each_entry_links_to_the_previous_hash(engine: sa.Engine) -> None:
    _append(engine, 3)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(tables.audit_log).order_by(tables.audit_log.c.seq)).all()
    assert rows[0].prev_hash == audit.GENESIS
    assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]


def test_an_edited_entry_is_the_first_broken_link(engine: sa.Engine) -> None:
    _append(engine, 5)
    with engine.begin() as conn:
        conn.execute(tables.audit_log.update().where(tables.audit_log.c.seq == 3).values(actor="someone-else"))
    result = _verify(engine)
    assert (result.ok, result.broken_seq, result.checked) == (False, 3, 2)


def test_a_deleted_entry_in_the_middle_or_at_the_end_is_found(engine: sa.Engine) -> None:
    _append(engine, 5)
    with engine.begin() as conn:
        conn.execute(tables.audit_log.delete().where(tables.audit_log.c.seq == 5))
    assert _verify(engine).broken_seq == 5
    with engine.begin() as conn:
        conn.execute(tables.audit_log.delete().where(tables.audit_log.c.seq == 2))
    assert _verify(engine).broken_seq == 2


def test_a_rehashed_edit_still_breaks_the_next_link(engine: sa.Engine) -> None:
    _append(engine, 4)
    with engine.begin() as conn:
        row = conn.execute(sa.select(tables.audit_log).where(tables.audit_log.c.seq == 2)).one()
        forged = audit.entry_hash(seq=2, at=row.at, kind=row.kind, actor=row.actor, family_id=row.family_id,
                                  subject=row.subject, data='{"i":99}', prev_hash=row.prev_hash)
        conn.execute(tables.audit_log.update().where(tables.audit_log.c.seq == 2).values(data='{"i":99}', hash=forged))
    assert _verify(engine).broken_seq == 3


def test_the_command_prints_ok_or_the_first_broken_entry(
    engine: sa.Engine, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _append(engine, 3)
    args = argparse.Namespace(database_url=database_url)
    assert audit_cli.verify_command(args) == 0
    assert capsys.readouterr().out.startswith("OK: 3 audit entries")
    with engine.begin() as conn:
        conn.execute(tables.audit_log.update().where(tables.audit_log.c.seq == 1).values(kind="tampered"))
    assert audit_cli.verify_command(args) == 1
    assert "BROKEN: audit entry 1" in capsys.readouterr().out


def test_the_audit_module_offers_no_way_to_change_or_remove_entries() -> None:
    public = {name for name in dir(audit) if not name.startswith("_")}
    assert not {n for n in public if any(w in n for w in ("update", "delete", "remove", "edit"))}
