"""Life events of a synthetic population, as the e-gov bus would carry them.

Each family is a small set of competing Poisson processes (quarterly income reports per earner,
job losses and finds per adult, births per woman of 18-45, deaths by age, МСЭ decisions, loans,
awards, household moves), so the mix of event types and the pace of `occurred_at` follow from
per-person annual rates rather than a hand-tuned table. The stream is pure and seeded: the same
families, seed and start give the same events, byte for byte, which is what lets the bus replay a
run and its tests assert exact results.

The generator keeps its own copy of every family and applies each event to it in `occurred_at`
order, so after the stream `LifeEvents.families` is the ground truth the service should converge
to, whatever order the bus delivered the events in.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import heapq
import math
import random
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from engine import iin as iin_mod

Event = dict[str, Any]
Snapshot = dict[str, Any]
KZ_TZ = dt.timezone(dt.timedelta(hours=5))
YEAR_SECONDS = 365.25 * 86400
START_DEFAULT = dt.datetime(2026, 3, 1, 9, 0, tzinfo=KZ_TZ)  # the synthetic population's as-of date

SOURCES = {
    "family.registered": "population-registry",
    "birth.registered": "civil-registry",
    "death.registered": "civil-registry",
    "disability.assigned": "mse",
    "disability.revoked": "mse",
    "employment.changed": "labour-market",
    "income.reported": "state-revenue",
    "loan.changed": "credit-bureau",
    "award.granted": "state-awards",
    "household.changed": "population-registry",
    "consent.received": "sms-1414",
}
LIFE_EVENT_TYPES: tuple[str, ...] = tuple(t for t in SOURCES if t not in ("family.registered", "consent.received"))
EARNING = ("employed", "self_employed")


@dataclasses.dataclass(frozen=True)
class Rates:
    """Annual rates per person (or per family) behind the event mix; documented so they can be argued."""

    income_reports_per_earner: float = 4.0  # quarterly tax reports
    income_zero_report_per_jobless_earner: float = 4.0  # the next quarter after a job loss reports 0
    employment_changes_per_adult: float = 0.12
    births_per_woman_18_45: float = 0.10  # total fertility about 3 (Kazakhstan ~3.0 in 2023)
    deaths_per_person_under_60: float = 0.003
    deaths_per_person_60_plus: float = 0.035
    disability_assigned_per_person: float = 0.006
    disability_revoked_per_disabled: float = 0.06  # re-examination finding no disability
    loan_changes_per_family: float = 0.6
    awards_per_eligible_mother: float = 0.3  # 6+ children and no pendant yet
    household_changes_per_family: float = 0.04


def age(birth_date: str, on: dt.date) -> int:
    """Whole years between an ISO birth date and a day."""
    born = dt.date.fromisoformat(birth_date)
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def new_event_id(rng: random.Random) -> str:
    """A random-looking but seeded event id (`e-` and a version-4 UUID in hex)."""
    return "e-" + uuid.UUID(int=rng.getrandbits(128), version=4).hex


def timestamp(at: dt.datetime) -> str:
    """`occurred_at` as the bus writes it: ISO 8601 to the second, Kazakhstan time (UTC+5)."""
    return at.astimezone(KZ_TZ).replace(microsecond=0).isoformat()


def make_event(rng: random.Random, etype: str, at: dt.datetime, payload: dict[str, Any]) -> Event:
    """One contract event envelope."""
    return {
        "event_id": new_event_id(rng),
        "type": etype,
        "occurred_at": timestamp(at),
        "source": SOURCES[etype],
        "payload": payload,
    }


def registration_events(families: Iterable[Snapshot], *, seed: int, at: dt.datetime) -> list[Event]:
    """A `family.registered` event per family, one second apart and all before `at`."""
    rng = random.Random(f"registrations:{seed}")
    snapshots = list(families)
    first = at - dt.timedelta(seconds=len(snapshots))
    return [
        make_event(rng, "family.registered", first + dt.timedelta(seconds=i), copy.deepcopy(family))
        for i, family in enumerate(snapshots)
    ]


Choice = tuple[str, float, Callable[[], Event | None]]


class LifeEvents:
    """A seeded stream of life events over a population; iterate it, then read `families`."""

    def __init__(
        self,
        families: Iterable[Snapshot],
        *,
        seed: int,
        start: dt.datetime,
        rates: Rates | None = None,
    ) -> None:
        self.rates = rates or Rates()
        self.rng = random.Random(f"life-events:{seed}")
        self.families: dict[str, Snapshot] = {f["family_id"]: copy.deepcopy(f) for f in families}
        self.used_iins: set[str] = {m["iin"] for f in self.families.values() for m in f["members"]}
        for f in self.families.values():
            self.used_iins.update(d["iin"] for d in f.get("deceased", []))
        self.now = start if start.tzinfo else start.replace(tzinfo=KZ_TZ)
        self._serial = self.rng.randrange(10000)
        self._heap: list[tuple[float, int, str]] = []
        self._seq = 0
        for family_id in self.families:
            self._schedule(family_id, self.now.timestamp())

    def __iter__(self) -> Iterator[Event]:
        while self._heap:
            when, _, family_id = heapq.heappop(self._heap)
            self.now = dt.datetime.fromtimestamp(when, KZ_TZ)
            event = self._draw(family_id)
            self._schedule(family_id, when)
            if event is not None:
                yield event

    def take(self, n: int) -> list[Event]:
        """The next n events."""
        out: list[Event] = []
        for event in self:
            out.append(event)
            if len(out) >= n:
                break
        return out

    # scheduling ------------------------------------------------------------------------------

    def _schedule(self, family_id: str, after: float) -> None:
        total = sum(rate for _, rate, _ in self._choices(family_id))
        if total <= 0:
            return
        gap = self.rng.expovariate(total) * YEAR_SECONDS
        self._seq += 1
        heapq.heappush(self._heap, (after + max(gap, 1.0), self._seq, family_id))

    def _draw(self, family_id: str) -> Event | None:
        choices = self._choices(family_id)
        total = sum(rate for _, rate, _ in choices)
        pick = self.rng.random() * total
        for _, rate, build in choices:
            pick -= rate
            if pick < 0:
                return build()
        return None

    def _choices(self, family_id: str) -> list[Choice]:
        f = self.families[family_id]
        today = self.now.date()
        r = self.rates
        members = f["members"]
        earners = [m for m in members if m["employment"] in EARNING]
        jobless_with_income = [
            m for m in members if m["employment"] not in EARNING and m.get("monthly_income_kzt", 0) > 0
        ]
        adults = [m for m in members if 16 <= age(m["birth_date"], today) < 63 and m["employment"] != "pensioner"]
        mothers = [
            m
            for m in members
            if m["sex"] == "female" and m["relation"] in ("head", "spouse") and 18 <= age(m["birth_date"], today) <= 45
        ]
        mortality = sum(
            r.deaths_per_person_60_plus if age(m["birth_date"], today) >= 60 else r.deaths_per_person_under_60
            for m in self._mortal(f)
        )
        not_disabled = [m for m in members if not m.get("disability")]
        disabled = [m for m in members if m.get("disability")]
        award_mothers = self._award_mothers(f)
        return [
            ("income.reported", r.income_reports_per_earner * len(earners), lambda: self._income(f, earners)),
            (
                "income.reported",
                r.income_zero_report_per_jobless_earner * len(jobless_with_income),
                lambda: self._income(f, jobless_with_income),
            ),
            ("employment.changed", r.employment_changes_per_adult * len(adults), lambda: self._employment(f, adults)),
            ("birth.registered", r.births_per_woman_18_45 * len(mothers), lambda: self._birth(f, mothers)),
            ("death.registered", mortality, lambda: self._death(f)),
            (
                "disability.assigned",
                r.disability_assigned_per_person * len(not_disabled),
                lambda: self._disability(f, not_disabled),
            ),
            (
                "disability.revoked",
                r.disability_revoked_per_disabled * len(disabled),
                lambda: self._revoke(f, disabled),
            ),
            ("loan.changed", r.loan_changes_per_family, lambda: self._loan(f)),
            ("award.granted", r.awards_per_eligible_mother * len(award_mothers), lambda: self._award(f, award_mothers)),
            ("household.changed", r.household_changes_per_family, lambda: self._household(f)),
        ]

    # helpers ---------------------------------------------------------------------------------

    def _event(self, etype: str, payload: dict[str, Any]) -> Event:
        return make_event(self.rng, etype, self.now, payload)

    def _new_iin(self, birth_date: dt.date, sex: str) -> str:
        for _ in range(20000):
            self._serial = (self._serial + 1) % 10000
            candidate = iin_mod.make(birth_date, sex, self._serial)
            if candidate not in self.used_iins:
                self.used_iins.add(candidate)
                return candidate
        raise RuntimeError(f"no free IIN serial left for {birth_date} {sex}")

    def _mortal(self, f: Snapshot) -> list[dict[str, Any]]:
        # A family keeps at least one living member, and its head only dies when a spouse can
        # take over: that is the service's succession rule, and with it the truth stays exact.
        if len(f["members"]) < 2:
            return []
        has_spouse = any(m["relation"] == "spouse" for m in f["members"])
        return [m for m in f["members"] if m["relation"] != "head" or has_spouse]

    def _children(self, f: Snapshot) -> list[dict[str, Any]]:
        return [m for m in f["members"] if m["relation"] == "child"]

    def _award_mothers(self, f: Snapshot) -> list[dict[str, Any]]:
        if len(self._children(f)) < 6:
            return []
        return [
            m
            for m in f["members"]
            if m["sex"] == "female"
            and m["relation"] in ("head", "spouse")
            and not {"altyn_alqa", "kumis_alqa"} & set(m.get("awards", []))
        ]

    def _member_event_base(self, f: Snapshot, m: dict[str, Any]) -> dict[str, Any]:
        return {"family_id": f["family_id"], "iin": m["iin"]}

    # event builders: each mutates the ground-truth family exactly as the event says ---------------

    def _income(self, f: Snapshot, candidates: list[dict[str, Any]]) -> Event:
        m = self.rng.choice(candidates)
        if m["employment"] in EARNING:
            previous = float(m.get("monthly_income_kzt", 0) or 0)
            base = previous if previous > 0 else self.rng.lognormvariate(math.log(250_000), 0.45)
            amount = round(base * self.rng.lognormvariate(0.0, 0.08), -2)
        else:
            amount = 0.0
        m["monthly_income_kzt"] = amount
        return self._event("income.reported", {**self._member_event_base(f, m), "monthly_income_kzt": amount})

    def _employment(self, f: Snapshot, adults: list[dict[str, Any]]) -> Event:
        m = self.rng.choice(adults)
        today = self.now.date()
        payload = self._member_event_base(f, m)
        current = m["employment"]
        infants = [c for c in self._children(f) if age(c["birth_date"], today) < 2]
        if current in EARNING:
            if m["sex"] == "female" and infants and self.rng.random() < 0.6:
                new, lost_on = "childcare_leave", None
            else:
                new = "unemployed"
                lost_on = (today - dt.timedelta(days=self.rng.randint(0, 20))).isoformat()
            payload.update(employment=new, gfss_participant=bool(m.get("gfss_participant")))
            if lost_on:
                payload["job_lost_on"] = lost_on
                m["job_lost_on"] = lost_on
        else:
            new = "employed" if self.rng.random() < 0.8 else "self_employed"
            payload.update(employment=new, gfss_participant=True)
            m["gfss_participant"] = True
        m["employment"] = new
        return self._event("employment.changed", payload)

    def _birth(self, f: Snapshot, mothers: list[dict[str, Any]]) -> Event:
        mother = self.rng.choice(mothers)
        born = self.now.date() - dt.timedelta(days=self.rng.randint(0, 10))
        sex = self.rng.choice(("male", "female"))
        child: dict[str, Any] = {
            "iin": self._new_iin(born, sex),
            "relation": "child",
            "birth_date": born.isoformat(),
            "sex": sex,
            "citizenship": mother["citizenship"] if mother["citizenship"] != "other" else "citizen",
            "disability": None,
            "employment": "none",
            "gfss_participant": False,
            "monthly_income_kzt": 0,
            "full_time_student": False,
            "awards": [],
        }
        f["members"].append(child)
        # The civil registry reports who was born; the rest of the member takes newborn defaults.
        reported = {k: child[k] for k in ("iin", "birth_date", "sex", "relation", "citizenship")}
        return self._event("birth.registered", {"family_id": f["family_id"], "child": reported})

    def _death(self, f: Snapshot) -> Event | None:
        today = self.now.date()
        r = self.rates
        mortal = self._mortal(f)
        if not mortal:
            return None
        weights = [
            r.deaths_per_person_60_plus if age(m["birth_date"], today) >= 60 else r.deaths_per_person_under_60
            for m in mortal
        ]
        m = self.rng.choices(mortal, weights=weights)[0]
        died = today - dt.timedelta(days=self.rng.randint(0, 5))
        f["members"].remove(m)
        if m["relation"] == "head":
            next(x for x in f["members"] if x["relation"] == "spouse")["relation"] = "head"
        f.setdefault("deceased", []).append(
            {
                "iin": m["iin"],
                "relation": m["relation"],
                "date_of_death": died.isoformat(),
                "employment": m["employment"],
                "gfss_participant": bool(m.get("gfss_participant")),
                "received_benefit_or_pension": m["employment"] == "pensioner",
            }
        )
        return self._event("death.registered", {**self._member_event_base(f, m), "date_of_death": died.isoformat()})

    def _disability(self, f: Snapshot, candidates: list[dict[str, Any]]) -> Event:
        m = self.rng.choice(candidates)
        years = age(m["birth_date"], self.now.date())
        group: int | None
        if years < 7:
            group, since_childhood = None, True
        else:
            group = self.rng.choices((1, 2, 3), weights=(0.15, 0.45, 0.40))[0]
            since_childhood = years < 18 or self.rng.random() < 0.1
        m["disability"] = {"group": group, "since_childhood": since_childhood}
        return self._event(
            "disability.assigned",
            {**self._member_event_base(f, m), "group": group, "since_childhood": since_childhood},
        )

    def _revoke(self, f: Snapshot, disabled: list[dict[str, Any]]) -> Event:
        m = self.rng.choice(disabled)
        m["disability"] = None
        return self._event("disability.revoked", self._member_event_base(f, m))

    def _loan(self, f: Snapshot) -> Event:
        amount = 0.0 if self.rng.random() < 0.4 else round(self.rng.lognormvariate(math.log(600_000), 0.9), -3)
        f["loans"] = {"non_mortgage_outstanding": amount}
        return self._event("loan.changed", {"family_id": f["family_id"], "non_mortgage_outstanding": amount})

    def _award(self, f: Snapshot, mothers: list[dict[str, Any]]) -> Event:
        m = self.rng.choice(mothers)
        award = "altyn_alqa" if len(self._children(f)) >= 7 else "kumis_alqa"
        m.setdefault("awards", []).append(award)
        return self._event("award.granted", {**self._member_event_base(f, m), "award": award})

    def _household(self, f: Snapshot) -> Event:
        today = self.now.date()
        leavers = [
            m
            for m in f["members"]
            if m["relation"] in ("parent", "sibling", "other")
            or (m["relation"] == "child" and age(m["birth_date"], today) >= 18 and not m.get("full_time_student"))
        ]
        if leavers and self.rng.random() < 0.5:
            m = self.rng.choice(leavers)
            f["members"].remove(m)
            return self._event("household.changed", {"family_id": f["family_id"], "add": [], "remove": [m["iin"]]})
        newcomer = self._newcomer(today)
        f["members"].append(newcomer)
        return self._event(
            "household.changed", {"family_id": f["family_id"], "add": [copy.deepcopy(newcomer)], "remove": []}
        )

    def _newcomer(self, today: dt.date) -> dict[str, Any]:
        """An elderly parent moving in (most often) or another adult relative."""
        sex = self.rng.choice(("male", "female"))
        if self.rng.random() < 0.7:
            relation, years = "parent", self.rng.randint(60, 85)
            employment, income = "pensioner", round(self.rng.lognormvariate(math.log(110_000), 0.25), -2)
        else:
            relation, years = self.rng.choice(("sibling", "other")), self.rng.randint(18, 50)
            employment = self.rng.choice(("employed", "employed", "unemployed", "self_employed"))
            income = round(self.rng.lognormvariate(math.log(230_000), 0.4), -2) if employment in EARNING else 0.0
        born = today - dt.timedelta(days=years * 365 + self.rng.randint(0, 364))
        return {
            "iin": self._new_iin(born, sex),
            "relation": relation,
            "birth_date": born.isoformat(),
            "sex": sex,
            "citizenship": "citizen",
            "disability": None,
            "employment": employment,
            "gfss_participant": employment in EARNING,
            "monthly_income_kzt": income,
            "full_time_student": False,
            "awards": [],
        }


def consent_event(rng: random.Random, *, offer_id: str, accepted: bool, at: dt.datetime) -> Event:
    """The citizen's SMS reply to an offer, relayed by the 1414 contact centre."""
    return make_event(rng, "consent.received", at, {"offer_id": offer_id, "accepted": accepted, "channel": "sms-1414"})


def introduces(event: Event) -> set[str]:
    """IINs of the people an event brings into a family (a birth, someone moving in)."""
    payload = event.get("payload") or {}
    if event["type"] == "birth.registered":
        return {payload["child"]["iin"]}
    if event["type"] == "household.changed":
        return {m["iin"] for m in payload.get("add", [])}
    return set()


def mentions(event: Event) -> set[str]:
    """IINs of the people an event is about."""
    payload = event.get("payload") or {}
    found = {payload["iin"]} if isinstance(payload.get("iin"), str) else set()
    if event["type"] == "household.changed":
        found.update(payload.get("remove", []))
    return found | introduces(event)
