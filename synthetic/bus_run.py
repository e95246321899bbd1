"""One run of the simulated e-gov bus: lanes, duplicates, reordering, pacing and citizens' replies.

Events are partitioned by family over `concurrency` lanes, as a topic keyed by family would be:
each lane delivers in order, the lanes run concurrently. On top of that, faults a real bus has:

- duplicates: a share of events is delivered twice, either later on the same lane (a replay after
  a lost acknowledgement, so it never overtakes the original) or as two copies in flight at once
  (the race an idempotency key must win);
- reordering: a share of a family's events is held back and delivered after the family's next
  event, except when that next event is about a person the held one brings into the family (no
  registry reports on a child before the birth is registered);
- retries with backoff on errors and timeouts (`bus_delivery`).

Citizens answer the offers the API reports (most accept, some refuse, some never answer); a reply
is released once the registries' clock has passed the reply delay, and it is dropped if the API
closed the offer first (superseded by a better one, or expired).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import hashlib
import heapq
import json
import random
import time
import zlib
from pathlib import Path
from typing import Any, TextIO

import httpx
from tqdm import tqdm

from synthetic import bus_effects, bus_verify, events
from synthetic.bus_delivery import Outcome, RetryPolicy, deliver

FIRST, REDELIVERY, RACING = "first", "redelivery", "racing"
RACING_SHARE = 0.25  # of duplicated events, the share sent twice at once rather than later
Lane = asyncio.Queue[tuple[dict[str, Any], str] | None]
START = events.START_DEFAULT


class BusAborted(RuntimeError):
    """The API refused the bus's credential: every further event would be lost the same way."""


@dataclasses.dataclass
class BusConfig:
    """What one bus run does; `bus.bus_command` builds it from the command line."""

    url: str
    token: str | None = None
    events: int = 1000
    seed: int = 1
    concurrency: int = 8
    duplicates: float = 0.05
    reorder: float = 0.05
    rate: float = 0.0
    duration: float = 0.0
    ledger: Path | None = None
    accept_share: float = 0.6
    refuse_share: float = 0.15
    start: dt.datetime = START
    policy: RetryPolicy = dataclasses.field(default_factory=RetryPolicy)
    progress: bool = False  # a progress bar on stderr (deliveries, deliveries/s, errors), for `make run`


@dataclasses.dataclass
class BusRun:
    """Everything a run produced: one outcome per delivery, the offers and their answers, the truth."""

    outcomes: list[Outcome] = dataclasses.field(default_factory=list)
    offers: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    answers: dict[str, bool | None] = dataclasses.field(default_factory=dict)  # offer -> accepted (None: never)
    consent_events: dict[str, str] = dataclasses.field(default_factory=dict)  # event id -> offer id
    closed_before_reply: set[str] = dataclasses.field(default_factory=set)
    truth: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    elapsed: float = 0.0
    life_events: int = 0


