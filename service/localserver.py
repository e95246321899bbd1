"""A local `familycard serve` process: a free port, waiting for health, stopping it cleanly.

`make run`, the load tests and the end-to-end tests all start the real server as a subprocess.
They share this one piece: wait until `/healthz` answers, fail early (with the end of the server's
log) if the process dies first, and stop the whole process group, SIGKILL after a grace period.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def log_tail(log: Path | None, chars: int = 3000) -> str:
    """The end of a server log, for error messages."""
    if log is None or not log.exists():
        return ""
    return log.read_text(encoding="utf-8", errors="replace")[-chars:]


def wait_healthy(url: str, process: subprocess.Popen[bytes], *, timeout: float, log: Path | None = None) -> None:
    """Poll `{url}/healthz` until it answers 200; raise RuntimeError if the process exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"the server exited with code {process.returncode} before it was healthy\n{log_tail(log)}"
            )
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{url}/healthz did not answer within {timeout:.0f} s\n{log_tail(log)}")


def stop(process: subprocess.Popen[bytes] | None, *, grace: float = 15.0) -> None:
    """SIGTERM the process (its whole group when it leads one), then SIGKILL it if it lingers."""
    if process is None or process.poll() is not None:
        return
    _signal(process, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        _signal(process, signal.SIGKILL)
        process.wait()


def _signal(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    """Signal the process group the process leads (start_new_session=True), else the process alone."""
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(sig)
