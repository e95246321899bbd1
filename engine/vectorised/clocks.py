"""`next_change` for a whole population as one Date column: the country's calendar in one run.

`engine.clocks.next_change` answers for one family: the earliest date after `as_of` on which any
decision could differ with no new fact. This is the same date for every family at once, from the
same `clocks.Schedule` (worked out from the compiled rules of the epoch), so a population run
writes, next to each family's decisions, the day the scheduler must look at it again.

Per anchor (each member's birth date, job loss and loss of working capacity, each death) the completed months at `as_of`
are counted as `indicators.months_between` does, the first threshold of the anchor's kind above
them is found by a binary search in the sorted thresholds (every next month for a `monthly`
kind), and the date is built with exactly `clocks.add_months`' rule: the same day of the month
`k` months later, or the first of the month after when that month is too short. The earliest
anchor date of a family is taken with a segment minimum over its members (contiguous, as
`vectorised.layout` lays them out) and a scatter minimum over its deaths, then capped by the
epoch boundary. No Python runs per family; the tests compare the column with the scalar
`Engine.next_change` family by family.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy.typing as npt
import polars as pl

from engine import clocks, indicators
from engine.vectorised.layout import Layout, family_index, layout
from engine.vectorised.tables import PopulationError, Tables

Ints = npt.NDArray[np.int64]
Days = npt.NDArray[np.int32]  # days since 1970-01-01, Date's own representation: half the memory of Ints
NEVER = np.iinfo(np.int32).max  # "no next change" while taking minima
_EPOCH_MONTHS = 1970 * 12  # numpy's datetime64[M] counts months from 1970-01
_UNIX = dt.date(1970, 1, 1)


def days_of(dates: pl.Series) -> Days:
    """A Date series without nulls as days since 1970-01-01."""
    return dates.cast(pl.Int32).to_numpy()


def ymd(days: Ints) -> tuple[Ints, Ints, Ints]:
    """Year, month and day of each date given as days since 1970-01-01."""
    d64 = days.astype("datetime64[D]")
    months = d64.astype("datetime64[M]")
    total = months.astype(np.int64) + _EPOCH_MONTHS
    return total // 12, total % 12 + 1, (d64 - months.astype("datetime64[D]")).astype(np.int64) + 1


def add_months(year: Ints, month: Ints, day: Ints, months: Ints) -> Ints:
    """`clocks.add_months` over arrays, as days since 1970-01-01.

    The anchor's day in the month `months` later, or the first of the month after that when the
    month is shorter than the anchor's day (an anchor on the 31st, or 29 February).
    """
    total = year * 12 + (month - 1) + months - _EPOCH_MONTHS
    first = total.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    following = (total + 1).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    return np.where(day <= following - first, first + day - 1, following)


def next_ticks(sched: clocks.Schedule, kind: indicators.Anchor, anchors: Ints, as_of: dt.date) -> Ints:
    """`clocks.next_tick` for each anchor (days since 1970-01-01), in the same unit (`NEVER`: none)."""
    year, month, day = ymd(anchors)
    done = (as_of.year - year) * 12 + (as_of.month - month) - (day > as_of.day)  # indicators.months_between
    if kind in sched.monthly:
        return add_months(year, month, day, done + 1)
    thresholds = np.asarray(sched.thresholds[kind], dtype=np.int64)
    nxt = np.searchsorted(thresholds, done, side="right")  # the first threshold > done
    none = nxt == len(thresholds)
    months = thresholds[np.minimum(nxt, len(thresholds) - 1)]
    return np.where(none, NEVER, add_months(year, month, day, months))


DENSE_DAYS = 200_000  # anchors spanning fewer days (550 years) get a table over every day of the span


def ticks_of(sched: clocks.Schedule, kind: indicators.Anchor, anchors: pl.Series, as_of: dt.date) -> Days:
    """`next_ticks` for a Date series without nulls, worked out once per distinct day.

    Twenty million birth dates fall on a few tens of thousands of days, so the answer is computed
    for every day of their span and gathered (or, for a wider span, for each distinct day).
    """
    if len(anchors) == 0:
        return np.zeros(0, dtype=np.int32)
    days = days_of(anchors)
    lo, hi = int(days.min()), int(days.max())
    if hi - lo < DENSE_DAYS:
        table = next_ticks(sched, kind, np.arange(lo, hi + 1, dtype=np.int64), as_of).astype(np.int32)
        return np.take(table, days - np.int32(lo))
    distinct, inverse = np.unique(days, return_inverse=True)
    return np.take(next_ticks(sched, kind, distinct.astype(np.int64), as_of).astype(np.int32), inverse)


def _to_date(days: Days, name: str) -> pl.Series:
    """Days since 1970-01-01 as a Date series, `NEVER` as null."""
    values = pl.Series(name, days, dtype=pl.Int32)
    return pl.select(pl.when(values != NEVER).then(values).cast(pl.Date).alias(name)).to_series()


def next_change(sched: clocks.Schedule, population: Tables, as_of: dt.date, lay: Layout | None = None) -> pl.Series:
    """`clocks.next_change` for every family of `population` as of one date (the epoch's schedule).

    A Date series named `next_change`, in the order of `population.families`; null when nothing
    the rules read moves with time and the epoch never ends. `lay` is the population's layout
    when the caller has it already (`vectorised.indicators.compute` needs the same one).
    """
    lay = layout(population) if lay is None else lay
    n = population.n_families
    mem = lay.members
    best = np.full(n, NEVER, dtype=np.int32)
    if n == 0:
        return _to_date(best, "next_change")
    births = ticks_of(sched, "birth", mem.get_column("birth_date"), as_of)
    best = np.minimum(best, np.minimum.reduceat(births, lay.starts))  # every family has a member (layout)
    dated: tuple[tuple[str, indicators.Anchor], ...] = (
        ("job_lost_on", "job_loss"), ("work_capacity_loss_since", "capacity_loss")
    )
    for column, kind in dated:
        # (as `clocks.anchors`: a member's job loss, and the date МСЭ set a loss of working capacity)
        since = mem.get_column(column)
        rows = np.flatnonzero(since.is_not_null().to_numpy())
        if len(rows):
            np.minimum.at(best, lay.fidx[rows], ticks_of(sched, kind, since.gather(rows), as_of))
    dec = population.deceased
    if dec.height:
        fidx = family_index(population.families.get_column("family_id"), dec.get_column("family_id"))
        if fidx.null_count():
            bad = dec.filter(fidx.is_null()).get_column("family_id")[0]
            raise PopulationError(f"deceased.family_id: deceased member of unknown family {bad!r}")
        np.minimum.at(best, fidx.to_numpy(), ticks_of(sched, "death", dec.get_column("date_of_death"), as_of))
    if sched.boundary is not None:
        best = np.minimum(best, np.int32((sched.boundary - _UNIX).days))
    return _to_date(best, "next_change")