class Bus:
    """One run of the bus against one API."""

    def __init__(self, config: BusConfig, client: httpx.AsyncClient, reader: httpx.AsyncClient | None = None) -> None:
        self.config = config
        self.client = client
        self.reader = reader or client
        self.run = BusRun()
        self.rng = random.Random(f"bus:{config.seed}")
        self.consent_rng = random.Random(f"consents:{config.seed}")
        self.lanes: list[Lane] = [asyncio.Queue(maxsize=64) for _ in range(max(1, config.concurrency))]
        self.sim_now = config.start
        self._consents: list[tuple[dt.datetime, int, str, bool]] = []  # (due, seq, offer id, accepted)
        self._redeliveries: list[tuple[int, int, Lane, dict[str, Any]]] = []  # (due, seq, lane, event)
        self._held: dict[str, dict[str, Any]] = {}
        self._closed: set[str] = set()
        self._fatal: str | None = None
        self._undelivered_in_a_row = 0
        self._dispatched = 0
        self._seq = 0
        self._ledger: TextIO | None = None
        self._bar = tqdm(desc="bus", unit=" deliveries", disable=not config.progress, mininterval=0.5, leave=True)
        self._errors = 0

    async def execute(self, families: list[dict[str, Any]]) -> BusRun:
        """Register the families, stream life events and consent replies, wait for every answer."""
        cfg = self.config
        started = time.monotonic()
        if cfg.ledger is not None:
            cfg.ledger.parent.mkdir(parents=True, exist_ok=True)
            self._ledger = cfg.ledger.open("w", encoding="utf-8")
        jitter = random.Random(f"jitter:{cfg.seed}")
        workers = [asyncio.create_task(self._worker(q, jitter)) for q in self.lanes]
        try:
            for event in events.registration_events(families, seed=cfg.seed, at=cfg.start):
                await self._dispatch(event)
            await self._drain()
            await self._read_open_offers([f["family_id"] for f in families])
            stream = events.LifeEvents(families, seed=cfg.seed, start=cfg.start)
            await self._stream(stream)
            self.run.truth = stream.families
            await self._finish()
        finally:
            for q in self.lanes:
                await q.put(None)
            await asyncio.gather(*workers, return_exceptions=True)
            if self._ledger is not None:
                self._ledger.close()
            self._bar.close()
        self.run.elapsed = time.monotonic() - started
        return self.run

    # phases ------------------------------------------------------------------------------------

    async def _stream(self, stream: events.LifeEvents) -> None:
        cfg = self.config
        began = time.monotonic()
        count = 0
        source = iter(stream)
        # Check the limits before drawing: drawing an event already applies it to the truth.
        while count < cfg.events and not (cfg.duration and time.monotonic() - began >= cfg.duration):
            event = next(source, None)
            if event is None:
                break
            if cfg.rate > 0:
                await asyncio.sleep(max(0.0, began + count / cfg.rate - time.monotonic()))
            self.sim_now = dt.datetime.fromisoformat(event["occurred_at"])
            await self._release_consents(until=self.sim_now)
            family_id = event["payload"]["family_id"]
            held = self._held.pop(family_id, None)
            if held is not None and events.introduces(held) & events.mentions(event):
                await self._dispatch(held)  # causal order: never report on someone before they arrive
                held = None
            if held is None and self.rng.random() < cfg.reorder:
                self._held[family_id] = event  # delivered after the family's next event
            else:
                await self._dispatch(event)
                if held is not None:
                    await self._dispatch(held)
            count += 1
        self.run.life_events = count
        for held in list(self._held.values()):
            await self._dispatch(held)
        self._held.clear()

    async def _finish(self) -> None:
        # Replies follow the answers that created their offers, so drain and release until
        # nothing is left in flight.
        while True:
            await self._drain()
            if not self._consents and not self._redeliveries:
                return
            await self._release_consents(until=None)
            pending = sorted(self._redeliveries, key=lambda r: (r[0], r[1]))
            self._redeliveries.clear()
            for _, _, lane, event in pending:
                await lane.put((event, REDELIVERY))

    async def _read_open_offers(self, family_ids: list[str]) -> None:
        """Read each family's open offers, as the 1414 centre would, and plan the citizens' replies."""
        sem = asyncio.Semaphore(max(1, self.config.concurrency))

        async def read(family_id: str) -> list[dict[str, Any]]:
            async with sem:
                try:
                    response = await self.reader.get(f"/v1/families/{family_id}", timeout=self.config.policy.timeout)
                except httpx.TransportError:
                    return []
            return bus_effects.open_offers(response.json()) if response.status_code == 200 else []

        if family_ids:  # one probe first: a token that may not read records reads none
            probe = await self.reader.get(f"/v1/families/{family_ids[0]}", timeout=self.config.policy.timeout)
            if probe.status_code in (401, 403):
                return
        found = await asyncio.gather(*(read(f) for f in family_ids))
        for family_id, offers in zip(family_ids, found, strict=True):
            for offer in offers:
                self._note_offer({**offer, "family_id": family_id}, trigger_occurred_at=self.config.start)

    # dispatching -------------------------------------------------------------------------------

    def _lane_of(self, key: str) -> Lane:
        return self.lanes[zlib.crc32(key.encode()) % len(self.lanes)]

    async def _dispatch(self, event: dict[str, Any], key: str | None = None) -> None:
        if self._fatal:
            raise BusAborted(self._fatal)
        lane = self._lane_of(key or events_family(event) or event["event_id"])
        mode = FIRST
        if self.rng.random() < self.config.duplicates:
            if self.rng.random() < RACING_SHARE:
                mode = RACING
            else:
                self._seq += 1
                due = self._dispatched + self.rng.randint(1, 40)
                heapq.heappush(self._redeliveries, (due, self._seq, lane, event))
        await lane.put((event, mode))
        self._dispatched += 1
        while self._redeliveries and self._redeliveries[0][0] <= self._dispatched:
            _, _, again_lane, again = heapq.heappop(self._redeliveries)
            await again_lane.put((again, REDELIVERY))

    async def _drain(self) -> None:
        await asyncio.gather(*(q.join() for q in self.lanes))
        if self._fatal:
            raise BusAborted(self._fatal)

    async def _worker(self, queue: Lane, rng: random.Random) -> None:
        while True:
            item = await queue.get()
            try:
                if item is None:
                    return
                event, mode = item
                copies = [True] if mode == REDELIVERY else [False, True] if mode == RACING else [False]
                outcomes = await asyncio.gather(
                    *(
                        deliver(
                            self.client,
                            event,
                            policy=self.config.policy,
                            rng=rng,
                            redelivery=again,
                            family_id=events_family(event),
                        )
                        for again in copies
                    )
                )
                for outcome in outcomes:
                    self._record(event, outcome)
            except Exception as exc:  # a bug here must stop the run loudly, not hang its lane
                self._fatal = self._fatal or f"internal error in a delivery lane: {exc!r}"
            finally:
                queue.task_done()

    # answers -----------------------------------------------------------------------------------

    def _record(self, event: dict[str, Any], outcome: Outcome) -> None:
        if outcome.family_id is None and isinstance(outcome.body, dict) and outcome.body.get("family_id"):
            outcome.family_id = str(outcome.body["family_id"])
        self.run.outcomes.append(outcome)
        if outcome.ack_status not in ("applied", "duplicate"):
            self._errors += 1
        self._bar.update(1)
        if self._bar.n % 50 == 0:
            self._bar.set_postfix(errors=self._errors, refresh=False)
        if self._ledger is not None:
            self._ledger.write(json.dumps(outcome.as_record(), ensure_ascii=False) + "\n")
        self._undelivered_in_a_row = self._undelivered_in_a_row + 1 if outcome.final == "undelivered" else 0
        if self._undelivered_in_a_row >= 3 * len(self.lanes) and not self._fatal:
            last = outcome.attempts[-1] if outcome.attempts else None
            self._fatal = (
                f"{self._undelivered_in_a_row} events in a row undelivered after every retry "
                f"(last: {last.status_code or last.error if last else 'no attempt'})"
            )
        if outcome.status_code in (401, 403) and not self._fatal:
            detail = (outcome.body or {}).get("detail") or [{}]
            self._fatal = f"the API answered {outcome.status_code} to the bus token: {detail[0].get('msg', '')}"
        if outcome.ack_status not in ("applied", "duplicate"):
            return
        # A duplicate answer repeats the original's effects: the way to learn them when the
        # original answer was lost.
        for offer in bus_effects.offers_closed(outcome.body):
            self._closed.add(str(offer["offer_id"]))
        occurred = dt.datetime.fromisoformat(event["occurred_at"])
        for offer in bus_effects.offers_created(outcome.body):
            self._note_offer(
                {
                    **offer,
                    "family_id": offer.get("family_id") or outcome.family_id,
                    "trigger_event_id": offer.get("trigger_event_id") or event["event_id"],
                },
                trigger_occurred_at=occurred,
            )

    def _note_offer(self, offer: dict[str, Any], *, trigger_occurred_at: dt.datetime) -> None:
        offer_id = str(offer["offer_id"])
        if offer_id in self.run.offers:
            return
        self.run.offers[offer_id] = offer
        pick = _unit(self.config.seed, offer_id)
        accepted: bool | None = None  # never answered: the offer must expire, never count as refused
        if pick < self.config.accept_share:
            accepted = True
        elif pick < self.config.accept_share + self.config.refuse_share:
            accepted = False
        self.run.answers[offer_id] = accepted
        if accepted is None:
            return
        delay = dt.timedelta(minutes=self.consent_rng.randint(30, 3 * 24 * 60))
        self._seq += 1
        heapq.heappush(self._consents, (max(trigger_occurred_at + delay, self.sim_now), self._seq, offer_id, accepted))

    async def _release_consents(self, *, until: dt.datetime | None) -> None:
        while self._consents and (until is None or self._consents[0][0] <= until):
            _, _, offer_id, accepted = heapq.heappop(self._consents)
            if offer_id in self._closed:
                self.run.closed_before_reply.add(offer_id)
                continue
            # Stamped with the wall clock: the offer went out at the service's wall-clock time,
            # and an answer cannot precede its question.
            event = events.consent_event(
                self.consent_rng, offer_id=offer_id, accepted=accepted, at=dt.datetime.now(dt.UTC)
            )
            self.run.consent_events[event["event_id"]] = offer_id
            family_id = self.run.offers.get(offer_id, {}).get("family_id")
            await self._dispatch(event, key=str(family_id or event["event_id"]))


