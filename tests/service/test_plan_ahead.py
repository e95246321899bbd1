"""A family event worked out before the writer lock changes nothing but the speed.

`intake.PLAN_AHEAD` evaluates an event on a read of the record before the write lock is taken;
under the lock the record is read again, and the plan is used only if the record and the rule
set are what it was made from. These tests run the same events both ways and compare every
answer and every stored row, and show that a plan overtaken by another event is not used.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from service import audit, auth, events, intake, metrics
from service.context import AppContext
from service.ruleset import Rules, load_engine
from service.settings import Settings
from service.store import db, migrate, tables, uow
from tests.service import builders as b
from tests.service import test_life_story
from tests.service.conftest import RULES, Clock

RANDOM_ID = re.compile(r"\b[a-z]{2}-[0-9a-f]{32}\b")
OFFER_REF = re.compile(r"(№|No\. )[0-9A-F]{8}\b")  # the SMS quotes the end of the random offer id


def _context(url: str, clock: Clock) -> AppContext:
    """The service context as the start-up builds it, with the engine made on this thread."""
    settings = Settings(database_url=url, rules_dir=RULES)
    database = db.create_engine(url)
    migrate.upgrade(database)
    return AppContext(settings=settings, db=database, rules=Rules(load_engine(RULES), RULES),
                      tokens=auth.TokenStore([]), metrics=metrics.Metrics(), clock=clock)


def _send(ctx: AppContext, event: dict[str, Any]) -> dict[str, Any]:
    status, answer = intake.receive(ctx, raw=json.dumps(event).encode(), actor="bus-1")
    assert status == 200, answer
    return answer


def _story_events() -> list[dict[str, Any]]:
    """Registration, (consent,) a birth, income reports (one late), a death, a redelivery."""
    fam = b.make_family("FAM-AHEAD", children=4, first_child_born="2010-03-10")
    head, eldest = fam["members"][0]["iin"], fam["members"][2]["iin"]
    birth = b.event("birth.registered", b.newborn("FAM-AHEAD", "2026-03-09"), "2026-03-10T09:00:00+05:00",
                    event_id="e-3")
    return [
        b.event("family.registered", fam, "2026-03-01T09:00:00+05:00", event_id="e-1"),
        birth,
        b.event("income.reported", {"family_id": "FAM-AHEAD", "iin": head, "monthly_income_kzt": 90_000},
                "2026-03-12T09:00:00+05:00", event_id="e-4"),
        b.event("income.reported", {"family_id": "FAM-AHEAD", "iin": head, "monthly_income_kzt": 500_000},
                "2026-03-11T09:00:00+05:00", event_id="e-5"),  # late
        b.event("death.registered", {"family_id": "FAM-AHEAD", "iin": eldest, "date_of_death": "2026-03-13"},
                "2026-03-14T09:00:00+05:00", event_id="e-6"),
        birth,  # redelivered
    ]


def _story(ctx: AppContext, story: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every answer to the story, with the consent to the first offer sent after the registration."""
    answers = [_send(ctx, story[0])]
    offer_id = answers[0]["effects"]["offers_created"][0]["offer_id"]
    answers.append(_send(ctx, b.event("consent.received", {"offer_id": offer_id, "accepted": True},
                                      "2026-03-02T09:00:00+05:00", event_id="e-2")))
    answers.extend(_send(ctx, event) for event in story[1:])
    return answers


def _stored(ctx: AppContext) -> dict[str, Any]:
    """Every row the story left, random ids replaced by a placeholder."""
    out: dict[str, Any] = {}
    with uow.UnitOfWork(ctx.db, write=False) as work:
        for table in (tables.families, tables.events, tables.decisions, tables.entitlements, tables.offers,
                      tables.reviews, tables.outbox):
            rows = [{k: OFFER_REF.sub("<ref>", v) if isinstance(v, str) else v for k, v in r._mapping.items()}
                    for r in work.conn.execute(sa.select(table))]
            out[table.name] = sorted(RANDOM_ID.sub("<id>", json.dumps(r, sort_keys=True, default=str)) for r in rows)
        entries = audit.entries(work.conn, limit=1000)
        out["audit"] = [(e["kind"], e["actor"], e["subject"], e["data"]) for e in entries]
        assert audit.verify(work.conn).ok
    normalised: dict[str, Any] = json.loads(RANDOM_ID.sub("<id>", json.dumps(out, sort_keys=True, default=str)))
    return normalised


