"""The bus and its verification against an in-memory API: clean when the API is right, caught when not.

The fake applies registry facts with the service's own late-event policy (`service.record`), keeps
event ids as idempotency keys, makes an offer per birth and per large family, and takes consent.
Variants break it the ways an intake can break: applying a redelivery again, losing answers after
applying, or forgetting an accepted answer. The verification must pass the first and fail the rest.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import itertools
import json
from typing import Any

import httpx
import pytest

from engine import model
from service import events as service_events
from service import record
from synthetic import bus, bus_run, bus_verify
from synthetic.bus_delivery import RetryPolicy
from tests.synthetic.test_bus_events import make_families

FAST = RetryPolicy(max_attempts=6, base_delay=0.0005, max_delay=0.002, timeout=5.0)


@dataclasses.dataclass
class FakeApi:
    """An in-memory intake with the service's answer shapes; idempotent unless told otherwise."""

    idempotent: bool = True
    lose_every: int = 0  # apply, then answer 503 for every n-th new event
    forget_consent: bool = False
    families: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    stored: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    dead: dict[str, list[dict[str, Any]]] = dataclasses.field(default_factory=dict)
    offers: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    counter: itertools.count[int] = dataclasses.field(default_factory=itertools.count)

    def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "POST" and path == "/v1/events":
            return self.post_event(json.loads(request.content))
        if request.method == "GET" and path.startswith("/v1/events/"):
            event_id = path.rsplit("/", 1)[1]
            attempts = self.dead.get(event_id, [])
            if event_id in self.stored:
                return httpx.Response(
                    200,
                    json={
                        "event_id": event_id,
                        "status": "applied",
                        "effects": self.stored[event_id],
                        "attempts": attempts,
                    },
                )
            if attempts:
                return httpx.Response(200, json={"event_id": event_id, "status": "rejected", "attempts": attempts})
            return httpx.Response(404, json={"detail": [{"msg": "unknown event"}]})
        if request.method == "GET" and path.startswith("/v1/families/"):
            parts = path.split("/")
            fam = self.families.get(parts[3])
            if fam is None:
                return httpx.Response(404, json={"detail": [{"msg": "unknown family"}]})
            offers = [o for o in self.offers.values() if o["family_id"] == parts[3]]
            if len(parts) > 4 and parts[4] == "offers":
                return httpx.Response(200, json={"family_id": parts[3], "offers": offers, "messages": []})
            return httpx.Response(
                200,
                json={
                    "family_id": parts[3],
                    "snapshot": fam["snapshot"],
                    "open_offers": [o for o in offers if o["status"] == "open"],
                },
            )
        return httpx.Response(404, json={"detail": [{"msg": "no route"}]})

    def post_event(self, body: dict[str, Any]) -> httpx.Response:
        envelope = service_events.Envelope.model_validate(body)
        if envelope.event_id in self.stored and self.idempotent:
            return httpx.Response(200, json={**self.stored[envelope.event_id], "status": "duplicate"})
        payload = service_events.PAYLOADS[envelope.type].model_validate(envelope.payload)
        created: list[dict[str, Any]] = []
        closed: list[dict[str, Any]] = []
        family_id = getattr(payload, "family_id", None)
        if isinstance(payload, service_events.ConsentReceived):
            offer = self.offers.get(payload.offer_id)
            if offer is None or offer["status"] != "open":
                return self.refuse(envelope, 409, "offer is not open", "offer_closed")
            family_id = offer["family_id"]
            if not self.forget_consent:
                offer["status"] = "accepted" if payload.accepted else "refused"
        elif isinstance(payload, model.Family):
            snapshot = payload.model_dump(mode="json")
            self.families[payload.family_id] = {
                "snapshot": snapshot,
                "facts": {"family": record.provenance(envelope)},
                "last": envelope.occurred_at,
            }
            if sum(1 for m in snapshot["members"] if m["relation"] == "child") >= 4:
                created.append(self.offer(payload.family_id, "large_family_allowance", envelope.event_id))
        else:
            fam = self.families.get(family_id or "")
            if fam is None:
                return self.refuse(envelope, 422, "unknown family", "unknown_family")
            try:
                out = record.apply(
                    snapshot=fam["snapshot"],
                    facts=fam["facts"],
                    event=envelope,
                    payload=payload,
                    last_occurred_at=fam["last"],
                )
            except record.FactError as exc:
                return self.refuse(envelope, 422, exc.message, exc.kind)
            fam.update(snapshot=out.snapshot, facts=out.facts, last=max(fam["last"], envelope.occurred_at))
            if isinstance(payload, service_events.BirthRegistered):
                created.append(self.offer(payload.family_id, "birth_allowance", envelope.event_id))
                for old in self.offers.values():  # a bigger family: the open large-family offer is replaced
                    if (
                        old["family_id"] == family_id
                        and old["benefit"] == "large_family_allowance"
                        and old["status"] == "open"
                    ):
                        old["status"] = "superseded"
                        closed.append({"offer_id": old["offer_id"], "status": "superseded"})
                        created.append(self.offer(payload.family_id, "large_family_allowance", envelope.event_id))
                        break
        answer = {
            "event_id": envelope.event_id,
            "status": "applied",
            "type": envelope.type,
            "family_id": family_id,
            "late": False,
            "effects": {
                "offers_created": created,
                "offers_closed": closed,
                "entitlements_changed": [],
                "reviews_opened": [],
            },
        }
        self.stored[envelope.event_id] = answer
        if self.lose_every and next(self.counter) % self.lose_every == 0:
            return httpx.Response(503, json={"detail": [{"msg": "lost answer"}]})
        return httpx.Response(200, json=answer)

    def offer(self, family_id: str, benefit: str, trigger: str) -> dict[str, Any]:
        offer = {
            "offer_id": f"of-{len(self.offers) + 1}",
            "family_id": family_id,
            "benefit": benefit,
            "trigger_event_id": trigger,
            "status": "open",
        }
        self.offers[offer["offer_id"]] = offer
        return dict(offer)

    def refuse(self, envelope: service_events.Envelope, status: int, msg: str, kind: str) -> httpx.Response:
        self.dead.setdefault(envelope.event_id, []).append({"status_code": status, "reason": msg})
        return httpx.Response(
            status,
            json={
                "detail": [{"loc": ["body", "payload"], "msg": msg, "type": kind}],
                "status": "rejected",
                "event_id": envelope.event_id,
            },
        )


