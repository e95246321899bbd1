"""Scenario load: registries feeding the bus, and caseworker tools asking for eligibility.

Each simulated user is one registry feed for one synthetic family: it registers the family, then
posts that family's life events (the same generator and mix as `familycard bus`), asks
`/v1/eligibility` about the family's current snapshot, and answers the offers the API makes.
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

    @task(3)
    def eligibility(self) -> None:
        """A what-if eligibility check on the family as the registries now describe it."""
        snapshot = next(iter(self.stream.families.values()))
        body = orjson.dumps(snapshot).decode()
        self.client.post("/v1/eligibility", data=body, headers=HEADERS, name="/v1/eligibility")

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
