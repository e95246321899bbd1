"""When can a family's decisions next change by the passage of time alone?

A proactive state acts when a right arises or changes, and most rights change with time, not with
a registry message: a child turns 18, an infant turns one and a half, the months after a death or
a job loss run out, the pension age is reached, 1 January brings new parameters. Within one epoch
of the compiled rules (no parameter or version change) every decision is a function of the
indicators the rules read, and every indicator moves with time only as its `indicators.Clock`
declarations say: on the day an anchor date is reached, or when the completed months since an
anchor reach a threshold. The thresholds of an indicator whose value *is* elapsed time (months
since a job loss, the age of the oldest woman) are the constants the compiled rules compare it
with, so they are read from the rules of the epoch, not kept by hand.

`next_change` is the earliest later date on which any decision could differ with no new fact:
the first such threshold day of any member or dated event, or the first day of the next epoch.
It may be early (the scheduler then evaluates once more and changes nothing), never late.
The vectorised path computes the same date for a whole population (`engine.vectorised.clocks`).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from engine import expr, indicators, model
from engine.compiler import Program

ANCHORS: tuple[indicators.Anchor, ...] = ("birth", "death", "job_loss", "capacity_loss")
HORIZON_MONTHS = 2400  # 200 years: no threshold lies further from its anchor


@dataclass(frozen=True)
class Schedule:
    """For one epoch: the month counts after each kind of anchor at which some decision may change.

    The counts are sorted and always include 0 (the anchor's own day); negative counts are months
    before a future anchor.
    `monthly` anchors are those read through elapsed time in arithmetic (an amount proportional
    to months): every completed month after them counts.
    """

    thresholds: dict[indicators.Anchor, tuple[int, ...]]
    monthly: frozenset[indicators.Anchor]
    boundary: dt.date | None  # the first day of the next epoch


def add_months(anchor: dt.date, months: int) -> dt.date:
    """The first day on which `months_between(anchor, day) >= months`.

    That is the same day of the month `months` later, or, when that month is too short (an anchor
    on the 31st, or 29 February), the first day of the month after: `months_between` counts a
    month as completed only once the anchor's day of the month is reached.
    """
    total = anchor.year * 12 + anchor.month - 1 + months
    year, month = divmod(total, 12)
    month += 1
    if anchor.day <= calendar.monthrange(year, month)[1]:
        return dt.date(year, month, anchor.day)
    return dt.date(year + 1, 1, 1) if month == 12 else dt.date(year, month + 1, 1)


def schedule(program: Program) -> Schedule:
    """The thresholds of the epoch's program, from its indicators' clocks and its compiled rules."""
    nodes = _decision_nodes(program)
    read: set[str] = set()
    for cb in program.benefits:
        read.update(cb.reads)
    thresholds: dict[indicators.Anchor, set[int]] = {a: set() for a in ANCHORS}
    monthly: set[indicators.Anchor] = set()
    elapsed: dict[str, indicators.Clock] = {}
    for name in sorted(read & indicators.REGISTRY.keys()):
        for clock in indicators.REGISTRY[name].clocks:
            thresholds[clock.anchor].update(clock.months)
            if clock.elapsed is not None:
                elapsed[name] = clock
    for name, clock in elapsed.items():
        assert clock.elapsed is not None
        value = _ELAPSED[clock.elapsed]
        constants, free = _compared_constants(nodes, name)
        if free:
            monthly.add(clock.anchor)
        for c in constants:
            thresholds[clock.anchor].update(_crossings(value, c))
    boundary = None if program.end >= dt.date.max - dt.timedelta(days=1) else program.end + dt.timedelta(days=1)
    return Schedule({a: tuple(sorted(ms | {0})) for a, ms in thresholds.items()}, frozenset(monthly), boundary)


def anchors(family: model.Family) -> Iterator[tuple[indicators.Anchor, dt.date]]:
    """Every dated fact of the snapshot through which time reaches an indicator."""
    for m in family.members:
        yield "birth", m.birth_date
        if m.job_lost_on is not None:
            yield "job_loss", m.job_lost_on
        if m.work_capacity_loss_since is not None:
            yield "capacity_loss", m.work_capacity_loss_since
    for d in family.deceased:
        yield "death", d.date_of_death


def next_change(sched: Schedule, family: model.Family, as_of: dt.date) -> dt.date | None:
    """The earliest date after `as_of` on which a decision could change by time alone (None: never)."""
    best = sched.boundary
    for kind, anchor in anchors(family):
        day = next_tick(sched, kind, anchor, as_of)
        if day is not None and (best is None or day < best):
            best = day
    return best


def next_tick(sched: Schedule, kind: indicators.Anchor, anchor: dt.date, as_of: dt.date) -> dt.date | None:
    """The first day after `as_of` on which the months since this anchor reach a threshold.

    Before its anchor (a birth or job loss dated later than `as_of`) the months since are negative;
    0 is always a threshold, so the anchor's own day is the latest next tick of a future anchor.
    """
    done = indicators.months_between(anchor, as_of)
    if kind in sched.monthly:
        return add_months(anchor, done + 1)
    for months in sched.thresholds[kind]:
        if months > done:
            return add_months(anchor, months)
    return None


# --- reading the compiled rules --------------------------------------------------------------------

_ELAPSED: dict[indicators.Elapsed, Callable[[int], Decimal]] = {
    "months": lambda m: Decimal(m),
    "years": lambda m: Decimal(m // 12),
    "fractional_years": lambda m: round(Decimal(m) / 12, 4),
}


def _decision_nodes(program: Program) -> list[expr.Node]:
    """Every compiled expression a decision depends on: conditions, bands, formulas, triggers, lets."""
    nodes: list[expr.Node] = []
    for cb in program.benefits:
        nodes.extend(cb.conditions)
        nodes.extend(node for _, node in cb.triggers)
        nodes.extend(cb.lets.values())
        for case in cb.cases:
            nodes.append(case.formula)
            if case.when is not None:
                nodes.append(case.when)
    return nodes


def _compared_constants(nodes: Iterable[expr.Node], name: str) -> tuple[set[Decimal], bool]:
    """The constants `name` is compared with, and whether it also appears anywhere else (arithmetic)."""
    constants: set[Decimal] = set()
    free = False

    def walk(node: expr.Node) -> None:
        nonlocal free
        if isinstance(node, expr.Cmp):
            sides = (node.left, node.right)
            for mine, other in (sides, sides[::-1]):
                if isinstance(mine, expr.Name) and mine.name == name:
                    if isinstance(other, expr.Num):
                        constants.add(other.value)
                    else:
                        free = True
            for side in sides:
                if not isinstance(side, expr.Name):
                    walk(side)
            return
        if isinstance(node, expr.Name):
            if node.name == name:
                free = True
            return
        for child in expr.children(node):
            walk(child)

    for node in nodes:
        walk(node)
    return constants, free


def _crossings(value: Callable[[int], Decimal], constant: Decimal) -> set[int]:
    """The month counts at which `value(months) >= constant` and `value(months) > constant` become true.

    `value` never decreases with the months, so any comparison with the constant (<, <=, ==, ...)
    flips only at these two counts.
    """
    out: set[int] = set()
    for strict in (False, True):
        lo, hi = -HORIZON_MONTHS, HORIZON_MONTHS
        if not _holds(value(hi), constant, strict):
            continue
        while lo < hi:
            mid = (lo + hi) // 2
            if _holds(value(mid), constant, strict):
                hi = mid
            else:
                lo = mid + 1
        out.add(lo)
    return out


def _holds(v: Decimal, constant: Decimal, strict: bool) -> bool:
    return v > constant if strict else v >= constant


# --- what time did ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Moment:
    """Something time did on a day: an anchor reached a threshold, or new rules took effect."""

    kind: indicators.Anchor | Literal["epoch"]
    day: dt.date
    anchor: dt.date | None = None
    months: int = 0  # completed months since the anchor on `day`
    relation: str | None = None  # the member's relation, for births


def moments(sched: Schedule, family: model.Family, after: dt.date, day: dt.date) -> list[Moment]:
    """Every threshold an anchor reached, and the epoch that began, in (after, day]: why decisions moved.

    These are the facts a family is told when time changed a decision ("the child born on ...
    turned 18 on ..."); `sched` is the schedule of the epoch containing `after`.
    """
    out: list[Moment] = []
    if sched.boundary is not None and after < sched.boundary <= day:
        out.append(Moment("epoch", sched.boundary))
    relations = {m.birth_date: m.relation for m in family.members}
    for kind, anchor in anchors(family):
        counts = sched.thresholds[kind]
        if kind in sched.monthly:
            first = indicators.months_between(anchor, after) + 1
            counts = tuple(range(first, indicators.months_between(anchor, day) + 1))
        for months in counts:
            when = add_months(anchor, months)
            if after < when <= day:
                relation = relations.get(anchor) if kind == "birth" else None
                out.append(Moment(kind, when, anchor, months, relation))
    return sorted(set(out), key=lambda m: (m.day, m.kind, m.months))
