"""Rows written in one statement come back with the right ids; the audit chain holds across a batch."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from service import audit
from service.store import db, decisions, migrate, uow


def _decision(benefit: str, amount: int) -> dict[str, Any]:
    return {"family_id": "FAM-1", "benefit": benefit, "eligible": amount > 0, "status": "eligible",
            "amount_kzt": amount, "fingerprint": f"fp-{benefit}", "as_of": "2026-03-01",
            "ruleset_version": "sha256:x", "event_id": "e-1", "change": "grant", "body": {"benefit": benefit},
            "created_at": "2026-03-01T00:00:00.000000+00:00"}


def _engine(database_url: str) -> sa.Engine:
    engine = db.create_engine(database_url)
    migrate.upgrade(engine)
    return engine


def test_decisions_stored_together_get_their_own_ids_in_order(database_url: str) -> None:
    engine = _engine(database_url)
    rows = [_decision(b, a) for b, a in (("zeta", 3), ("alpha", 1), ("mid", 2))]
    with uow.UnitOfWork(engine, write=True) as work:
        ids = decisions.add_many(work.conn, decisions=rows)
        twice = decisions.add_many(work.conn, decisions=[_decision("dup", 5), _decision("dup", 6)])
        work.commit()
    with uow.UnitOfWork(engine, write=False) as work:
        stored = [decisions.get(work.conn, decision_id=i) for i in [*ids, *twice]]
    assert [(d["benefit"], d["amount_kzt"]) for d in stored if d] == [
        ("zeta", 3), ("alpha", 1), ("mid", 2), ("dup", 5), ("dup", 6)]
    assert ids == sorted(ids) and len(set(ids + twice)) == 5
    assert stored[0] is not None and stored[0]["body"] == {"benefit": "zeta"}
    engine.dispose()


def test_entries_appended_in_one_transaction_chain_on_and_verify(database_url: str) -> None:
    engine = _engine(database_url)
    for batch in range(3):
        with uow.UnitOfWork(engine, write=True) as work:
            seqs = [audit.append(work.conn, kind="k", actor="a", at="2026-03-01T00:00:00+00:00",
                                 data={"batch": batch, "i": i}) for i in range(4)]
            work.commit()
        assert seqs == list(range(batch * 4 + 1, batch * 4 + 5))
    with uow.UnitOfWork(engine, write=True) as work:  # rolled back: the next batch starts where the chain ends
        audit.append(work.conn, kind="k", actor="a", at="2026-03-01T00:00:00+00:00", data={"lost": True})
    with uow.UnitOfWork(engine, write=True) as work:
        assert audit.append(work.conn, kind="k", actor="a", at="2026-03-01T00:00:00+00:00", data={}) == 13
        work.commit()
    with uow.UnitOfWork(engine, write=False) as work:
        assert audit.verify(work.conn) == audit.Verification(True, 13)
    engine.dispose()
