"""`familycard bus --verify`: did every event the API acknowledged take effect exactly once?

The ledger says what the bus sent and what the API answered; the API says what it stored. The
checks, each of which a broken intake would fail:

- answers: of all acknowledged deliveries of an event, exactly one says `applied` and the rest
  `duplicate` (none `applied` is allowed only when an earlier attempt lost its answer);
- refusals: no registry event was refused (the bus only sends valid facts); a consent reply may be
  refused only because its offer closed meanwhile;
- stored: `GET /v1/events/{id}` shows each acknowledged event applied once, with the effects its
  acknowledgement listed, and each refused one kept as a dead letter;
- offers: no offer is reported created twice, and no family holds two offers for the same benefit
  and triggering event;
- consent: an accepted offer is accepted, a refused one refused, and an offer nobody answered is
  never recorded as refused (silence is not refusal);
- records: when the bus generated the events itself, each family's record equals the bus's own
  ground truth, which the service's late-event policy (last writer wins by `occurred_at`, per
  fact; see service/README.md) must reach whatever the delivery order was.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import math
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import httpx

from engine import model
from synthetic import bus_effects

if TYPE_CHECKING:
    from synthetic.bus_run import BusRun

SHOWN_FAILURES = 8
# Refusals that are the citizen's lateness, not an intake fault: the offer had closed meanwhile.
EXPECTED_REFUSALS = frozenset({"offer_closed", "offer_expired"})


@dataclasses.dataclass
class Check:
    """One verification: how many things it looked at and what was wrong."""

    name: str
    checked: int = 0
    failures: list[str] = dataclasses.field(default_factory=list)

    def fail(self, message: str) -> None:
        """Record one problem."""
        self.failures.append(message)


@dataclasses.dataclass
class Report:
    """All checks of one verification."""

    checks: dict[str, Check]
    notes: list[str] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no check found a problem."""
        return all(not c.failures for c in self.checks.values())

    def render(self) -> str:
        """The verification as text: one line per check, then the first failures of each."""
        lines = [f"verify: {'CLEAN' if self.ok else 'FAILED'}"]
        for check in self.checks.values():
            state = "ok" if not check.failures else f"{len(check.failures)} problem(s)"
            lines.append(f"  {check.name:<10} {check.checked:>8} checked  {state}")
            lines.extend(f"      - {f}" for f in check.failures[:SHOWN_FAILURES])
            if len(check.failures) > SHOWN_FAILURES:
                lines.append(f"      ... and {len(check.failures) - SHOWN_FAILURES} more")
        lines.extend(f"  note: {n}" for n in self.notes)
        return "\n".join(lines)


def read_token(bus_token: str | None) -> str | None:
    """Reading records needs a reviewer or auditor role: `$FAMILYCARD_AUDITOR_TOKEN`, else the bus's."""
    return os.environ.get("FAMILYCARD_AUDITOR_TOKEN") or bus_token


async def verify_run(
    url: str,
    token: str | None,
    records: list[dict[str, Any]],
    *,
    run: BusRun | None,
    transport: httpx.AsyncBaseTransport | None = None,
    concurrency: int = 16,
) -> Report:
    """Run every check against the API at `url`; without `run` (a ledger alone) skip consent and records."""
    checks = {n: Check(n) for n in ("answers", "refusals", "stored", "offers", "consent", "records")}
    report = Report(checks)
    by_event: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    for record in records:
        by_event[record["event_id"]].append(record)
    _check_answers(by_event, checks["answers"])
    _check_refusals(by_event, checks["refusals"], report)

    token = read_token(token)
    headers = {"authorization": f"Bearer {token}"} if token else {}
    extra: dict[str, Any] = {"transport": transport} if transport is not None else {}
    sem = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=url.rstrip("/"), headers=headers, timeout=30.0, **extra) as client:

        async def get(path: str) -> tuple[int, dict[str, Any]]:
            async with sem:
                response = await client.get(path)
                for _ in range(20):  # a busy service sheds load with 503 + Retry-After: come back then
                    if response.status_code != 503:
                        break
                    await asyncio.sleep(min(float(response.headers.get("retry-after") or 1), 5.0))
                    response = await client.get(path)
            try:
                body = response.json()
            except ValueError:
                body = {"text": response.text[:300]}
            return response.status_code, body if isinstance(body, dict) else {"body": body}

        stored = await asyncio.gather(*(get(f"/v1/events/{eid}") for eid in by_event))
        _check_stored(by_event, dict(zip(by_event, stored, strict=True)), checks["stored"])

        family_ids = sorted({r["family_id"] for r in records if r.get("family_id")})
        fetched = await asyncio.gather(*(get(f"/v1/families/{fid}") for fid in family_ids))
        offer_lists = await asyncio.gather(*(get(f"/v1/families/{fid}/offers") for fid in family_ids))
    family_records: dict[str, dict[str, Any]] = {}
    offers: dict[str, list[dict[str, Any]]] = {}
    denied = 0
    for fid, (status, body), (o_status, o_body) in zip(family_ids, fetched, offer_lists, strict=True):
        if status == 200 and o_status == 200:
            family_records[fid] = body
            offers[fid] = bus_effects.offer_list(o_body)
        elif {status, o_status} & {401, 403}:
            denied += 1
        else:
            checks["records"].fail(f"GET /v1/families/{fid}[/offers]: {status}/{o_status} {_short(body)}")
    if denied:
        checks["records"].fail(
            f"{denied} families could not be read (401/403): reading records needs a reviewer "
            "or auditor token in $FAMILYCARD_AUDITOR_TOKEN"
        )
    _check_offers(records, offers, checks["offers"])
    if run is not None:
        _check_consent(run, records, offers, checks["consent"])
        _check_records(run, records, family_records, checks["records"])
    else:
        report.notes.append("no ground truth (ledger only): consent and record checks skipped")
    return report