def _watch_plans(monkeypatch: pytest.MonkeyPatch) -> list[events.Envelope]:
    """The events `intake._plan` works out from now on, in order."""
    made: list[events.Envelope] = []
    original = intake._plan

    def spy(*args: Any) -> Any:
        made.append(args[2])
        return original(*args)

    monkeypatch.setattr(intake, "_plan", spy)
    return made


def test_planning_ahead_gives_the_same_answers_and_rows_as_working_all_out_under_the_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    story = _story_events()
    results = []
    for ahead in (True, False):
        monkeypatch.setattr(intake, "PLAN_AHEAD", ahead)
        ctx = _context(f"sqlite:///{tmp_path / f'ahead-{ahead}.db'}",
                       Clock(dt.datetime(2026, 3, 15, 6, 0, tzinfo=dt.UTC)))
        answers = _story(ctx, story)
        results.append((json.loads(RANDOM_ID.sub("<id>", json.dumps(answers))), _stored(ctx)))
        ctx.db.dispose()
    (answers_ahead, rows_ahead), (answers_locked, rows_locked) = results
    assert answers_ahead == answers_locked
    assert rows_ahead == rows_locked
    # The story exercised what the plan carries: a second evaluation, a late event, a review.
    assert answers_ahead[2]["effects"]["offers_created"][0]["benefit"] == "birth_allowance"
    assert answers_ahead[4]["late"] is True
    assert answers_ahead[5]["effects"]["reviews_opened"]
    assert answers_ahead[6]["status"] == "duplicate"


def test_a_plan_overtaken_by_another_event_for_the_family_is_worked_out_again(tmp_path: Path) -> None:
    ctx = _context(f"sqlite:///{tmp_path / 'stale.db'}", Clock(dt.datetime(2026, 3, 15, 6, 0, tzinfo=dt.UTC)))
    fam = b.make_family("FAM-STALE", children=2)
    head = fam["members"][0]["iin"]
    _send(ctx, b.event("family.registered", fam, "2026-03-01T09:00:00+05:00"))
    early = b.event("income.reported", {"family_id": "FAM-STALE", "iin": head, "monthly_income_kzt": 100_000},
                    "2026-03-05T09:00:00+05:00")
    envelope, payload = intake.parse(json.dumps(early).encode())
    stale = intake._plan_ahead(ctx, envelope, payload)
    assert stale is not None and stale.late is False and stale.outcome.superseded == []

    _send(ctx, b.event("income.reported", {"family_id": "FAM-STALE", "iin": head, "monthly_income_kzt": 200_000},
                       "2026-03-06T09:00:00+05:00"))
    answer = intake._apply_locked(ctx, envelope=envelope, payload=payload, ahead=stale)

    assert answer["late"] is True  # worked out on the record as it is now, not as the plan saw it
    assert answer["superseded_facts"] == [f"member:{head}:income"]
    ctx.db.dispose()


def test_a_plan_made_under_another_rule_set_is_worked_out_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = _context(f"sqlite:///{tmp_path / 'rules.db'}", Clock(dt.datetime(2026, 3, 15, 6, 0, tzinfo=dt.UTC)))
    fam = b.make_family("FAM-RULES", children=3)
    envelope, payload = intake.parse(json.dumps(b.event("family.registered", fam)).encode())
    plan = intake._plan_ahead(ctx, envelope, payload)
    assert plan is not None
    plan.version = "sha256:an-older-rule-set"
    made = _watch_plans(monkeypatch)
    answer = intake._apply_locked(ctx, envelope=envelope, payload=payload, ahead=plan)

    assert made == [envelope]
    assert answer["ruleset_version"] == ctx.rules.version
    ctx.db.dispose()


