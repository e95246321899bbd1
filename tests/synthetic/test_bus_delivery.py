"""At-least-once delivery: what is retried, what is final, and how patiently."""

from __future__ import annotations

import asyncio
import random

import httpx
import pytest

from synthetic.bus_delivery import Outcome, RetryPolicy, deliver

EVENT = {
    "event_id": "e-1",
    "type": "loan.changed",
    "occurred_at": "2026-03-01T09:00:00+05:00",
    "source": "credit-bureau",
    "payload": {"family_id": "FAM-1", "non_mortgage_outstanding": 0},
}
FAST = RetryPolicy(max_attempts=5, base_delay=0.001, max_delay=0.002, timeout=1.0)


def scripted(answers: list[int | Exception]) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """A transport answering each request with the next scripted status, or raising the exception."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = answers[min(len(seen), len(answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        body = {"status": "applied", "effects": {}} if answer == 200 else {"detail": [{"msg": "no"}]}
        return httpx.Response(answer, json=body)

    return httpx.MockTransport(handler), seen


def run(transport: httpx.MockTransport, policy: RetryPolicy = FAST) -> Outcome:
    async def go() -> Outcome:
        async with httpx.AsyncClient(transport=transport, base_url="http://bus.test") as client:
            return await deliver(client, EVENT, policy=policy, rng=random.Random(1))

    return asyncio.run(go())


def test_a_503_is_retried_until_the_event_is_acknowledged() -> None:
    transport, seen = scripted([503, 503, 200])
    outcome = run(transport)
    assert len(seen) == 3
    assert outcome.final == "acked" and outcome.ack_status == "applied"
    assert [a.status_code for a in outcome.attempts] == [503, 503, 200]
    assert all(r.content == seen[0].content for r in seen)  # the same event, the same id, every time


def test_timeouts_and_refused_connections_are_retried_and_flag_a_possibly_lost_answer() -> None:
    request = httpx.Request("POST", "http://bus.test/v1/events")
    transport, seen = scripted([httpx.ReadTimeout("slow", request=request), httpx.ConnectError("down"), 200])
    outcome = run(transport)
    assert len(seen) == 3 and outcome.final == "acked"
    assert outcome.lost_answer
    assert "ReadTimeout" in (outcome.attempts[0].error or "")


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
def test_a_client_error_is_final_and_sent_only_once(status: int) -> None:
    transport, seen = scripted([status, 200])
    outcome = run(transport)
    assert len(seen) == 1
    assert outcome.final == "rejected" and outcome.status_code == status


def test_429_is_retried_like_an_overload() -> None:
    transport, seen = scripted([429, 200])
    assert run(transport).final == "acked"
    assert len(seen) == 2


def test_an_event_that_never_gets_through_is_undelivered_after_the_last_attempt() -> None:
    transport, seen = scripted([500])
    outcome = run(transport)
    assert len(seen) == FAST.max_attempts
    assert outcome.final == "undelivered"


def test_backoff_grows_exponentially_with_full_jitter_and_is_capped() -> None:
    policy = RetryPolicy(base_delay=0.1, max_delay=1.0)
    rng = random.Random(3)
    for attempt, ceiling in [(1, 0.1), (2, 0.2), (3, 0.4), (4, 0.8), (5, 1.0), (9, 1.0)]:
        delays = [policy.delay(attempt, rng) for _ in range(300)]
        assert all(0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling * 0.8  # the full range is used, not a fixed step