def _acked(deliveries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [d for d in deliveries if d.get("final") == "acked"]


def _offer_ids(answer: dict[str, Any] | None) -> set[str]:
    return {str(o["offer_id"]) for o in bus_effects.offers_created(answer)}


def _check_answers(by_event: dict[str, list[dict[str, Any]]], check: Check) -> None:
    for event_id, deliveries in by_event.items():
        acked = _acked(deliveries)
        if not acked:
            continue
        check.checked += 1
        statuses = [str(d.get("ack_status")) for d in acked]
        applied = [d for d in acked if d.get("ack_status") == "applied"]
        lost = any(
            a.get("status_code") is None or (a.get("status_code") or 0) >= 500
            for d in deliveries
            for a in d.get("attempts", [])
        )
        others = [s for s in statuses if s not in ("applied", "duplicate")]
        if others:
            check.fail(f"{event_id}: unexpected answer(s) {others}")
        elif len(applied) > 1:
            check.fail(f"{event_id}: answered 'applied' {len(applied)} times")
        elif not applied and not lost:
            check.fail(f"{event_id}: every delivery answered 'duplicate' but none was ever applied")
        elif applied:
            original = _offer_ids(applied[0].get("response"))
            for d in acked:
                body = d.get("response") or {}
                if d.get("ack_status") == "duplicate" and (
                    body.get("event_id") != event_id or _offer_ids(body) != original
                ):
                    check.fail(f"{event_id}: a duplicate answer does not repeat the original's effects")
                    break


def _check_refusals(by_event: dict[str, list[dict[str, Any]]], check: Check, report: Report) -> None:
    expected = 0
    for event_id, deliveries in by_event.items():
        refused = [d for d in deliveries if d.get("final") == "rejected"]
        if not refused:
            continue
        check.checked += 1
        kinds = {
            str(item.get("type"))
            for d in refused
            for item in ((d.get("response") or {}).get("detail") or [])
            if isinstance(item, dict)
        }
        if refused[0].get("type") == "consent.received" and kinds <= EXPECTED_REFUSALS:
            expected += 1
            continue
        detail = (refused[0].get("response") or {}).get("detail")
        check.fail(f"{event_id} ({refused[0].get('type')}): refused {refused[0].get('status_code')}: {_short(detail)}")
    if expected:
        report.notes.append(f"{expected} consent repl(y/ies) refused because the offer had closed meanwhile (409)")


def _check_stored(
    by_event: dict[str, list[dict[str, Any]]], stored: dict[str, tuple[int, dict[str, Any]]], check: Check
) -> None:
    for event_id, deliveries in by_event.items():
        finals = {d.get("final") for d in deliveries}
        status, body = stored[event_id]
        state = str(body.get("status"))
        if "acked" in finals:
            check.checked += 1
            if status != 200 or state != "applied":
                check.fail(f"{event_id}: acknowledged, but GET answers {status} status={state}")
                continue
            told = next((d.get("response") for d in deliveries if d.get("ack_status") == "applied"), None)
            if told is not None and _offer_ids(told) != _offer_ids(bus_effects.stored_answer(body)):
                check.fail(f"{event_id}: stored effects differ from the acknowledgement's")
        elif "rejected" in finals:
            check.checked += 1
            if status != 200 or state != "rejected" or not body.get("attempts"):
                check.fail(f"{event_id}: refused with 4xx, but GET answers {status} status={state} (not kept?)")


def _check_offers(records: list[dict[str, Any]], offers: dict[str, list[dict[str, Any]]], check: Check) -> None:
    created: collections.Counter[str] = collections.Counter()
    for r in records:
        if r.get("ack_status") == "applied":
            created.update(_offer_ids(r.get("response")))
    check.checked += len(created)
    for offer_id, n in created.items():
        if n > 1:
            check.fail(f"offer {offer_id} reported created by {n} acknowledgements")
    known = {str(o["offer_id"]) for found in offers.values() for o in found}
    for offer_id in sorted(set(created) - known):
        check.fail(f"offer {offer_id} was reported created but its family does not list it")
    for family_id, found in offers.items():
        check.checked += 1
        keys = collections.Counter((o.get("benefit"), o.get("trigger_event_id")) for o in found)
        for key, n in keys.items():
            if n > 1:
                check.fail(f"{family_id}: {n} offers for benefit {key[0]} and trigger {key[1]}")


def _check_consent(
    run: BusRun, records: list[dict[str, Any]], offers: dict[str, list[dict[str, Any]]], check: Check
) -> None:
    by_id = {str(o["offer_id"]): o for found in offers.values() for o in found}
    answered = {
        run.consent_events[r["event_id"]]
        for r in records
        if r.get("final") == "acked" and r["event_id"] in run.consent_events
    }
    for offer_id, answer in run.answers.items():
        offer = by_id.get(offer_id)
        if offer is None:
            continue
        check.checked += 1
        status = offer.get("status")
        if offer_id not in answered:
            if status == "refused":
                check.fail(f"offer {offer_id}: no reply reached the API, but the offer is recorded as refused")
        elif answer is True and status != "accepted":
            check.fail(f"offer {offer_id}: accepted by SMS, but its status is {status}")
        elif answer is False and status != "refused":
            check.fail(f"offer {offer_id}: refused by SMS, but its status is {status}")


def _check_records(
    run: BusRun, records: list[dict[str, Any]], families: dict[str, dict[str, Any]], check: Check
) -> None:
    acked = {r["event_id"] for r in records if r.get("final") == "acked"}
    incomplete = {r["family_id"] for r in records if r.get("family_id") and r["event_id"] not in acked}
    for family_id, truth in run.truth.items():
        record = families.get(family_id)
        if record is None or family_id in incomplete:
            continue
        check.checked += 1
        expected = _projection(truth)
        got = _projection(bus_effects.snapshot(record))
        if expected != got:
            check.fail(f"{family_id}: record differs from the bus's truth: {_diff(expected, got)}")


def _money(value: Any) -> float:
    number = float(value or 0)
    return round(number, 2) if math.isfinite(number) else number


def _projection(snapshot: dict[str, Any]) -> dict[str, Any]:
    """The facts the events set, per living member, plus the family's loans."""
    members = {
        m["iin"]: (
            m.get("employment"),
            _money(m.get("monthly_income_kzt")),
            ("disabled", m["disability"].get("group")) if m.get("disability") else None,
            tuple(sorted(m.get("awards") or [])),
        )
        for m in snapshot.get("members", [])
    }
    loans = snapshot.get("loans") or {}
    return {"members": members, "loans": _money(loans.get("non_mortgage_outstanding"))}


def _diff(expected: dict[str, Any], got: dict[str, Any]) -> str:
    problems: list[str] = []
    exp_m, got_m = expected["members"], got["members"]
    problems += [f"member {model.mask_iin(i)} missing" for i in sorted(set(exp_m) - set(got_m))]
    problems += [f"member {model.mask_iin(i)} unexpected" for i in sorted(set(got_m) - set(exp_m))]
    problems += [
        f"member {model.mask_iin(i)} expected {exp_m[i]} got {got_m[i]}"
        for i in sorted(set(exp_m) & set(got_m))
        if exp_m[i] != got_m[i]
    ]
    if expected["loans"] != got["loans"]:
        problems.append(f"loans expected {expected['loans']} got {got['loans']}")
    return "; ".join(problems[:4])


def _short(value: Any) -> str:
    text = str(value)
    return text if len(text) < 200 else text[:200] + "..."
