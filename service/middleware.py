"""ASGI middleware: the request-size limit, and per-request latency metrics and access logs.

Both are plain ASGI (no `BaseHTTPMiddleware`, which costs a task per request). The size limit
answers 413 in the one error shape before the body reaches a route, whether the client declared
a Content-Length or streamed the body in chunks.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from prometheus_client import Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import item
from service.metrics import Metrics

log = logging.getLogger("familycard.http")


class BodyTooLarge(Exception):
    """Raised from `receive` once a streamed body passes the limit; `BodyLimit` answers it with 413."""


class BodyLimit:
    """Refuse request bodies over `max_bytes` (or the limit `per_path` gives a path) with 413."""

    def __init__(self, app: ASGIApp, max_bytes: int, per_path: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.per_path = per_path or {}  # e.g. the eligibility batch, whose NDJSON is read as it arrives

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.per_path.get(scope["path"], self.max_bytes)
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > limit:
                    await self._refuse(send, limit)
                    return
        seen = 0
        started = False

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge
            return message

        async def watching(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited, watching)
        except BodyTooLarge:
            if not started:
                await self._refuse(send, limit)

    async def _refuse(self, send: Send, limit: int) -> None:
        body = json.dumps({"detail": [item(["body"], f"the body is larger than {limit} bytes",
                                           "body_too_large")]}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class Observe:
    """Latency histogram by route template and status, and one JSON access-log line per request."""

    def __init__(self, app: ASGIApp, state: Any) -> None:
        self.app = app
        self.state = state
        self._metrics: Metrics | None = None
        self._series: dict[tuple[str, str, int], Histogram] = {}  # the histogram's child per labels, for `_metrics`

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            ctx = getattr(self.state, "ctx", None)
            if ctx is not None:
                self._series_for(ctx.metrics, scope["method"], template, status).observe(elapsed)
            if log.isEnabledFor(logging.INFO) and template not in ("/metrics", "/healthz", "/v1/echo"):
                log.info("request", extra={"method": scope["method"], "route": template, "path": scope["path"],
                                           "status": status, "ms": round(elapsed * 1000, 2)})

    def _series_for(self, metrics: Metrics, method: str, template: str, status: int) -> Histogram:
        """The latency histogram's child for these labels, kept: `labels()` costs more than `observe()`."""
        if metrics is not self._metrics:  # a restarted application has new metrics
            self._metrics, self._series = metrics, {}
        key = (method, template, status)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = metrics.requests.labels(method, template, str(status))
        return series
