"""Scenario load: registries feeding the bus, and portals, caseworkers and re-scorings asking for eligibility.

Each simulated user is one registry feed for one synthetic family: it registers the family, then
posts that family's life events (the same generator and mix as `familycard bus`), asks
`/v1/eligibility` about the family's current snapshot, and answers the offers the API makes. The
eligibility questions are mixed as their callers ask them: mostly the default answer (a portal,
in the reader's language), sometimes the trace (`?explain=full`, a caseworker asking why), and
now and then a batch of `FAMILYCARD_LOADTEST_BATCH` families (20) as NDJSON (a re-scoring).
`FastHttpUser` (geventhttpclient) is used because the default `HttpUser` saturates a core at
about 2,200 requests/s on this machine and would measure Locust instead of the server.

Environment: `FAMILYCARD_BUS_TOKEN` (required), `FAMILYCARD_LOADTEST_FAMILIES` (pool size, 500),
`FAMILYCARD_LOADTEST_SEED`. Run headless with `python -m loadtests.run_locust` (`make loadtest`).
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import random
import threading
import uuid
from typing import Any

import orjson
from locust import between, task
from locust.contrib.fasthttp import FastHttpUser

from loadtests import population
from synthetic import bus_effects, events

TOKEN = os.environ.get("FAMILYCARD_BUS_TOKEN", "")
POOL_SIZE = int(os.environ.get("FAMILYCARD_LOADTEST_FAMILIES", "500"))
SEED = int(os.environ.get("FAMILYCARD_LOADTEST_SEED", "7"))
BATCH = int(os.environ.get("FAMILYCARD_LOADTEST_BATCH", "20"))
READERS = ["kk-KZ,kk;q=0.9,ru;q=0.8", "ru-RU,ru;q=0.9", "en-GB,en;q=0.9", "ru"]  # portal readers' Accept-Language
RUN = uuid.uuid4().hex[:8]  # keeps family and event ids unique across runs on one database
HEADERS = {"content-type": "application/json", "authorization": f"Bearer {TOKEN}"}
START = dt.datetime(2026, 3, 1, 9, 0, tzinfo=events.KZ_TZ)

_pool: list[dict[str, Any]] = []
_next_family = itertools.count()
_lock = threading.Lock()


def next_family() -> dict[str, Any]:
    """A family snapshot nobody else in this process has used, with a run-unique id."""
    with _lock:
        if not _pool:
            _pool.extend(population.families(POOL_SIZE, seed=SEED, prefix=f"LT{RUN}-"))
        n = next(_next_family)
    family = dict(_pool[n % len(_pool)])
    if n >= len(_pool):  # the pool is reused: give the family a fresh id so it registers anew
        family["family_id"] = f"{family['family_id']}-{n // len(_pool)}"
    return family


class RegistryFeed(FastHttpUser):
    """One family's registry feed plus eligibility checks and consent replies."""

    wait_time = between(0.0, float(os.environ.get("FAMILYCARD_LOADTEST_MAX_WAIT", "0")))

    def on_start(self) -> None:
        """Register a family and prepare its life-event stream."""
        self._begin()

    def _begin(self) -> None:
        family = next_family()
        seed = random.randrange(2**31)
        self.stream = events.LifeEvents([family], seed=seed, start=START)
        self.events = iter(self.stream)
        self.rng = random.Random(seed)
        self.offers: list[str] = []
        registration = events.registration_events([family], seed=seed, at=START)[0]
        registration["event_id"] = f"e-{RUN}-{registration['event_id'][2:]}"
        self._post_event(registration)

    def _post_event(self, event: dict[str, Any]) -> None:
        name = f"/v1/events [{event['type']}]"
        with self.client.post(
            "/v1/events", data=orjson.dumps(event).decode(), headers=HEADERS, name=name, catch_response=True
        ) as response:
            if response.status_code == 409 and event["type"] == "consent.received":
                response.success()  # the offer closed meanwhile (superseded): a normal business answer
                return
            if response.status_code != 200:
                response.failure(f"{response.status_code}: {(response.text or '')[:200]}")
                return
            body = orjson.loads(response.content or b"{}")
            self.offers.extend(str(o["offer_id"]) for o in bus_effects.offers_created(body))

    @task(8)
    def life_event(self) -> None:
        """The family's next registry event (income reports dominate, as on the real bus)."""
        event = next(self.events, None)
        if event is None:
            self._begin()
            return
        event["event_id"] = f"e-{RUN}-{event['event_id'][2:]}"
        self._post_event(event)

    @task(4)
    def eligibility(self) -> None:
        """A portal showing the family its benefits: the default answer in the reader's language."""
        snapshot = next(iter(self.stream.families.values()))
        body = orjson.dumps(snapshot).decode()
        headers = {**HEADERS, "accept-language": self.rng.choice(READERS)}
        self.client.post("/v1/eligibility", data=body, headers=headers, name="/v1/eligibility")

    @task(1)
    def eligibility_trace(self) -> None:
        """A caseworker asking why: the full trace."""
        snapshot = next(iter(self.stream.families.values()))
        body = orjson.dumps(snapshot).decode()
        self.client.post("/v1/eligibility?explain=full", data=body, headers=HEADERS,
                         name="/v1/eligibility?explain=full")

    @task(1)
    def eligibility_batch(self) -> None:
        """A re-scoring of many families at once: NDJSON in, one NDJSON line per family out, in order."""
        with _lock:
            families = [_pool[self.rng.randrange(len(_pool))] for _ in range(BATCH)] if _pool else []
        if not families:
            return
        body = b"".join(orjson.dumps(f) + b"\n" for f in families)
        headers = {**HEADERS, "content-type": "application/x-ndjson"}
        with self.client.post("/v1/eligibility/batch", data=body, headers=headers, name="/v1/eligibility/batch",
                              catch_response=True) as response:
            lines = (response.content or b"").splitlines()
            if response.status_code != 200 or len(lines) != len(families):
                response.failure(f"{response.status_code}: {len(lines)} lines for {len(families)} families")
            elif any(b'"detail"' in line[:2000] and orjson.loads(line).get("status") for line in lines):
                response.failure("a family of the batch was answered with an error")
            else:
                response.success()

    @task(1)
    def consent(self) -> None:
        """Answer one offer by SMS: mostly yes, sometimes no; some offers are never answered."""
        if not self.offers:
            return
        offer_id = self.offers.pop(0)
        if self.rng.random() < 0.25:
            return  # never answered
        accepted = self.rng.random() < 0.8
        event = events.consent_event(self.rng, offer_id=offer_id, accepted=accepted, at=dt.datetime.now(dt.UTC))
        event["event_id"] = f"e-{RUN}-{event['event_id'][2:]}"
        self._post_event(event)