def run_against(
    api: FakeApi, *, events: int = 600, families: int = 40, duplicates: float = 0.2, reorder: float = 0.2
) -> tuple[bus_run.BusRun, bus_verify.Report]:
    config = bus_run.BusConfig(
        url="http://fake.test",
        token="t",
        events=events,
        seed=4,
        concurrency=4,
        duplicates=duplicates,
        reorder=reorder,
        policy=FAST,
    )
    transport = httpx.MockTransport(api.handle)
    # A quarter of the families start with four children, so registration itself makes offers.
    fams = make_families(families, seed=2)
    for f in fams[: families // 4]:
        f["members"] = [m for m in f["members"] if m["relation"] != "child"]
        f["members"] += [
            m
            for m in make_families(1, seed=hash(f["family_id"]) % 1000, children=4)[0]["members"]
            if m["relation"] == "child"
        ]

    async def go() -> tuple[bus_run.BusRun, bus_verify.Report]:
        run = await bus_run.run_bus(config, fams, transport=transport)
        records = [o.as_record() for o in run.outcomes]
        report = await bus_verify.verify_run(config.url, "t", records, run=run, transport=transport)
        return run, report

    return asyncio.run(go())


def test_a_correct_api_passes_every_check_with_duplicates_and_reordering() -> None:
    api = FakeApi()
    run, report = run_against(api)
    assert report.ok, report.render()
    statuses = [o.ack_status for o in run.outcomes]
    assert statuses.count("duplicate") > 50  # redeliveries really happened
    assert len(api.stored) == len({o.event_id for o in run.outcomes if o.acked})
    assert run.offers and any(a is True for a in run.answers.values()) and any(a is None for a in run.answers.values())
    assert report.checks["records"].checked >= 40 and report.checks["consent"].checked > 0


def test_the_bus_delivers_some_events_of_a_family_out_of_order() -> None:
    run, _ = run_against(FakeApi())
    arrival: dict[str, list[dt.datetime]] = {}
    for outcome in run.outcomes:
        if outcome.family_id and not outcome.redelivery and outcome.type != "consent.received":
            arrival.setdefault(outcome.family_id, []).append(dt.datetime.fromisoformat(outcome.occurred_at))
    swapped = sum(1 for times in arrival.values() for a, b in itertools.pairwise(times) if b < a)
    assert swapped > 10


def test_answers_lost_after_applying_are_retried_and_still_verify_clean() -> None:
    run, report = run_against(FakeApi(lose_every=7))
    assert report.ok, report.render()
    assert any(o.lost_answer and o.ack_status == "duplicate" for o in run.outcomes)


def test_an_api_that_applies_a_redelivery_again_fails_the_verification() -> None:
    _, report = run_against(FakeApi(idempotent=False))
    assert not report.ok
    assert report.checks["answers"].failures and report.checks["offers"].failures


def test_an_api_that_forgets_an_accepted_answer_fails_the_consent_check() -> None:
    _, report = run_against(FakeApi(forget_consent=True))
    assert report.checks["consent"].failures
    assert "accepted by SMS" in report.render()


def test_an_api_whose_record_lost_an_update_fails_the_record_check() -> None:
    api = FakeApi()
    run, _ = run_against(api)
    fam = next(iter(api.families.values()))
    fam["snapshot"]["loans"] = {"non_mortgage_outstanding": 123456789}

    async def verify() -> bus_verify.Report:
        return await bus_verify.verify_run(
            "http://fake.test",
            "t",
            [o.as_record() for o in run.outcomes],
            run=run,
            transport=httpx.MockTransport(api.handle),
        )

    report = asyncio.run(verify())
    assert report.checks["records"].failures and "loans expected" in report.render()


@pytest.mark.parametrize("share", [-0.1, 1.5])
def test_the_command_refuses_a_share_outside_zero_to_one(share: float, capsys: pytest.CaptureFixture[str]) -> None:
    from service.cli import build_parser

    args = build_parser().parse_args(["bus", "--url", "http://x", "--events", "1", "--duplicates", str(share)])
    assert bus.bus_command(args) == 2
    assert "--duplicates must be a share between 0 and 1" in capsys.readouterr().err
