"""ASGI middleware: the request-size limit, per-request latency metrics and access logs, load
shedding past a bound on requests in progress (`Shed`), and control characters refused (`TextGuard`).

Both are plain ASGI (no `BaseHTTPMiddleware`, which costs a task per request). The size limit
answers 413 in the one error shape before the body reaches a route, whether the client declared
a Content-Length or streamed the body in chunks.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import urllib.parse
import weakref
from typing import Any

from prometheus_client import Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service import control_chars
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


class Load:
    """How busy this worker is: requests in progress and how long they waited, the bounds, the refusals."""

    def __init__(self, max_in_flight: int, max_queue_wait_s: float = 0.0) -> None:
        self.max_in_flight = max_in_flight
        self.max_queue_wait_s = max_queue_wait_s
        self.in_flight = 0
        self.shed = 0
        self.last_wait_s = 0.0  # the queue wait of the latest request (what /readyz reports) ...
        self.last_wait_at = 0.0  # ... and when it was measured (time.monotonic())

    def full(self) -> bool:
        """Whether a new request would pass the bound on requests in progress."""
        return bool(self.max_in_flight) and self.in_flight >= self.max_in_flight

    def backed_up(self, *, within_s: float | None = None) -> bool:
        """Whether requests wait longer than the bound, as of the latest one (measured in the last `within_s`)."""
        if not self.max_queue_wait_s or self.last_wait_s <= self.max_queue_wait_s:
            return False
        return within_s is None or time.monotonic() - self.last_wait_at <= within_s

    def observe_wait(self, seconds: float) -> None:
        """Record the queue wait of the request being admitted or refused."""
        self.last_wait_s = seconds
        self.last_wait_at = time.monotonic()


# Probes and metrics are answered however busy the worker is: an orchestrator must see the truth.
UNSHED = frozenset({"/healthz", "/readyz", "/metrics"})

# When each task of the worker's event loop was created (uvicorn creates one per request as soon
# as its headers are read): how long a request has waited for the loop is "now" minus this.
_CREATED: weakref.WeakKeyDictionary[asyncio.Task[Any], float] = weakref.WeakKeyDictionary()


def _stamping_factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
    task: asyncio.Task[Any] = asyncio.Task(coro, loop=loop, **kwargs)
    _CREATED[task] = time.perf_counter()
    return task


def queue_wait() -> float:
    """Seconds the current request's task waited between its creation and now (0 if unknown)."""
    try:
        task = asyncio.current_task()
    except RuntimeError:
        return 0.0
    created = _CREATED.get(task) if task is not None else None
    return time.perf_counter() - created if created is not None else 0.0


class Shed:
    """Refuse, with 503 and Retry-After at once, requests past what the worker can serve in time.

    The worker runs every request on one event loop, and the routes do their work without
    yielding, so requests queue for the loop rather than pile up "in progress": without a bound,
    200 connections meant p99 of 13-19 s and nothing refused. Two bounds, either of which sheds:

    - the time a request waited for the loop before it got here (`max_queue_wait_s`, taken
      from when uvicorn created its task: the middleware stamps task creation on the loop);
    - the number of requests in progress (`max_in_flight`; they can pile up where a route
      yields, e.g. a large body arriving in pieces).

    A refusal costs microseconds and touches no database, so it clears the queue fast and keeps
    the latency of what is accepted; the caller (and a load balancer) are told when to return.
    """

    def __init__(self, app: ASGIApp, load: Load, retry_after_s: int) -> None:
        self.app = app
        self.load = load
        body = json.dumps({"detail": [item([], "the service is busy; retry after the time in Retry-After",
                                           "overloaded")]}).encode()
        self._headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                         (b"retry-after", str(retry_after_s).encode())]
        self._body = body
        self._stamping: asyncio.AbstractEventLoop | None = None

    def _stamp_tasks(self) -> None:
        loop = asyncio.get_running_loop()
        if self._stamping is not loop:
            self._stamping = loop
            if loop.get_task_factory() is None:
                loop.set_task_factory(_stamping_factory)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNSHED:
            await self.app(scope, receive, send)
            return
        load = self.load
        if load.max_queue_wait_s:
            self._stamp_tasks()
            load.observe_wait(queue_wait())
        if load.full() or load.backed_up():
            load.shed += 1
            await send({"type": "http.response.start", "status": 503, "headers": self._headers})
            await send({"type": "http.response.body", "body": self._body})
            return
        load.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            load.in_flight -= 1


class TextGuard:
    """Refuse control characters in the path, the query and JSON or form bodies with a 422 naming the field.

    PostgreSQL cannot store a NUL character (a 500 there, a 200 on SQLite); no field has a use for
    control characters, and free text (a reviewer's reason) keeps only tab and line breaks. The
    bus events route is left to the intake, which refuses the same way and keeps a dead letter.
    """

    def __init__(self, app: ASGIApp, skip: frozenset[str] = frozenset({"/v1/events"})) -> None:
        self.app = app
        self.skip = skip

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if control_chars.found(path, ["path"]):
            await _unprocessable(send, control_chars.found(path, ["path"]))
            return
        query: bytes = scope.get("query_string", b"")
        if query and b"%" in query:
            pairs = urllib.parse.parse_qsl(query.decode("latin-1"), keep_blank_values=True)
            errors = [e for k, v in pairs for e in control_chars.found({k: v}, ["query"])]
            if errors:
                await _unprocessable(send, errors)
                return
        if scope["method"] not in ("POST", "PUT", "PATCH") or path in self.skip:
            await self.app(scope, receive, send)
            return
        kind = b""
        for name, value in scope.get("headers", ()):
            if name == b"content-type":
                kind = value.split(b";")[0].strip().lower()
        if kind not in (b"application/json", b"application/x-www-form-urlencoded"):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message], receive), send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        errors = _controls(body, kind)
        if errors:
            await _unprocessable(send, errors)
            return
        await self.app(scope, _replay([{"type": "http.request", "body": body, "more_body": False}], receive), send)


def _controls(body: bytes, kind: bytes) -> list[dict[str, Any]]:
    if kind == b"application/json":
        if not control_chars.maybe_present(body):
            return []
        try:
            data = json.loads(body)
        except ValueError:
            return []  # not JSON: the route says so
        return control_chars.found(data, ["body"], layout=True)
    if b"%" not in body:
        return []
    pairs = urllib.parse.parse_qsl(body.decode("latin-1"), keep_blank_values=True)
    return [e for k, v in pairs for e in control_chars.found({k: v}, ["body"], layout=True)]


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay


async def _unprocessable(send: Send, errors: list[dict[str, Any]]) -> None:
    body = json.dumps({"detail": errors}).encode()
    await send({"type": "http.response.start", "status": 422,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
