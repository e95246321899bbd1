"""Items 9 and 10: a database that is away answers 503 with Retry-After; overload is shed at once.

- the database unreachable: 503 + Retry-After on writes and reads, nothing half-applied, `/readyz`
  says not ready while `/healthz` stays live, and the redelivery after recovery is applied;
- PostgreSQL terminating the connection mid-event: applied on the one retry, exactly once; a
  second drop answers 503 and leaves nothing behind;
- past the in-flight bound: 503 + Retry-After at once, without touching the database.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from service import middleware
from service.store import db as store_db
from service.store import events as event_store
from tests.service import builders as b
from tests.service.conftest import auth

BUS = auth("bus")


def post(client: TestClient, body: dict[str, Any]) -> Any:
    return client.post(
        "/v1/events", content=json.dumps(body).encode(), headers={**BUS, "Content-Type": "application/json"}
    )


def count(database_url: str, table: str) -> int:
    engine = store_db.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


def unreachable(database_url: str, tmp_path: Any) -> sa.Engine:
    """An engine on a database that cannot be reached (a missing folder; a closed port)."""
    if database_url.startswith("sqlite"):
        return sa.create_engine(f"sqlite:///{tmp_path}/no-such-dir/familycard.db")  # no folder is made
    return store_db.create_engine("postgresql://postgres@127.0.0.1:1/test?connect_timeout=2")


def test_database_away_answers_503_with_retry_after_and_changes_nothing(
    any_client: TestClient, database_url: str, tmp_path: Any
) -> None:
    ctx = any_client.app.state.ctx  # type: ignore[attr-defined]
    family = b.make_family(children=2)
    event = b.event("family.registered", family)
    working = ctx.db
    broken = unreachable(database_url, tmp_path)
    ctx.db = broken
    try:
        for answer in (post(any_client, event), any_client.get(f"/v1/events/{event['event_id']}", headers=BUS)):
            assert answer.status_code == 503, answer.text
            assert answer.headers["Retry-After"] == "1"
            assert answer.json()["detail"][0]["type"] == "database_unavailable"
        ready = any_client.get("/readyz")
        assert ready.status_code == 503
        assert ready.headers["Retry-After"] == "1"
        assert ready.json()["checks"]["database"]["ok"] is False
        assert any_client.get("/healthz").status_code == 200
    finally:
        ctx.db = working
        broken.dispose()
    assert count(database_url, "events") == 0
    assert count(database_url, "dead_letters") == 0
    assert count(database_url, "families") == 0
    assert any_client.get("/readyz").status_code == 200
    assert post(any_client, event).json()["status"] == "applied"


@pytest.mark.postgres
def test_connection_terminated_mid_event_is_retried_once_and_applied_once(
    client_for: Any, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = client_for(postgres_url)
    admin = store_db.create_engine(postgres_url)
    original = event_store.add
    kills = {"left": 1}

    def dropping_add(conn: sa.Connection, *, event: dict[str, Any]) -> None:
        if kills["left"]:
            kills["left"] -= 1
            pid = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
            with admin.begin() as other:
                other.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        original(conn, event=event)

    monkeypatch.setattr(event_store, "add", dropping_add)
    try:
        family = b.make_family(children=2)
        event = b.event("family.registered", family)
        answer = post(client, event)
        assert answer.status_code == 200, answer.text
        assert answer.json()["status"] == "applied"
        assert kills["left"] == 0
        assert count(postgres_url, "events") == 1
        assert count(postgres_url, "families") == 1
        assert count(postgres_url, "dead_letters") == 0
        # Two drops in a row: 503, nothing applied; the redelivery is then applied.
        kills["left"] = 2
        second = b.event("family.registered", b.make_family(children=1))
        failed = post(client, second)
        assert failed.status_code == 503, failed.text
        assert failed.headers["Retry-After"] == "1"
        assert count(postgres_url, "events") == 1
        assert count(postgres_url, "families") == 1
        assert post(client, second).json()["status"] == "applied"
        assert count(postgres_url, "events") == 2
    finally:
        admin.dispose()


def test_past_the_in_flight_bound_requests_are_refused_at_once(any_client: TestClient) -> None:
    load: middleware.Load = any_client.app.state.load  # type: ignore[attr-defined]
    assert load.max_in_flight > 0
    event = b.event("family.registered", b.make_family())
    load.in_flight = load.max_in_flight  # as if that many requests were in progress
    try:
        started = time.perf_counter()
        refused = post(any_client, event)
        elapsed = time.perf_counter() - started
        assert refused.status_code == 503
        assert refused.headers["Retry-After"] == "1"
        assert refused.json()["detail"][0]["type"] == "overloaded"
        assert elapsed < 0.5
        assert load.shed == 1
        # Probes are still answered, and readiness says why traffic should go elsewhere.
        assert any_client.get("/healthz").status_code == 200
        ready = any_client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["backlog"] == {
            **ready.json()["checks"]["backlog"],
            "ok": False,
            "in_flight": load.max_in_flight,
        }
    finally:
        load.in_flight = 0
    assert any_client.get(f"/v1/events/{event['event_id']}", headers=BUS).status_code == 404  # nothing applied
    assert post(any_client, event).json()["status"] == "applied"
    assert load.in_flight == 0


def test_shed_admits_exactly_the_bound_of_concurrent_requests() -> None:
    """The ASGI middleware alone: 10 concurrent requests, a bound of 3, a slow inner app."""
    release = asyncio.Event()

    async def slow(scope: Any, receive: Any, send: Any) -> None:
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    load = middleware.Load(3)
    shed = middleware.Shed(slow, load, retry_after_s=2)

    async def call() -> tuple[int, dict[bytes, bytes]]:
        sent: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        await shed({"type": "http", "path": "/v1/events", "method": "POST"}, receive, send)
        return int(sent[0]["status"]), dict(sent[0]["headers"])

    async def scenario() -> list[tuple[int, dict[bytes, bytes]]]:
        tasks = [asyncio.create_task(call()) for _ in range(10)]
        await asyncio.sleep(0.05)
        refused_first = [t for t in tasks if t.done()]
        assert len(refused_first) == 7  # answered while the admitted three still wait
        release.set()
        return list(await asyncio.gather(*tasks))

    results = asyncio.run(scenario())
    assert sorted(s for s, _ in results) == [200] * 3 + [503] * 7
    assert all(h[b"retry-after"] == b"2" for s, h in results if s == 503)
    assert load.in_flight == 0
    assert load.shed == 7


def test_readyz_reports_database_rules_and_backlog(any_client: TestClient, database_url: str) -> None:
    ready = any_client.get("/readyz")
    assert ready.status_code == 200
    checks = ready.json()["checks"]
    assert checks["database"]["ok"] is True
    assert checks["rules"]["ok"] is True
    assert checks["rules"]["version"] == any_client.get("/healthz").json()["ruleset_version"]
    assert checks["backlog"]["ok"] is True
    assert checks["backlog"]["outbox_pending"] == 0
    # The database names another rule set as current and this worker cannot load it: not ready.
    engine = store_db.create_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text(  # the row exists: the rule set in force is recorded at start-up (issue 11, first half)
                    "UPDATE rules_state SET generation = 7, version = 'rules-elsewhere', "
                    "reloaded_at = '2026-03-01T00:00:00+00:00', reloaded_by = 'test' WHERE id = 1"
                )
            )
    finally:
        engine.dispose()
    stale = any_client.get("/readyz")
    assert stale.status_code == 503
    assert stale.json()["checks"]["rules"]["ok"] is False
    assert stale.json()["checks"]["rules"]["database_version"] == "rules-elsewhere"


def test_requests_that_waited_too_long_for_the_loop_are_refused_without_doing_the_work() -> None:
    """Routes do their work without yielding, so requests queue for the event loop: the wait is the bound."""
    done: list[int] = []

    async def busy(scope: Any, receive: Any, send: Any) -> None:
        time.sleep(0.08)  # synchronous work, as the intake's
        done.append(1)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    load = middleware.Load(0, max_queue_wait_s=0.05)
    shed = middleware.Shed(busy, load, retry_after_s=1)

    async def call() -> int:
        sent: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        await shed({"type": "http", "path": "/v1/events", "method": "POST"}, receive, send)
        return int(sent[0]["status"])

    async def scenario() -> list[int]:
        asyncio.get_running_loop().set_task_factory(None)
        shed._stamp_tasks()  # as the first request would
        return list(await asyncio.gather(*(asyncio.create_task(call()) for _ in range(6))))

    statuses = asyncio.run(scenario())
    assert statuses == [200] + [503] * 5  # the first did its 80 ms; the others had waited past 50 ms
    assert len(done) == 1
    assert load.shed == 5
    assert load.backed_up()
