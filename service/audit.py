"""The append-only audit log: every decision, offer, consent, review resolution, rule reload and
rejected event, each entry chained to the one before by SHA-256.

An entry's hash covers its own fields and the previous entry's hash, over canonical JSON (sorted
keys, no spaces, UTF-8), so editing, deleting or reordering any row breaks the chain from that row
on, and `verify` names the first broken link. This module can append and verify; it has nothing
that updates or deletes an entry.
"""

from __future__ import annotations

import hashlib
import json
import weakref
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
import sqlalchemy as sa

from service.store import rows, tables, uow

GENESIS = "0" * 64
HEAD_ID = 1


def canonical(value: Any) -> str:
    """The one JSON text of a value that the hash is computed over."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


_PLAIN = frozenset({str, int, bool, type(None)})


def canonical_flat(value: Mapping[str, Any]) -> str:
    """`canonical` of a flat object (strings, integers, booleans, None, lists of those), faster.

    orjson writes these exactly as `json.dumps` does (every code point was compared); floats it
    may write differently (1e-7 for 1e-07), so an object holding one goes to `canonical`.
    """
    for v in value.values():
        kind = type(v)
        if kind not in _PLAIN and not (kind is list and all(type(x) in _PLAIN for x in v)):
            return canonical(dict(value))
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    except TypeError:  # integers beyond 64 bits, lone surrogates: as `canonical` handles them
        return canonical(dict(value))


def entry_hash(
    *, seq: int, at: str, kind: str, actor: str, family_id: str | None, subject: str | None,
    data: str, prev_hash: str,
) -> str:
    """SHA-256 of the entry's fields and the previous hash."""
    body = canonical_flat(
        {
            "seq": seq, "at": at, "kind": kind, "actor": actor, "family_id": family_id,
            "subject": subject, "data": data, "prev_hash": prev_hash,
        }
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


_HEAD = tables.audit_head
_LOG = tables.audit_log
_READ_HEAD = sa.select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == HEAD_ID).with_for_update()
_ADD_ENTRY = _LOG.insert()
_ADD_HEAD = _HEAD.insert()
_MOVE_HEAD = _HEAD.update().where(_HEAD.c.id == sa.bindparam("key_id"))
# This transaction's part of the chain, kept on the connection until it commits (see `_Pending`).
_PENDING = "familycard.audit.pending"
# Who wants to hear of each committed head (the checkpoints kept outside the database).
_HEAD_LISTENERS: weakref.WeakKeyDictionary[sa.Engine, Callable[[int, str], None]] = weakref.WeakKeyDictionary()


def on_head_moved(engine: sa.Engine, listener: Callable[[int, str], None]) -> None:
    """Call `listener(seq, hash)` after each commit on `engine` that moved the chain head."""
    _HEAD_LISTENERS[engine] = listener


@dataclass
class _Pending:
    """The entries a transaction has appended, written when it commits, and the head they lead to.

    An event typically appends two or three entries; writing them (one multi-row INSERT) and
    moving the head (one UPDATE) at commit costs two statements instead of two per entry. The
    chain is the same: each entry's hash covers the previous one, computed as it is appended.
    Writers hold the single writer lock for the whole transaction (and the row lock on
    PostgreSQL), so nobody else can move the head meanwhile.
    """

    transaction: sa.RootTransaction | None
    seq: int
    hash: str
    stored: bool
    rows: list[dict[str, Any]] = field(default_factory=list)


def _pending(conn: sa.Connection) -> _Pending:
    """This transaction's pending entries (the head read once per transaction)."""
    transaction = conn.get_transaction()
    found: _Pending | None = conn.info.get(_PENDING)
    if found is not None and found.transaction is transaction and transaction is not None and transaction.is_active:
        return found
    head = rows.one(conn, _READ_HEAD, {})
    found = (_Pending(transaction, head["seq"], head["hash"], True) if head
             else _Pending(transaction, 0, GENESIS, False))
    conn.info[_PENDING] = found
    uow.before_commit(conn, flush)
    return found


