"""What is due to a family for each month: the entitlements' amounts laid over the calendar.

The convention (the reference says little; the Social Code's practice of assigning a benefit from
the month the right arises, and of stopping it after the month in which it ends, is followed):

- a monthly (or quarterly-assigned, monthly-paid) entitlement is due for every month in which the
  right held on at least one day: from the month of `active_from` to the month before `ended_on`'s
  month when it ends on the 1st, else to `ended_on`'s month inclusive;
- the amount of a month is the amount in force on its first day, or, in the month the right
  arose, on the day it arose (1 January's indexation raises January; a raise on 15 March shows
  from April; a right that started on 10 December is paid at December's amount for December);
- a one-time payment is due in the month of its date; a notice is never a payment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class AmountPeriod:
    """One amount an entitlement had, from `start` to `end` inclusive (None: still in force)."""

    start: dt.date
    end: dt.date | None
    amount_kzt: int
    decision_id: int


@dataclass(frozen=True)
class Entitlement:
    """What the payment calendar needs of an entitlement."""

    benefit: str
    period: str  # monthly | quarterly | one_time | notice
    status: str  # active | ended | granted
    active_from: dt.date
    ended_on: dt.date | None  # the first day without the right
    amounts: tuple[AmountPeriod, ...]


@dataclass(frozen=True)
class MonthDue:
    """One benefit's payment for one month."""

    month: str  # YYYY-MM
    benefit: str
    amount_kzt: int
    decision_id: int


def month_start(month: str) -> dt.date:
    """'2026-01' → 2026-01-01; ValueError on anything else."""
    year, mon = month.split("-")
    if len(year) != 4 or len(mon) != 2:
        raise ValueError(f"'{month}' is not a month (YYYY-MM)")
    return dt.date(int(year), int(mon), 1)


def _next(day: dt.date) -> dt.date:
    return dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def _in_force(amounts: tuple[AmountPeriod, ...], day: dt.date) -> AmountPeriod | None:
    found = None
    for p in amounts:
        if p.start <= day and (p.end is None or day <= p.end) and (found is None or p.start >= found.start):
            found = p
    return found


def months(entitlements: list[Entitlement], first: dt.date, last: dt.date) -> list[MonthDue]:
    """Every payment due in the months from `first` to `last` (both first days of months), by month."""
    out: list[MonthDue] = []
    for e in entitlements:
        if e.period == "notice":
            continue
        if e.period == "one_time" or e.status == "granted":
            start = e.active_from.replace(day=1)
            period = _in_force(e.amounts, e.active_from)
            amount = period.amount_kzt if period else (e.amounts[-1].amount_kzt if e.amounts else 0)
            if first <= start <= last and amount > 0:
                decision = period.decision_id if period else (e.amounts[-1].decision_id if e.amounts else 0)
                out.append(MonthDue(start.strftime("%Y-%m"), e.benefit, amount, decision))
            continue
        month = max(first, e.active_from.replace(day=1))
        while month <= last:
            if e.ended_on is not None and e.ended_on <= month:
                break
            period = _in_force(e.amounts, max(month, e.active_from))
            if period is not None and period.amount_kzt > 0:
                out.append(MonthDue(month.strftime("%Y-%m"), e.benefit, period.amount_kzt, period.decision_id))
            month = _next(month)
    return sorted(out, key=lambda m: (m.month, m.benefit))


def in_force(e: Entitlement, day: dt.date) -> AmountPeriod | None:
    """The amount of an entitlement in force on a day (None: none, e.g. after it ended)."""
    if e.ended_on is not None and day >= e.ended_on:
        return None
    return _in_force(e.amounts, day)
