"""Notifications that leave the building: the SMS outbox relayed to RabbitMQ, proven by a consumer.

Needs the broker at 127.0.0.1:5672 (guest/guest, on every development and CI machine); without
it these tests fail rather than skip when FAMILYCARD_REQUIRE_BROKER=1 (CI), and skip otherwise.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from service import relay
from service.store import db as store_db
from service.store import tables, uow
from tests.service import builders as b
from tests.service.conftest import auth

AMQP_URL = os.environ.get("FAMILYCARD_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
BUS = auth("bus")


def _broker() -> Any:
    import pika

    try:
        return pika.BlockingConnection(pika.URLParameters(AMQP_URL))
    except Exception as exc:
        if os.environ.get("FAMILYCARD_REQUIRE_BROKER") == "1":
            pytest.fail(f"FAMILYCARD_REQUIRE_BROKER=1 but RabbitMQ is not reachable: {exc!r}")
        pytest.skip(f"RabbitMQ not reachable at {AMQP_URL}: {exc!r}")


@pytest.fixture
def queue() -> Iterator[str]:
    """A fresh durable queue name, deleted afterwards."""
    name = f"familycard.test.{uuid.uuid4().hex[:10]}"
    connection = _broker()
    yield name
    channel = connection.channel()
    channel.queue_delete(queue=name)
    connection.close()


def consume(queue: str, *, expect: int, timeout_s: float = 10.0) -> list[tuple[str, dict[str, Any]]]:
    """Every message on the queue as (AMQP message_id, body), waiting up to `timeout_s` for `expect` of them."""
    connection = _broker()
    channel = connection.channel()
    channel.queue_declare(queue=queue, durable=True)
    got: list[tuple[str, dict[str, Any]]] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        method, props, body = channel.basic_get(queue=queue, auto_ack=True)
        if method is None:
            if len(got) >= expect:
                break
            time.sleep(0.05)
            continue
        got.append((props.message_id, json.loads(body)))
    connection.close()
    return got


def post(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    answer = client.post(
        "/v1/events", content=json.dumps(body).encode(), headers={**BUS, "Content-Type": "application/json"}
    )
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def outbox(database_url: str) -> list[dict[str, Any]]:
    engine = store_db.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.select(tables.outbox).order_by(tables.outbox.c.id))]
    finally:
        engine.dispose()


def offers_for(client: TestClient, families: int) -> int:
    """Register families that are offered benefits; how many offers (one SMS each) were made."""
    made = 0
    for _ in range(families):
        family = b.make_family(children=4, first_child_born="2010-03-10")
        made += len(post(client, b.event("family.registered", family))["effects"]["offers_created"])
    return made


def make_relay(database_url: str, queue: str, **kw: Any) -> relay.Relay:
    return relay.Relay(store_db.create_engine(database_url), lambda: relay.AmqpPublisher(AMQP_URL, queue), **kw)


def test_every_notice_arrives_once_with_its_stable_id(any_client: TestClient, database_url: str, queue: str) -> None:
    made = offers_for(any_client, 4)
    assert made >= 4
    rows = outbox(database_url)
    assert len(rows) == made
    assert {r["status"] for r in rows} == {"pending"}
    worker = make_relay(database_url, queue, batch=3)  # several batches
    try:
        assert worker.drain() == made
        assert worker.drain() == 0  # nothing left, nothing sent twice
    finally:
        worker.close()
        worker.engine.dispose()
    got = consume(queue, expect=made)
    assert sorted(m for m, _ in got) == sorted(r["id"] for r in rows)
    for message_id, body in got:
        assert body["message_id"] == message_id
        assert body["sender"] == "1414"
        assert body["text_kk"] and body["text_ru"]
    after = outbox(database_url)
    assert {r["status"] for r in after} == {"relayed"}
    assert all(r["relayed_at"] and r["attempts"] == 1 for r in after)


def test_nothing_is_published_before_its_transaction_commits(database_url: str, queue: str) -> None:
    from service.store import migrate

    engine = store_db.create_engine(database_url)
    migrate.upgrade(engine)
    row = {
        "id": "ms-uncommitted",
        "family_id": "FAM-X",
        "offer_id": None,
        "channel": "sms-1414",
        "sender": "1414",
        "recipient_iin": "000000000000",
        "text_kk": "kk",
        "text_ru": "ru",
        "status": "pending",
        "created_at": "2026-03-01T00:00:00+00:00",
    }
    worker = make_relay(database_url, queue)
    try:
        with uow.UnitOfWork(engine, write=True) as work:
            work.conn.execute(tables.outbox.insert().values(**row))
            assert worker.pending() == []  # written, not committed: invisible to the relay
            assert worker.run_once() == 0
            work.commit()
        assert worker.run_once() == 1
    finally:
        worker.close()
        worker.engine.dispose()
        engine.dispose()
    assert [m for m, _ in consume(queue, expect=1)] == ["ms-uncommitted"]


def test_a_relay_that_crashes_after_publishing_resumes_and_loses_nothing(
    any_client: TestClient, database_url: str, queue: str
) -> None:
    made = offers_for(any_client, 3)
    published: list[str] = []

    def crash_on_third(message_id: str) -> None:
        published.append(message_id)
        if len(published) == 3:
            raise SystemExit("relay killed between the broker's confirm and marking the row")

    first = make_relay(database_url, queue, after_publish=crash_on_third)
    with pytest.raises(SystemExit):
        first.drain()
    first.close()
    first.engine.dispose()
    states = {r["id"]: r["status"] for r in outbox(database_url)}
    assert [states[m] for m in published] == ["relayed", "relayed", "pending"]  # the third: sent, not marked
    second = make_relay(database_url, queue)  # the restarted relay
    try:
        assert second.drain() == made - 2
    finally:
        second.close()
        second.engine.dispose()
    got = consume(queue, expect=made + 1)
    ids = [m for m, _ in got]
    assert len(ids) == made + 1  # at least once: the third was delivered twice ...
    assert ids.count(published[2]) == 2
    assert set(ids) == set(states)  # ... and after de-duplication on message_id, every notice exactly once
    assert {r["status"] for r in outbox(database_url)} == {"relayed"}


def test_the_service_relays_on_its_own_when_a_broker_is_configured(
    client_for: Any, sqlite_url: str, queue: str
) -> None:
    client = client_for(sqlite_url, amqp_url=AMQP_URL, amqp_queue=queue, relay_interval_s=0.05)
    made = offers_for(client, 2)
    got = consume(queue, expect=made)
    assert len({m for m, _ in got}) == made
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(r["status"] != "relayed" for r in outbox(sqlite_url)):
        time.sleep(0.05)
    assert {r["status"] for r in outbox(sqlite_url)} == {"relayed"}


def test_no_broker_configured_means_no_relay(client: TestClient, sqlite_url: str) -> None:
    made = offers_for(client, 1)
    time.sleep(0.3)
    assert [r["status"] for r in outbox(sqlite_url)] == ["pending"] * made


def test_a_broker_that_is_down_leaves_messages_pending(any_client: TestClient, database_url: str) -> None:
    made = offers_for(any_client, 1)
    worker = relay.Relay(
        store_db.create_engine(database_url),
        lambda: relay.AmqpPublisher("amqp://guest:guest@127.0.0.1:1/%2F", "nowhere"),
    )
    try:
        with pytest.raises(Exception):  # noqa: B017 - whatever pika raises for a refused connection
            worker.run_once()
    finally:
        worker.engine.dispose()
    assert [r["status"] for r in outbox(database_url)] == ["pending"] * made


def test_one_leader_per_database(database_url: str) -> None:
    engine = store_db.create_engine(database_url)
    try:
        with relay.leader(engine) as first, relay.leader(engine) as second:
            assert (first, second) == (True, False)
        with relay.leader(engine) as again:
            assert again is True
    finally:
        engine.dispose()
