"""Issue 11, item 6: an insider with database access cannot rewrite the audit log unnoticed.

The tampering table: each row is something a person who can write the database does to the log,
and `familycard audit verify` must report it. Without checkpoints the first four pass the chain's
own check (the hash is unkeyed and the head lives in the same database); with the keyed
checkpoints outside the database every one is reported. On PostgreSQL the table also refuses the
changes outright unless its owner switches the guard off first.
"""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from service import audit, audit_checkpoint, audit_cli
from service.store import db, migrate, tables, uow

KEY = "k" * 40
ENTRIES = 80


@pytest.fixture
def engine(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[sa.Engine]:
    monkeypatch.setenv("FAMILYCARD_AUDIT_KEY", KEY)
    monkeypatch.setenv("FAMILYCARD_AUDIT_CHECKPOINT_FILE", str(tmp_path / "audit.checkpoints"))
    engine = db.create_engine(database_url)
    migrate.upgrade(engine)
    audit_checkpoint.attach(
        engine, audit_checkpoint.Writer(audit_checkpoint.File(tmp_path / "audit.checkpoints", KEY.encode()), interval=0)
    )
    for start in range(0, ENTRIES, 10):  # one checkpoint per committed transaction
        with uow.UnitOfWork(engine, write=True) as work:
            for i in range(start, start + 10):
                audit.append(
                    work.conn,
                    kind="decisions",
                    actor="engine",
                    at=f"2026-03-01T00:{i // 60:02d}:{i % 60:02d}Z",
                    family_id=f"FAM-{i % 7}",
                    subject=f"e-{i}",
                    data={"i": i, "amount_kzt": 1000 + i},
                )
            work.commit()
    yield engine
    engine.dispose()


def _insider(conn: sa.Connection) -> None:
    """An owner of the tables switches PostgreSQL's append-only guard off (SQLite has none)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER USER")
        conn.exec_driver_sql("ALTER TABLE audit_head DISABLE TRIGGER USER")


def _recompute(conn: sa.Connection, start: int) -> None:
    """Rewrite every hash from entry `start` on with the project's own function, and move the head."""
    log = tables.audit_log
    prev = (
        audit.GENESIS if start == 1 else conn.execute(sa.select(log.c.hash).where(log.c.seq == start - 1)).scalar_one()
    )
    last = None
    for row in conn.execute(sa.select(log).where(log.c.seq >= start).order_by(log.c.seq)).all():
        digest = audit.entry_hash(
            seq=row.seq,
            at=row.at,
            kind=row.kind,
            actor=row.actor,
            family_id=row.family_id,
            subject=row.subject,
            data=row.data,
            prev_hash=prev,
        )
        conn.execute(log.update().where(log.c.seq == row.seq).values(prev_hash=prev, hash=digest))
        prev, last = digest, row.seq
    if last is not None:
        conn.execute(tables.audit_head.update().values(seq=last, hash=prev))


def delete_tail_and_rewind(conn: sa.Connection) -> None:
    log = tables.audit_log
    conn.execute(log.delete().where(log.c.seq > ENTRIES - 50))
    head = conn.execute(sa.select(log.c.seq, log.c.hash).order_by(log.c.seq.desc()).limit(1)).one()
    conn.execute(tables.audit_head.update().values(seq=head.seq, hash=head.hash))


def delete_everything(conn: sa.Connection) -> None:
    conn.execute(tables.audit_log.delete())
    conn.execute(tables.audit_head.delete())


def edit_and_recompute(conn: sa.Connection) -> None:
    log = tables.audit_log
    conn.execute(log.update().where(log.c.seq == 12).values(data='{"amount_kzt":1,"i":11}'))
    _recompute(conn, 12)


def reorder_and_recompute(conn: sa.Connection) -> None:
    log = tables.audit_log
    a, b = (conn.execute(sa.select(log).where(log.c.seq == s)).one() for s in (21, 22))
    fields = ("at", "kind", "actor", "family_id", "subject", "data")
    conn.execute(log.update().where(log.c.seq == 21).values({f: getattr(b, f) for f in fields}))
    conn.execute(log.update().where(log.c.seq == 22).values({f: getattr(a, f) for f in fields}))
    _recompute(conn, 21)


def edit_naively(conn: sa.Connection) -> None:
    conn.execute(tables.audit_log.update().where(tables.audit_log.c.seq == 5).values(actor="someone-else"))


TAMPERING: dict[str, tuple[Callable[[sa.Connection], None], str, bool]] = {
    # name: (what the insider does, what verify must say, whether the unkeyed chain alone notices)
    "delete the tail and rewind the head": (
        delete_tail_and_rewind,
        "the log was truncated and its head rewound",
        False,
    ),
    "delete everything": (delete_everything, "everything was deleted", False),
    "edit a row and recompute the later hashes": (edit_and_recompute, "entry 20 differs from checkpoint", False),
    "reorder two rows and recompute": (reorder_and_recompute, "entry 30 differs from checkpoint", False),
    "edit a row without recomputing": (edit_naively, "audit entry 5: hash does not match", True),
}


@pytest.mark.parametrize("name", list(TAMPERING))
def test_the_tampering_table_is_reported_by_audit_verify(
    engine: sa.Engine, database_url: str, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = argparse.Namespace(database_url=database_url, checkpoints=None)
    assert audit_cli.verify_command(args) == 0
    assert f"agrees with {ENTRIES // 10} checkpoint(s), the latest at entry {ENTRIES}" in capsys.readouterr().out
    tamper, message, chain_notices = TAMPERING[name]
    with engine.begin() as conn:
        _insider(conn)
        tamper(conn)
    with engine.connect() as conn:
        assert audit.verify(conn).ok is not chain_notices  # the chain alone is fooled by all but the naive edit
    assert audit_cli.verify_command(args) == 1
    out = capsys.readouterr().out
    assert out.startswith("BROKEN") and message in out, out


def test_a_forged_checkpoint_line_is_reported(
    engine: sa.Engine, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "audit.checkpoints"
    with path.open("a") as out:  # an insider writes a checkpoint for a rewound head without the key
        out.write('{"seq":30,"hash":"' + "0" * 64 + '","at":"2026-03-01T00:00:00+00:00","mac":"' + "1" * 64 + '"}\n')
    assert audit_cli.verify_command(argparse.Namespace(database_url=database_url, checkpoints=None)) == 1
    assert "checkpoint at entry 30 fails its MAC" in capsys.readouterr().out


def test_checkpoints_only_go_forward_whoever_writes_them(tmp_path: Path) -> None:
    file = audit_checkpoint.File(tmp_path / "cp", KEY.encode())
    assert file.append(10, "a" * 64) and file.append(12, "b" * 64)
    assert not file.append(11, "c" * 64)  # a worker that committed earlier but checkpoints later
    found, problems = file.read()
    assert [c.seq for c in found] == [10, 12] and problems == []
    assert audit_checkpoint.File(tmp_path / "cp", b"another key that is long enough!!").read()[0] == []


def test_the_api_reports_the_checkpoint_disagreement(
    client_for: object, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.service import builders as b
    from tests.service.conftest import auth

    path = tmp_path / "api.checkpoints"
    client = client_for(
        database_url,
        audit_checkpoint_file=path,
        audit_key=KEY,  # type: ignore[operator]
        audit_checkpoint_seconds=0,
    )
    for i in range(3):
        event = b.event("family.registered", b.make_family(f"FAM-CP{i}", children=2))
        assert client.post("/v1/events", json=event, headers=auth("bus")).status_code == 200
    check = client.get("/v1/audit/verify", headers=auth("auditor")).json()
    assert check["ok"] is True and check["checkpoint_seq"] == check["checked"] > 0
    engine = db.create_engine(database_url)
    with engine.begin() as conn:
        _insider(conn)
        delete_tail_and_rewind_by(conn, 1)
    engine.dispose()
    check = client.get("/v1/audit/verify", headers=auth("auditor")).json()
    assert check["ok"] is False and "truncated" in check["checkpoint_problems"][0]


def delete_tail_and_rewind_by(conn: sa.Connection, n: int) -> None:
    log = tables.audit_log
    last = conn.execute(sa.select(sa.func.max(log.c.seq))).scalar_one()
    conn.execute(log.delete().where(log.c.seq > last - n))
    head = conn.execute(sa.select(log.c.seq, log.c.hash).order_by(log.c.seq.desc()).limit(1)).one()
    conn.execute(tables.audit_head.update().values(seq=head.seq, hash=head.hash))


@pytest.mark.postgres
def test_postgresql_refuses_to_change_the_audit_log_and_a_service_role_cannot_at_all(
    postgres_url: str, tmp_path: Path
) -> None:
    engine = db.create_engine(postgres_url)
    migrate.upgrade(engine)
    with uow.UnitOfWork(engine, write=True) as work:
        for i in range(3):
            audit.append(work.conn, kind="k", actor="engine", at="2026-03-01T00:00:00Z", data={"i": i})
        work.commit()
    for statement in (
        "UPDATE audit_log SET actor = 'x'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        "UPDATE audit_head SET seq = 1",
        "DELETE FROM audit_head",
    ):
        with pytest.raises(sa.exc.DBAPIError, match=r"append-only|only moves forward"), engine.begin() as conn:
            conn.exec_driver_sql(statement)
    role = f"fc_i11a_app_{uuid.uuid4().hex[:8]}"
    with engine.begin() as conn:
        schema = conn.exec_driver_sql("SELECT current_schema()").scalar_one()
        conn.exec_driver_sql(f"CREATE ROLE {role} NOLOGIN")
        conn.exec_driver_sql(f'GRANT USAGE ON SCHEMA "{schema}" TO {role}')
        for statement in audit_checkpoint.service_role_grants(role):
            conn.exec_driver_sql(statement)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"SET LOCAL ROLE {role}")
            conn.exec_driver_sql(
                "INSERT INTO audit_log (seq, at, kind, actor, data, prev_hash, hash) "
                "VALUES (99, 'x', 'k', 'a', '{}', 'p', 'h')"
            )
            conn.exec_driver_sql("UPDATE audit_head SET seq = 99")
            conn.exec_driver_sql("ROLLBACK")  # what it may do, shown, then undone
        for statement in ("ALTER TABLE audit_log DISABLE TRIGGER USER", "DELETE FROM audit_log"):
            with pytest.raises(sa.exc.DBAPIError, match=r"permission denied|must be owner"), engine.begin() as conn:
                conn.exec_driver_sql(f"SET LOCAL ROLE {role}")
                conn.exec_driver_sql(statement)
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'REVOKE ALL ON ALL TABLES IN SCHEMA "{schema}" FROM {role}')
            conn.exec_driver_sql(f'REVOKE USAGE ON SCHEMA "{schema}" FROM {role}')
            conn.exec_driver_sql(f"DROP ROLE {role}")
        engine.dispose()


def test_the_grants_command_prints_an_append_only_audit_log_for_the_service_role(
    capsys: pytest.CaptureFixture[str]
) -> None:
    assert audit_cli.grants_command(argparse.Namespace(role="familycard_app")) == 0
    printed = capsys.readouterr().out.splitlines()
    assert "GRANT SELECT, INSERT ON audit_log TO familycard_app;" in printed
    assert "REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM familycard_app;" in printed
    assert audit_cli.grants_command(argparse.Namespace(role="app; DROP TABLE audit_log")) == 2