def test_a_redelivery_is_not_worked_out_ahead(tmp_path: Path) -> None:
    ctx = _context(f"sqlite:///{tmp_path / 'dup.db'}", Clock(dt.datetime(2026, 3, 15, 6, 0, tzinfo=dt.UTC)))
    event = b.event("family.registered", b.make_family("FAM-DUP", children=1))
    _send(ctx, event)
    envelope, payload = intake.parse(json.dumps(event).encode())
    assert intake._plan_ahead(ctx, envelope, payload) is None
    assert _send(ctx, event)["status"] == "duplicate"
    ctx.db.dispose()


def test_the_life_story_holds_when_every_event_is_worked_out_under_the_lock(
    monkeypatch: pytest.MonkeyPatch, any_client: TestClient, database_url: str, capsys: Any
) -> None:
    monkeypatch.setattr(intake, "PLAN_AHEAD", False)
    test_life_story.test_a_family_life_story_through_the_api_only(any_client, database_url, capsys)


def test_a_plan_overtaken_by_a_consent_for_the_family_is_worked_out_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = _context(f"sqlite:///{tmp_path / 'consent.db'}", Clock(dt.datetime(2026, 3, 15, 6, 0, tzinfo=dt.UTC)))
    fam = b.make_family("FAM-CONSENT", children=4, first_child_born="2010-03-10")
    head = fam["members"][0]["iin"]
    registered = _send(ctx, b.event("family.registered", fam, "2026-03-01T09:00:00+05:00"))
    offer_id = registered["effects"]["offers_created"][0]["offer_id"]
    income = b.event("income.reported", {"family_id": "FAM-CONSENT", "iin": head, "monthly_income_kzt": 90_000},
                     "2026-03-05T09:00:00+05:00")
    envelope, payload = intake.parse(json.dumps(income).encode())
    stale = intake._plan_ahead(ctx, envelope, payload)
    assert stale is not None and stale.holdings is not None
    assert [o["status"] for o in stale.holdings.offers if o["offer_id"] == offer_id] == ["open"]

    _send(ctx, b.event("consent.received", {"offer_id": offer_id, "accepted": True}, "2026-03-02T09:00:00+05:00"))
    made = _watch_plans(monkeypatch)
    answer = intake._apply_locked(ctx, envelope=envelope, payload=payload, ahead=stale)

    assert made == [envelope]  # the consent raised the record's revision: the holdings are read again
    assert answer["status"] == "applied"
    with uow.UnitOfWork(ctx.db, write=False) as work:
        offer = work.conn.execute(sa.select(tables.offers).where(tables.offers.c.offer_id == offer_id)).one()
    assert offer.status == "accepted"  # not overwritten from the stale reading
    ctx.db.dispose()


