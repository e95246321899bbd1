"""The SQLite writer queue: one writer at a time across processes, handed over at once, bounded waits."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import sqlalchemy as sa

from service.store import db, migrate, tables, uow

HOLDER = textwrap.dedent("""
    import fcntl, os, sys, time
    fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
""")


def _hold_elsewhere(path: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process that holds the lock file for `seconds`, then exits."""
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), str(seconds)], stdout=subprocess.PIPE,
                              text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def test_a_sqlite_file_database_has_a_writer_queue_and_memory_or_postgresql_do_not(tmp_path: Path) -> None:
    lock = db.writer_lock(db.create_engine(f"sqlite:///{tmp_path / 'a.db'}"))
    assert lock is not None and lock.path == (tmp_path / "a.db").resolve().with_name("a.db" + db.LOCK_SUFFIX)
    assert db.writer_lock(db.create_engine("sqlite://")) is None
    assert db.writer_lock(sa.create_engine("postgresql+psycopg://u@127.0.0.1:1/x")) is None


def test_a_writer_in_another_process_is_waited_for_and_the_lock_taken_as_soon_as_it_ends(tmp_path: Path) -> None:
    lock = db.WriterLock(tmp_path / "w.lock")
    holder = _hold_elsewhere(lock.path, 0.5)
    started = time.monotonic()
    assert lock.acquire(timeout=10)
    waited = time.monotonic() - started
    lock.release()
    holder.wait()
    assert 0.3 < waited < 5


def test_a_wait_gives_up_after_its_timeout_and_the_lock_still_works_afterwards(tmp_path: Path) -> None:
    lock = db.WriterLock(tmp_path / "w.lock")
    holder = _hold_elsewhere(lock.path, 1.0)
    assert lock.acquire(timeout=0) is False
    started = time.monotonic()
    assert lock.acquire(timeout=0.2) is False
    assert time.monotonic() - started < 0.9
    holder.wait()
    assert lock.acquire(timeout=5)  # the abandoned wait handed its lock back
    other = db.WriterLock(lock.path)  # a second descriptor: as another process would see it
    assert other.acquire(timeout=0) is False
    lock.release()
    assert other.acquire(timeout=0) is True
    other.release()


def test_the_lock_is_reentrant_in_its_thread_and_excludes_other_threads(tmp_path: Path) -> None:
    lock = db.WriterLock(tmp_path / "w.lock")
    assert lock.acquire() and lock.acquire()
    seen: list[bool] = []
    thread = threading.Thread(target=lambda: seen.append(lock.acquire(timeout=0.1)))
    thread.start()
    thread.join()
    lock.release()
    assert seen == [False]  # still held once
    lock.release()

    def take_and_give_back() -> None:
        seen.append(lock.acquire(timeout=1))
        lock.release()

    thread = threading.Thread(target=take_and_give_back)
    thread.start()
    thread.join()
    assert seen == [False, True]


def test_concurrent_writers_in_threads_each_commit_once(tmp_path: Path) -> None:
    engine = db.create_engine(f"sqlite:///{tmp_path / 't.db'}")
    migrate.upgrade(engine)

    def write(i: int) -> None:
        for j in range(10):
            with uow.UnitOfWork(engine, write=True) as work:
                work.conn.execute(tables.outbox.insert(), {
                    "id": f"ms-{i}-{j}", "family_id": "F", "offer_id": None, "channel": "sms", "sender": "1414",
                    "recipient_iin": "000000000000", "text_kk": "", "text_ru": "", "status": "pending",
                    "created_at": "2026-03-01T00:00:00+00:00"})
                work.commit()

    threads = [threading.Thread(target=write, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with uow.UnitOfWork(engine, write=False) as work:
        assert work.conn.execute(sa.select(sa.func.count()).select_from(tables.outbox)).scalar_one() == 40
