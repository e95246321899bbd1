"""Keyed checkpoints of the audit chain's head, kept outside the database, and checking against them.

The chain in `audit_log` proves nothing to someone who can write the database: its hash is
unkeyed, so they can delete the tail and rewind `audit_head`, delete everything, or edit a row and
recompute every later hash with the project's own function. So the head is also written, after
each commit that moved it (at most once per `interval` seconds per worker, and at shutdown), to
an append-only file that a setting names, each line carrying an HMAC-SHA256 under a key the
database never sees:

    {"seq": 1234, "hash": "<entry 1234's hash>", "at": "2026-03-01T06:00:00+00:00", "mac": "<hex>"}

Lines only ever go forward: a writer takes an `flock` on the file, reads its last line and appends
only a higher sequence number, so workers that commit in one order and checkpoint in another
never write the head backwards. `verify` walks the chain and then compares every checkpoint with
the entry it names: a log that ends before the latest checkpoint was truncated (and the head
rewound), an empty log with a checkpoint was emptied, an entry whose hash differs from its
checkpoint was rewritten (edited and recomputed, or reordered), and a line whose MAC does not
hold was forged or written with another key. What the last `interval` seconds before an attack
appended is only protected by the chain itself; keep the file on other storage (or a host the
database's administrators cannot write) for the checkpoints to mean anything.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import hmac
import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from service import audit
from service.store import tables

log = logging.getLogger("familycard.audit")

TAIL_BYTES = 4096


class CheckpointConfigError(ValueError):
    """The checkpoint settings cannot be used; the message names the setting or the file."""


@dataclass(frozen=True)
class Checkpoint:
    """One authenticated line: the chain had entry `seq` with hash `hash` at `at`."""

    seq: int
    hash: str
    at: str
    line: int


def mac(key: bytes, seq: int, head_hash: str, at: str) -> str:
    """HMAC-SHA256 of a checkpoint's fields."""
    return hmac.new(key, f"{seq}:{head_hash}:{at}".encode(), hashlib.sha256).hexdigest()


def read_key(*, key: str | None, key_file: Path | None) -> bytes:
    """The checkpoint key from `FAMILYCARD_AUDIT_KEY` or the file `FAMILYCARD_AUDIT_KEY_FILE` names."""
    text = key
    if text is None and key_file is not None:
        try:
            text = key_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise CheckpointConfigError(f"{key_file}: cannot read the audit checkpoint key ({exc.strerror})") from exc
    if not text or len(text) < 32:
        raise CheckpointConfigError(
            "FAMILYCARD_AUDIT_KEY (or the file FAMILYCARD_AUDIT_KEY_FILE names) must hold at least 32 characters "
            "when FAMILYCARD_AUDIT_CHECKPOINT_FILE is set"
        )
    return text.encode("utf-8")


class File:
    """The append-only checkpoint file and its key."""

    def __init__(self, path: Path, key: bytes) -> None:
        self.path = path
        self._key = key

    def append(self, seq: int, head_hash: str, *, at: str | None = None) -> bool:
        """Append a checkpoint unless the file already holds one at or past `seq`; whether it was written."""
        at = at or dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        line = (
            json.dumps(
                {"seq": seq, "hash": head_hash, "at": at, "mac": mac(self._key, seq, head_hash, at)},
                separators=(",", ":"),
            )
            + "\n"
        )
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            last = _last_seq(fd)
            if last is not None and last >= seq:
                return False
            os.write(fd, line.encode())
            os.fsync(fd)
            return True
        finally:
            os.close(fd)  # closing drops the lock

    def read(self) -> tuple[list[Checkpoint], list[str]]:
        """Every authentic checkpoint, and a problem for each line that is not."""
        found: list[Checkpoint] = []
        problems: list[str] = []
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return [], []
        for number, raw in enumerate(text.splitlines(), start=1):
            if not raw.strip():
                continue
            try:
                data = json.loads(raw)
                cp = Checkpoint(int(data["seq"]), str(data["hash"]), str(data["at"]), number)
                presented = str(data["mac"])
            except (ValueError, KeyError, TypeError):
                problems.append(f"{self.path}:{number}: not a checkpoint line")
                continue
            if not hmac.compare_digest(presented, mac(self._key, cp.seq, cp.hash, cp.at)):
                problems.append(
                    f"{self.path}:{number}: checkpoint at entry {cp.seq} fails its MAC "
                    "(forged, edited, or written with another key)"
                )
                continue
            found.append(cp)
        return found, problems


def _last_seq(fd: int) -> int | None:
    size = os.lseek(fd, 0, os.SEEK_END)
    if size == 0:
        return None
    start = max(0, size - TAIL_BYTES)
    tail = os.pread(fd, size - start, start).decode("utf-8", errors="replace")
    for raw in reversed(tail.splitlines()):
        try:
            return int(json.loads(raw)["seq"])
        except (ValueError, KeyError, TypeError):
            continue
    return None


