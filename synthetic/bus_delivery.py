"""At-least-once delivery of one event to `POST /v1/events`, as a real message bus does it.

Connection errors, timeouts, 429 and 5xx are retried with exponential backoff and full jitter
(the AWS "exponential backoff and jitter" scheme), because the event may or may not have been
applied and the event id makes a redelivery harmless. Any other 4xx is final: the service has
dead-lettered the event and sending it again would only be refused again. Every attempt is kept
on the `Outcome`, so the ledger can later tell a lost acknowledgement from a double application.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import time
from typing import Any

import httpx
import orjson

RETRYABLE_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently one event is retried."""

    max_attempts: int = 8
    base_delay: float = 0.05
    max_delay: float = 5.0
    timeout: float = 15.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Full-jitter backoff before attempt `attempt + 1` (attempt counts from 1)."""
        return rng.uniform(0.0, min(self.max_delay, self.base_delay * (2 ** (attempt - 1))))


@dataclasses.dataclass
class Attempt:
    """One HTTP try: its status code (None when no answer came) or the transport error."""

    status_code: int | None
    error: str | None
    elapsed_ms: float


@dataclasses.dataclass
class Outcome:
    """What happened to one delivery of an event, after all its retries."""

    event_id: str
    type: str
    family_id: str | None
    occurred_at: str
    redelivery: bool
    attempts: list[Attempt] = dataclasses.field(default_factory=list)
    status_code: int | None = None
    body: dict[str, Any] | None = None

    @property
    def acked(self) -> bool:
        """The service answered 2xx: it took responsibility for the event."""
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def rejected(self) -> bool:
        """The service answered a final 4xx (the event is dead-lettered there)."""
        code = self.status_code
        return code is not None and 400 <= code < 500 and code not in RETRYABLE_STATUS

    @property
    def ack_status(self) -> str | None:
        """The `status` field of a 2xx answer (`applied`, `duplicate`, ...)."""
        if not self.acked or not isinstance(self.body, dict):
            return None
        status = self.body.get("status")
        return str(status) if status is not None else None

    @property
    def final(self) -> str:
        """acked, rejected or undelivered."""
        if self.acked:
            return "acked"
        return "rejected" if self.rejected else "undelivered"

    @property
    def lost_answer(self) -> bool:
        """Some attempt got no answer, so the service may have applied the event without saying so."""
        return any(a.status_code is None or a.status_code >= 500 for a in self.attempts)

    def as_record(self) -> dict[str, Any]:
        """The ledger line for this delivery."""
        return {
            "event_id": self.event_id,
            "type": self.type,
            "family_id": self.family_id,
            "occurred_at": self.occurred_at,
            "redelivery": self.redelivery,
            "final": self.final,
            "status_code": self.status_code,
            "ack_status": self.ack_status,
            "attempts": [dataclasses.asdict(a) for a in self.attempts],
            "response": self.body,
        }


def family_of(event: dict[str, Any]) -> str | None:
    """The family an event is about, when its payload names one."""
    payload = event.get("payload")
    if isinstance(payload, dict):
        family_id = payload.get("family_id")
        return str(family_id) if family_id is not None else None
    return None


async def deliver(
    client: httpx.AsyncClient,
    event: dict[str, Any],
    *,
    policy: RetryPolicy,
    rng: random.Random,
    redelivery: bool = False,
    family_id: str | None = None,
) -> Outcome:
    """POST one event until it is acknowledged, finally refused, or out of attempts."""
    outcome = Outcome(
        event_id=event["event_id"],
        type=event["type"],
        family_id=family_id or family_of(event),
        occurred_at=event["occurred_at"],
        redelivery=redelivery,
    )
    body = orjson.dumps(event)
    headers = {"content-type": "application/json"}
    for attempt in range(1, policy.max_attempts + 1):
        started = time.perf_counter()
        try:
            response = await client.post("/v1/events", content=body, headers=headers, timeout=policy.timeout)
        except httpx.TransportError as exc:  # connect, read, write, pool timeouts and resets
            outcome.attempts.append(Attempt(None, f"{type(exc).__name__}: {exc}", _ms(started)))
        else:
            outcome.attempts.append(Attempt(response.status_code, None, _ms(started)))
            outcome.status_code = response.status_code
            outcome.body = _json_or_text(response)
            if response.status_code not in RETRYABLE_STATUS and response.status_code < 500:
                return outcome
        if attempt < policy.max_attempts:
            await asyncio.sleep(policy.delay(attempt, rng))
    return outcome


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


def _json_or_text(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {"text": response.text[:500]}
    return data if isinstance(data, dict) else {"body": data}