def append(
    conn: sa.Connection, *, kind: str, actor: str, at: str, data: Mapping[str, Any],
    family_id: str | None = None, subject: str | None = None,
) -> int:
    """Add one entry at the end of the chain (written with the caller's transaction); its number."""
    pending = _pending(conn)
    seq = pending.seq + 1
    text = canonical(dict(data))
    digest = entry_hash(
        seq=seq, at=at, kind=kind, actor=actor, family_id=family_id, subject=subject, data=text,
        prev_hash=pending.hash,
    )
    pending.rows.append({"seq": seq, "at": at, "kind": kind, "actor": actor, "family_id": family_id,
                         "subject": subject, "data": text, "prev_hash": pending.hash, "hash": digest})
    pending.seq, pending.hash = seq, digest
    return seq


def flush(conn: sa.Connection) -> None:
    """Write the transaction's pending entries and move the head (the unit of work calls it before commit)."""
    pending: _Pending | None = conn.info.get(_PENDING)
    if pending is None or not pending.rows:
        return
    rows.run(conn, _ADD_ENTRY, pending.rows)
    if pending.stored:
        rows.run(conn, _MOVE_HEAD, {"key_id": HEAD_ID, "seq": pending.seq, "hash": pending.hash})
    else:
        rows.run(conn, _ADD_HEAD, {"id": HEAD_ID, "seq": pending.seq, "hash": pending.hash})
        pending.stored = True
    pending.rows = []
    listener = _HEAD_LISTENERS.get(conn.engine)
    if listener is not None:
        seq, head = pending.seq, pending.hash
        uow.after_commit(conn, lambda: listener(seq, head))


@dataclass(frozen=True)
class Verification:
    """The result of walking the chain: how many entries held, and the first broken link if any."""

    ok: bool
    checked: int
    broken_seq: int | None = None
    problem: str | None = None


def verify(conn: sa.Connection, *, batch: int = 1000) -> Verification:
    """Recompute every link from the first entry; stop at the first one that does not hold."""
    expected_seq, prev = 1, GENESIS
    checked = 0
    for row in _rows(conn, batch=batch):
        if row.seq != expected_seq:
            return Verification(False, checked, expected_seq, f"entry {expected_seq} is missing")
        if row.prev_hash != prev:
            return Verification(False, checked, row.seq, "prev_hash does not match the previous entry")
        digest = entry_hash(
            seq=row.seq, at=row.at, kind=row.kind, actor=row.actor, family_id=row.family_id,
            subject=row.subject, data=row.data, prev_hash=row.prev_hash,
        )
        if digest != row.hash:
            return Verification(False, checked, row.seq, "hash does not match the entry's content")
        prev, expected_seq, checked = row.hash, expected_seq + 1, checked + 1
    head = conn.execute(
        sa.select(tables.audit_head.c.seq, tables.audit_head.c.hash).where(tables.audit_head.c.id == HEAD_ID)
    ).first()
    if head is None and checked:
        return Verification(False, checked, checked, "the chain head record is missing")
    if head is not None and head.seq > checked:
        return Verification(False, checked, checked + 1, f"entries {checked + 1}..{head.seq} were removed")
    if head is not None and (head.seq < checked or head.hash != prev):
        return Verification(False, checked, head.seq + 1, "entries after the chain head were added or altered")
    return Verification(True, checked)


def chain_rows(conn: sa.Connection, *, batch: int = 1000) -> Iterator[sa.Row[Any]]:
    """The entries in chain order (for checks made outside this module)."""
    return _rows(conn, batch=batch)


def _rows(conn: sa.Connection, *, batch: int) -> Iterator[sa.Row[Any]]:
    """The entries in chain order, fetched in pages by sequence number."""
    after = 0
    t = tables.audit_log
    while True:
        rows = conn.execute(sa.select(t).where(t.c.seq > after).order_by(t.c.seq).limit(batch)).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].seq


def entries(
    conn: sa.Connection, *, after: int = 0, limit: int = 100, family_id: str | None = None,
    kind: str | None = None,
) -> list[dict[str, Any]]:
    """A page of entries as stored, for the auditor's endpoint."""
    t = tables.audit_log
    query = sa.select(t).where(t.c.seq > after).order_by(t.c.seq).limit(limit)
    if family_id is not None:
        query = query.where(t.c.family_id == family_id)
    if kind is not None:
        query = query.where(t.c.kind == kind)
    return [
        {
            "seq": r.seq, "at": r.at, "kind": r.kind, "actor": r.actor, "family_id": r.family_id,
            "subject": r.subject, "data": json.loads(r.data), "prev_hash": r.prev_hash, "hash": r.hash,
        }
        for r in conn.execute(query)
    ]