def events_family(event: dict[str, Any]) -> str | None:
    """The family an event belongs to, from its payload."""
    payload = event.get("payload") or {}
    family_id = payload.get("family_id")
    return str(family_id) if family_id else None


def _unit(seed: int, key: str) -> float:
    """A number in [0, 1) fixed by the seed and the key (the citizen's mind, made reproducible)."""
    digest = hashlib.sha256(f"{seed}:{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def client_for(url: str, token: str | None, concurrency: int, **kwargs: Any) -> httpx.AsyncClient:
    """A keep-alive client with one connection per lane, plus a few for racing copies."""
    headers = {"authorization": f"Bearer {token}"} if token else {}
    limits = httpx.Limits(max_connections=2 * concurrency + 2, max_keepalive_connections=2 * concurrency + 2)
    return httpx.AsyncClient(base_url=url.rstrip("/"), headers=headers, limits=limits, **kwargs)


async def run_bus(
    config: BusConfig, families: list[dict[str, Any]], *, transport: httpx.AsyncBaseTransport | None = None
) -> BusRun:
    """Run the bus against `config.url` (or an injected transport, for tests)."""
    extra: dict[str, Any] = {"transport": transport} if transport is not None else {}
    read_token = bus_verify.read_token(config.token)
    async with (
        client_for(config.url, config.token, config.concurrency, **extra) as client,
        client_for(config.url, read_token, config.concurrency, **extra) as reader,
    ):
        return await Bus(config, client, reader).execute(families)
