"""A minimal HTTP/1.1 keep-alive client on asyncio streams, for hundreds of connections from one core.

httpx or aiohttp cost several times the CPU per request, which on this 2-core machine would be
taken from the server being measured. This speaks just enough HTTP for the service's JSON
answers: a request with Content-Length, a response with Content-Length (no chunking).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Answer:
    """One response: status, Retry-After (if any), body, and the latency seen by the client."""

    status: int
    retry_after: str | None
    body: bytes
    seconds: float


class Connection:
    """One keep-alive connection to host:port."""

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        self._fixed = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self._reader is None or self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        return self._reader, self._writer

    async def request(self, method: str, path: str, body: bytes = b"") -> Answer:
        """Send one request and read its response (reconnecting once if the server closed the connection)."""
        for attempt in (1, 2):
            started = time.perf_counter()
            try:
                reader, writer = await self._open()
                head = (
                    f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n{self._fixed}Content-Length: {len(body)}\r\n\r\n"
                )
                writer.write(head.encode() + body)
                status_line = await reader.readline()
                if not status_line:
                    raise ConnectionResetError("closed")
                status = int(status_line.split()[1])
                length, retry_after, close = 0, None, False
                while True:
                    line = await reader.readline()
                    if line in (b"\r\n", b""):
                        break
                    name, _, value = line.decode("latin-1").partition(":")
                    name = name.strip().lower()
                    if name == "content-length":
                        length = int(value)
                    elif name == "retry-after":
                        retry_after = value.strip()
                    elif name == "connection" and value.strip().lower() == "close":
                        close = True
                data = await reader.readexactly(length) if length else b""
                if close:
                    await self.close()
                return Answer(status, retry_after, data, time.perf_counter() - started)
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def close(self) -> None:
        """Close the socket (if open)."""
        writer, self._reader, self._writer = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]
