"""The three backends compared family by family: durable-rules, the explanation path, vectorised.

The vectorised backend is only trustworthy while it agrees with the engine of record on every
benefit of every family, so this is the differential check the tests (and anyone changing a rule
or an evaluator) run: each family is evaluated by

- durable-rules (`Engine.durable_outcomes`: the ruleset the API uses),
- the clause-by-clause path (`explain.outcome_python`, and `explain.decide` for the amount and the
  review reasons of every decision that has any),
- the vectorised backend (`vectorised.run`) on the same families as columns,

and any difference in status, amount or review reasons is reported with the family and benefit.
The day each family's decisions can next change by time alone is compared too: the vectorised
column (`vectorised.clocks`) against `Engine.next_change` (reported as the benefit `next_change`).
Every `full_every`-th family also goes through the public `Engine.evaluate` with both backends,
so the whole response (well-being included) is checked, not only the outcomes.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import polars as pl

from engine import compiler, explain, indicators, model
from engine.api import Engine
from engine.vectorised import clocks, run, tables

Triple = tuple[str, int, str]


@dataclass(frozen=True)
class Mismatch:
    """One benefit of one family on which the backends disagree."""

    family_id: str
    as_of: dt.date
    benefit: str
    durable: object
    explain: object
    vectorised: object

    def __str__(self) -> str:
        return (f"family {self.family_id} as of {self.as_of}, {self.benefit}: durable={self.durable} "
                f"explain={self.explain} vectorised={self.vectorised}")


@dataclass
class Comparison:
    """What a differential run compared and found."""

    families: int = 0
    decisions: int = 0
    full_evaluations: int = 0
    next_changes: int = 0
    findings: int = 0  # families with IIN digits disagreeing with the registry (compared as whole answers)
    mismatches: list[Mismatch] = field(default_factory=list)
    statuses: Counter[tuple[str, str]] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    seconds: dict[str, float] = field(default_factory=dict)

    def add_time(self, key: str, seconds: float) -> None:
        """Accumulate the time spent in one backend."""
        self.seconds[key] = self.seconds.get(key, 0.0) + seconds

    def report(self, limit: int = 20) -> str:
        """The first mismatches, one per line."""
        more = len(self.mismatches) - limit
        lines = [str(m) for m in self.mismatches[:limit]]
        if more > 0:
            lines.append(f"... and {more} more")
        return "\n".join(lines)


def subset(t: tables.Tables, rows: npt.NDArray[np.int64]) -> tables.Tables:
    """The families at `rows` of `t` (in that order), with their members and deceased."""
    fam = t.families[rows]
    ids = fam.get_column("family_id").implode()
    return tables.Tables(fam, t.members.filter(pl.col("family_id").is_in(ids)),
                         t.deceased.filter(pl.col("family_id").is_in(ids)))


def _triple(d: object) -> Triple:
    status, amount, reasons = d.status, d.amount_kzt, d.review_reasons  # type: ignore[attr-defined]
    return status, int(amount), ",".join(reasons)


def compare(engine: Engine, population: tables.Tables, dates: Sequence[dt.date],
            date_of: npt.NDArray[np.int64] | None = None, full_every: int = 50, max_mismatches: int = 200
            ) -> Comparison:
    """Evaluate every family of `population` (family i as of `dates[date_of[i]]`) three ways."""
    out = Comparison()
    if date_of is None:
        date_of = np.zeros(population.n_families, dtype=np.int64)
    snapshots = list(tables.to_snapshots(population))
    for k, as_of in enumerate(dates):
        rows = np.flatnonzero(date_of == k)
        if len(rows) == 0:
            continue
        prog = engine.program(as_of)
        t0 = time.perf_counter()
        compiled = run.compile_program(prog, engine.book)
        part = subset(population, rows)
        vec = run.evaluate(compiled, part, as_of).with_columns(clocks.next_change(engine.schedule(as_of), part, as_of))
        out.add_time("vectorised", time.perf_counter() - t0)
        by_id = {r["family_id"]: r for r in vec.rows(named=True)}
        for n, i in enumerate(rows):
            snap = snapshots[i]
            row = by_id[snap["family_id"]]
            family = model.Family.model_validate(snap)
            _one(engine, prog, family, as_of, row, out, full=(out.families + n) % full_every == 0)
            t1 = time.perf_counter()
            expected = engine.next_change(family, as_of)
            out.add_time("next_change", time.perf_counter() - t1)
            out.next_changes += 1
            if row["next_change"] != expected:  # one scalar answer, shown as both per-family paths'
                out.mismatches.append(Mismatch(snap["family_id"], as_of, "next_change", expected, expected,
                                               row["next_change"]))
            if len(out.mismatches) >= max_mismatches:
                return out
        out.families += len(rows)
    return out


def _one(engine: Engine, prog: compiler.Program, family: model.Family, as_of: dt.date, row: dict[str, object],
         out: Comparison, full: bool) -> None:
    if model.iin_disagreements(family):
        # IIN digits that disagree with the registry: the review reason comes from deciding the family
        # a second time (`engine.data_quality`), so the whole answers are compared, both backends.
        _with_findings(engine, family, as_of, row, out)
        out.full_evaluations += full  # (whole answers are what a full evaluation compares)
        return
    t0 = time.perf_counter()
    values = indicators.compute_some(family, as_of, prog.indicator_names)
    env = compiler.environment(prog, values)
    t1 = time.perf_counter()
    durable = engine.durable_outcomes(prog, values, env)
    t2 = time.perf_counter()
    python = engine.python_outcomes(prog, values, env)
    t3 = time.perf_counter()
    out.add_time("indicators", t1 - t0)
    out.add_time("durable", t2 - t1)
    out.add_time("explain", t3 - t2)
    fid = family.family_id
    for cb, d_out, p_out in zip(prog.benefits, durable, python, strict=True):
        b = cb.benefit.id
        out.decisions += 1
        if p_out.status == "eligible" or p_out.status == "insufficient_data" or p_out.triggers:
            decided = explain.decide(prog, cb, p_out, env, values)
            expected = _triple(decided)
            out.reasons.update(decided.review_reasons)
        else:  # what explain.decide gives for a decision with no amount and no reason (checked in `full`)
            expected = (p_out.status, 0, "")
        got = (str(row[f"{b}.status"]), int(row[f"{b}.amount_kzt"]), str(row[f"{b}.review_reasons"]))  # type: ignore[call-overload]
        out.statuses[(b, expected[0])] += 1
        if d_out != p_out or got != expected:
            durable_view = expected if d_out == p_out else d_out
            out.mismatches.append(Mismatch(fid, as_of, b, durable_view, expected, got))
    wb = explain.wellbeing(prog, env, engine.book)
    got_wb = (row["wellbeing_level"], row["wellbeing_score"])
    if got_wb != (wb.level, wb.score):
        out.mismatches.append(Mismatch(fid, as_of, "wellbeing", None, (wb.level, wb.score), got_wb))
    if full:
        out.full_evaluations += 1
        by_durable = engine.evaluate(family, as_of, "durable")
        by_explain = engine.evaluate(family, as_of, "explain")
        for dd, de in zip(by_durable.decisions, by_explain.decisions, strict=True):
            got = (str(row[f"{dd.benefit}.status"]), int(row[f"{dd.benefit}.amount_kzt"]),  # type: ignore[call-overload]
                   str(row[f"{dd.benefit}.review_reasons"]))
            if not (_triple(dd) == _triple(de) == got):
                out.mismatches.append(Mismatch(fid, as_of, dd.benefit + " (full)", _triple(dd), _triple(de), got))
        if not ((by_durable.wellbeing.level, by_durable.wellbeing.score) == (by_explain.wellbeing.level,
                                                                              by_explain.wellbeing.score) == got_wb):
            out.mismatches.append(Mismatch(fid, as_of, "wellbeing (full)", by_durable.wellbeing.level,
                                           by_explain.wellbeing.level, got_wb))


def _with_findings(engine: Engine, family: model.Family, as_of: dt.date, row: dict[str, object],
                   out: Comparison) -> None:
    by_durable = engine.evaluate(family, as_of, "durable")
    by_explain = engine.evaluate(family, as_of, "explain")
    out.findings += 1
    for dd, de in zip(by_durable.decisions, by_explain.decisions, strict=True):
        out.decisions += 1
        got = (str(row[f"{dd.benefit}.status"]), int(row[f"{dd.benefit}.amount_kzt"]),  # type: ignore[call-overload]
               str(row[f"{dd.benefit}.review_reasons"]))
        out.statuses[(dd.benefit, de.status)] += 1
        out.reasons.update(de.review_reasons)
        if not (_triple(dd) == _triple(de) == got):
            out.mismatches.append(Mismatch(family.family_id, as_of, dd.benefit, _triple(dd), _triple(de), got))