@dataclass
class Writer:
    """Checkpoints the head after commits: at once if `interval` has passed, else once it has."""

    file: File
    interval: float = 1.0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _pending: tuple[int, str] | None = None
    _written_at: float = 0.0
    _timer: threading.Timer | None = None

    def note(self, seq: int, head_hash: str) -> None:
        """The head after a commit (called by the unit of work, after the commit)."""
        with self._lock:
            if self._pending is not None and self._pending[0] >= seq:
                return
            self._pending = (seq, head_hash)
            wait = self.interval - (time.monotonic() - self._written_at)
            if wait <= 0:
                self._write_locked()
            elif self._timer is None:
                self._timer = threading.Timer(wait, self.flush)
                self._timer.daemon = True
                self._timer.start()

    def flush(self) -> None:
        """Write the pending head now (the timer, and shutdown)."""
        with self._lock:
            self._timer = None
            self._write_locked()

    def _write_locked(self) -> None:
        pending, self._pending = self._pending, None
        if pending is None:
            return
        self._written_at = time.monotonic()
        try:
            self.file.append(*pending)
        except OSError:
            log.exception("could not write the audit checkpoint", extra={"path": str(self.file.path)})

    def close(self) -> None:
        """Cancel the timer and write what is pending."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._write_locked()


def attach(engine: sa.Engine, writer: Writer) -> None:
    """Checkpoint every commit on `engine` that moves the audit head."""
    audit.on_head_moved(engine, writer.note)


# --- verification --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """The chain's own verification, and what the checkpoints say about it."""

    chain: audit.Verification
    problems: list[str]
    latest: Checkpoint | None
    checkpoints: int

    @property
    def ok(self) -> bool:
        """True when the chain holds and agrees with every authentic checkpoint."""
        return self.chain.ok and not self.problems


def verify(conn: sa.Connection, checkpoints: File | None, *, batch: int = 1000) -> Report:
    """Walk the chain, then compare every checkpoint with the entry it names."""
    chain = audit.verify(conn, batch=batch)
    if checkpoints is None:
        return Report(chain, [], None, 0)
    found, problems = checkpoints.read()
    by_seq = {cp.seq: cp for cp in found}
    latest = max(found, key=lambda cp: cp.seq) if found else None
    last_seq = 0
    mismatched: Checkpoint | None = None
    for row in audit.chain_rows(conn, batch=batch):
        last_seq = row.seq
        cp = by_seq.get(row.seq)
        if cp is not None and cp.hash != row.hash and (mismatched is None or cp.seq < mismatched.seq):
            mismatched = cp
    if not checkpoints.path.exists():
        if last_seq:
            problems.append(
                f"{checkpoints.path}: no checkpoint file, so the log's tail cannot be proven "
                f"({last_seq} entries in the database)"
            )
    elif latest is None and last_seq and not problems:
        problems.append(f"{checkpoints.path}: no authentic checkpoint in the file")
    if latest is not None:
        if last_seq == 0:
            problems.append(
                f"the audit log is empty, but checkpoint {latest.at} ({checkpoints.path}:{latest.line}) "
                f"recorded {latest.seq} entries: everything was deleted"
            )
        elif last_seq < latest.seq:
            problems.append(
                f"the audit log ends at entry {last_seq}, but checkpoint {latest.at} "
                f"({checkpoints.path}:{latest.line}) recorded entry {latest.seq}: the log was truncated "
                "and its head rewound"
            )
    if mismatched is not None:
        problems.append(
            f"entry {mismatched.seq} differs from checkpoint {mismatched.at} "
            f"({checkpoints.path}:{mismatched.line}): the chain was rewritten from that entry or "
            "earlier (entries edited, removed or reordered and the hashes recomputed)"
        )
    return Report(chain, problems, latest, len(found))


def service_role_grants(role: str) -> list[str]:
    """PostgreSQL grants for the role the service connects as: it may add to the audit log, never change it.

    Run by the database's owner after migrating (the role must not own the tables: an owner can
    switch the triggers off). Every other table keeps the reads and writes the service needs.
    """
    if not role.replace("_", "").isalnum():
        raise ValueError(f"not a plain role name: {role!r}")
    others = [
        t.name
        for t in sorted(tables.metadata.tables.values(), key=lambda t: t.name)
        if t.name not in ("audit_log", "audit_head")
    ]
    return [
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(others)} TO {role}",
        f"GRANT SELECT, INSERT ON audit_log TO {role}",
        f"GRANT SELECT, INSERT, UPDATE ON audit_head TO {role}",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM {role}",
        f"REVOKE DELETE, TRUNCATE ON audit_head FROM {role}",
        f"GRANT SELECT ON alembic_version TO {role}",
    ]