def test_a_record_kept_before_it_held_its_latest_decisions_is_read_the_old_way(tmp_path: Path) -> None:
    ctx = _context(f"sqlite:///{tmp_path / 'latest.db'}", Clock(dt.datetime(2026, 3, 15, 6, 0, tzinfo=dt.UTC)))
    fam = b.make_family("FAM-OLD", children=2)
    head = fam["members"][0]["iin"]
    registered = _send(ctx, b.event("family.registered", fam, "2026-03-01T09:00:00+05:00"))
    assert len(registered["effects"]["decisions_recorded"]) == len(ctx.rules.engine.benefits())
    with uow.UnitOfWork(ctx.db, write=True) as work:  # as a row written before migration 0002 looks
        work.conn.execute(sa.update(tables.families).values(latest=None))
        work.commit()
    same = b.event("income.reported", {"family_id": "FAM-OLD", "iin": head, "monthly_income_kzt":
                                       fam["members"][0]["monthly_income_kzt"]}, "2026-03-01T10:00:00+05:00")
    answer = _send(ctx, same)
    assert answer["effects"]["decisions_recorded"] == []  # nothing changed, nothing stored twice
    with uow.UnitOfWork(ctx.db, write=False) as work:
        row = work.conn.execute(sa.select(tables.families.c.latest, tables.families.c.revision)).one()
        stored = work.conn.execute(sa.select(tables.decisions.c.benefit, tables.decisions.c.id)).all()
    assert {benefit: (entry["id"], entry["fingerprint"]) for benefit, entry in row.latest.items()} == {
        benefit: (i, row.latest[benefit]["fingerprint"]) for benefit, i in stored
    }
    # Filled in as the record keeps it now: what the family was last told, for each benefit.
    assert all({"eligible", "status", "amount_kzt", "reasons"} <= set(entry) for entry in row.latest.values())
    assert row.revision == 1
    ctx.db.dispose()


def test_a_redelivery_committed_after_the_plan_was_made_answers_duplicate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = _context(f"sqlite:///{tmp_path / 'race.db'}", Clock(dt.datetime(2026, 3, 15, 6, 0, tzinfo=dt.UTC)))
    fam = b.make_family("FAM-RACE", children=2)
    _send(ctx, b.event("family.registered", fam, "2026-03-01T09:00:00+05:00"))
    income = b.event("income.reported", {"family_id": "FAM-RACE", "iin": fam["members"][0]["iin"],
                                         "monthly_income_kzt": 120_000}, "2026-03-05T09:00:00+05:00")
    raw = json.dumps(income).encode()
    envelope, payload = intake.parse(raw)
    stale = intake._plan_ahead(ctx, envelope, payload)  # worker B plans ...
    assert stale is not None
    first = _send(ctx, income)  # ... worker A applies the same event meanwhile ...
    monkeypatch.setattr(intake, "_plan_ahead", lambda *_args: stale)
    status, again = intake.receive(ctx, raw=raw, actor="bus-1")  # ... then B takes the lock
    assert (status, again["status"]) == (200, "duplicate")
    assert again["effects"] == first["effects"]
    with uow.UnitOfWork(ctx.db, write=False) as work:
        assert work.conn.execute(sa.select(sa.func.count()).select_from(tables.events)
                                 .where(tables.events.c.event_id == income["event_id"])).scalar_one() == 1
        assert audit.verify(work.conn).ok
    ctx.db.dispose()


def test_a_reload_another_worker_commits_after_the_plan_is_caught_up_with_under_the_lock(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    url = f"sqlite:///{tmp_path / 'reload.db'}"
    clock = Clock(dt.datetime(2026, 3, 15, 6, 0, tzinfo=dt.UTC))

    def worker() -> AppContext:
        database = db.create_engine(url)
        migrate.upgrade(database)
        return AppContext(settings=Settings(database_url=url, rules_dir=rules), db=database,
                          rules=Rules(load_engine(rules), rules), tokens=auth.TokenStore([]),
                          metrics=metrics.Metrics(), clock=clock)

    first, second = worker(), worker()
    envelope, payload = intake.parse(json.dumps(b.event("family.registered", b.make_family("FAM-RL"))).encode())
    plan = intake._plan_ahead(first, envelope, payload)
    assert plan is not None and plan.version == first.rules.version
    path = rules / "benefits" / "large_family_allowance.yaml"
    path.write_text(path.read_text() + "\n# an analyst's edit\n")
    with uow.UnitOfWork(second.db, write=True) as work:
        _, new_version = second.rules.reload(work.conn, actor="analyst-1", now=clock())
        work.commit()
    assert new_version != plan.version
    answer = intake._apply_locked(first, envelope=envelope, payload=payload, ahead=plan)
    assert answer["ruleset_version"] == new_version == first.rules.version
    first.db.dispose()
    second.db.dispose()
