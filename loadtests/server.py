"""A throwaway API server for load tests and end-to-end tests: free port, temp SQLite, own tokens.

Every load test measures a real `familycard serve` subprocess (uvicorn with uvloop and
httptools, N workers), never an in-process app, because the in-process numbers hide exactly what
is being measured: the HTTP stack, the worker processes and the database file.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from service import localserver

ROLES = ("bus", "reviewer", "analyst", "auditor")


@dataclass
class Server:
    """A running server: where it listens, its tokens and its process."""

    url: str
    tokens: dict[str, str]
    process: subprocess.Popen[bytes]
    workdir: Path
    env: dict[str, str] = field(default_factory=dict)

    def rss_bytes(self) -> int:
        """Resident memory of the server and all its worker processes."""
        return sum(p.memory_info().rss for p in self.processes())

    def processes(self) -> list[psutil.Process]:
        """The supervisor and its live children."""
        try:
            root = psutil.Process(self.process.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []


def write_tokens(path: Path) -> dict[str, str]:
    """One random token per role in the tokens-file format."""
    tokens = {role: secrets.token_urlsafe(24) for role in ROLES}
    doc = {"tokens": [{"name": f"{role}-load", "role": role, "token": t} for role, t in tokens.items()]}
    path.write_text(json.dumps(doc), encoding="utf-8")
    return tokens


@contextlib.contextmanager
def running_server(
    *,
    workers: int = 1,
    database_url: str | None = None,
    extra_env: dict[str, str] | None = None,
    startup_timeout: float = 60.0,
    quiet: bool = True,
) -> Iterator[Server]:
    """Start `familycard serve` on a free port with a temp SQLite file; stop it on exit."""
    with tempfile.TemporaryDirectory(prefix="familycard-load-") as tmp:
        workdir = Path(tmp)
        tokens = write_tokens(workdir / "tokens.json")
        port = localserver.free_port()
        env = dict(os.environ)
        env.update(
            FAMILYCARD_ENV="development",
            FAMILYCARD_TOKENS_FILE=str(workdir / "tokens.json"),
            FAMILYCARD_DATABASE_URL=database_url or f"sqlite:///{workdir / 'familycard.db'}",
            FAMILYCARD_LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
            # The synthetic streams compress a family's life (decades of events in seconds), so their
            # clock runs far ahead of the wall clock: no upper bound on `occurred_at` here (the
            # service's default everywhere else).
            FAMILYCARD_MAX_CLOCK_SKEW_S="1e15",
            # Capacity runs and scenarios count every non-2xx as an error: no load shedding unless a
            # tool asks for it (`overload.py`, `pg_kill.py` pass the service's bound).
            FAMILYCARD_MAX_QUEUE_WAIT_MS="0",
        )
        env.update(extra_env or {})
        log = (workdir / "server.log").open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--workers", str(workers)],
            env=env,
            stdout=log if quiet else None,
            stderr=subprocess.STDOUT if quiet else None,
            start_new_session=True,
        )
        server = Server(f"http://127.0.0.1:{port}", tokens, process, workdir, env)
        try:
            localserver.wait_healthy(server.url, process, timeout=startup_timeout, log=workdir / "server.log")
            yield server
        finally:
            localserver.stop(process)
            log.close()


def server_log(server: Server) -> str:
    """What the server printed (for failure messages)."""
    return localserver.log_tail(server.workdir / "server.log", 4000)
