"""Every benefit's decision and the well-being level, for every family, from one compiled program.

A `compiler.Program` (one epoch of the rulebook) becomes a few polars `with_columns` stages: per
benefit a status (`eligible`, `not_eligible`, `insufficient_data`, `not_in_force`), the amount in
whole tenge and the review reasons, decided exactly as `explain.outcome_python` and
`explain.decide` do:

- not in force when the benefit has no version on the date (no triggers then);
- insufficient data when an indicator under `requires` is unknown (triggers still count);
- eligible when every condition holds and some amount case applies (the first one is used);
- the amount is the case formula, floored at 0, rounded by the benefit's `rounding` or else the
  `amount_rounding` parameter (0 tenge for an amount in another currency);
- the reasons are the triggers that hold plus `insufficient_data`, sorted and de-duplicated.

Output columns per benefit: `<id>.status`, `<id>.amount_kzt`, `<id>.review_reasons` (the reasons
joined by commas, empty when none; an Enum of every combination). Per family: `family_id`,
`region`, `family_size`, `wellbeing_level`, `wellbeing_score` (the score ×100 with one decimal, as
in the API) and `review_decisions` (how many of its decisions a person must review).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from itertools import combinations

import numpy as np
import numpy.typing as npt
import polars as pl

from engine import compiler, data_quality, iin, indicators
from engine.rulefile import Rulebook
from engine.vectorised import indicators as vind
from engine.vectorised import tables
from engine.vectorised.translate import NARROW, WIDE, Column, Translator, is_wide, literal_scale, round_to

STATUSES = ["eligible", "not_eligible", "insufficient_data", "not_in_force"]
STATUS = pl.Enum(STATUSES)
INSUFFICIENT = "insufficient_data"


def columns_of(names: list[str]) -> dict[str, Column]:
    """The kinds, scales and bounds of the indicator columns `vectorised.indicators` produces."""
    return {n: Column(indicators.REGISTRY[n].kind, vind.SCALE.get(n, 0), vind.BOUND.get(n, 1)) for n in names}


def reason_values(vocabulary: list[str]) -> list[str]:
    """Every sorted, comma-joined combination of a benefit's review reasons ('' first)."""
    vocab = sorted(set(vocabulary))
    return [",".join(vocab[i] for i in combo) for k in range(len(vocab) + 1)
            for combo in combinations(range(len(vocab)), k)]


@dataclass
class Compiled:
    """The polars expressions of one program; built once, applied to any indicator frame."""

    program: compiler.Program
    stages: list[list[pl.Expr]]
    benefit_ids: list[str]
    periods: dict[str, str]
    reasons: dict[str, list[str]] = field(default_factory=dict)

    @property
    def indicator_names(self) -> list[str]:
        """The indicators the expressions read."""
        return self.program.indicator_names

    def output_columns(self) -> list[str]:
        """The per-family result columns, in order."""
        cols = ["family_id", "region", "family_size"]
        for b in self.benefit_ids:
            cols += [f"{b}.status", f"{b}.amount_kzt", f"{b}.review_reasons"]
        return [*cols, "wellbeing_level", "wellbeing_score", "review_decisions"]


def _gather(values: list[str], dtype: pl.Enum, index: pl.Expr) -> pl.Expr:
    """values[index] as an Enum column (a gather from a small literal: no string building per row)."""
    return pl.lit(pl.Series(values, dtype=dtype)).gather(index)


def _reasons(bid: str, flags: list[tuple[str, pl.Expr]]) -> tuple[pl.Expr, list[str]]:
    """Sorted, de-duplicated reasons as one comma-joined Enum value ('' when none)."""
    vocab = sorted({r for r, _ in flags})
    mask: pl.Expr = pl.lit(0, dtype=pl.UInt32)
    for i, reason in enumerate(vocab):
        hit = pl.any_horizontal([f for r, f in flags if r == reason])
        mask = mask + hit.cast(pl.UInt32) * (1 << i)
    by_mask = [",".join(r for i, r in enumerate(vocab) if bits >> i & 1) for bits in range(1 << len(vocab))]
    values = reason_values(vocab)
    return _gather(by_mask, pl.Enum(values), mask).alias(f"{bid}.review_reasons"), values


_STATUS_CODE = {s: i for i, s in enumerate(STATUSES)}


def _benefit(i: int, cb: compiler.CompiledBenefit, tr: Translator, rounding: str
             ) -> tuple[list[pl.Expr], list[pl.Expr], list[str]]:
    """(first-stage helper columns, final columns, reason values) of one benefit."""
    bid = cb.benefit.id
    if cb.version is None:  # (IIN digits cannot change a decision on a benefit not in force)
        return [], [pl.lit("not_in_force", dtype=STATUS).alias(f"{bid}.status"),
                    pl.lit(0, dtype=pl.Int64).alias(f"{bid}.amount_kzt"),
                    pl.lit("", dtype=pl.Enum([""])).alias(f"{bid}.review_reasons")], [""]
    m, ok, case = f"_m{i}", f"_ok{i}", f"_case{i}"
    missing = pl.any_horizontal([pl.col(r).is_null() for r in cb.version.requires]) if cb.version.requires \
        else pl.lit(False)
    conds = [tr.boolean(c) for c in cb.conditions]
    holds = pl.all_horizontal(conds) if conds else pl.lit(True)
    k_all = len(cb.cases)
    # The first amount case that applies (k_all when none): min over k of k, or k_all where it fails.
    whens = [tr.boolean(c.when) if c.when is not None else None for c in cb.cases]
    picks = [pl.lit(k, dtype=pl.Int32) if w is None
             else pl.lit(k_all, dtype=pl.Int32) - w.cast(pl.Int32) * (k_all - k) for k, w in enumerate(whens)]
    case_no = pl.min_horizontal(picks) if picks else pl.lit(k_all, dtype=pl.Int32)
    formulas = [tr.number(c.formula) for c in cb.cases]
    dtype = WIDE if any(is_wide(f) for f in formulas) else NARROW
    scale = max((f.scale for f in formulas), default=0)
    scaled = [f.expr.cast(dtype) * pl.lit(10 ** (scale - f.scale), dtype=dtype) for f in formulas]
    if len(scaled) == 1:
        amount = scaled[0]
    else:
        amount = pl.sum_horizontal([(pl.col(case) == k).cast(dtype) * v for k, v in enumerate(scaled)])
    eligible = ~pl.col(m) & pl.col(ok) & (pl.col(case) < k_all)
    code = (pl.col(m).cast(pl.UInt32) * _STATUS_CODE[INSUFFICIENT]
            + (~pl.col(m) & ~eligible).cast(pl.UInt32) * _STATUS_CODE["not_eligible"])
    status = _gather(STATUSES, STATUS, code)
    exact = pl.max_horizontal(amount, pl.lit(0, dtype=dtype))
    # The benefit's own rounding (`explain.rounding_of`); an amount in another currency pays no tenge.
    kzt = round_to(exact, scale, cb.benefit.rounding or rounding, dtype) * eligible.cast(dtype)
    if cb.benefit.currency != "KZT":
        kzt = pl.lit(0, dtype=dtype)
    flags = [(reason, tr.boolean(node)) for reason, node in cb.triggers] + [(INSUFFICIENT, pl.col(m)),
                                                                            (data_quality.REASON, pl.col(f"_iin{i}"))]
    reasons, values = _reasons(bid, flags)
    first = [missing.alias(m), holds.alias(ok), case_no.alias(case)]
    final = [status.alias(f"{bid}.status"), kzt.cast(pl.Int64).alias(f"{bid}.amount_kzt"), reasons]
    return first, final, values


def _wellbeing(program: compiler.Program, book: Rulebook, tr: Translator) -> tuple[list[pl.Expr], list[pl.Expr]]:
    weights = [literal_scale(rule.weight) for rule, _ in program.wellbeing]
    scale = max((s for _, s in weights), default=0)
    units = [pl.lit(w * 10 ** (scale - s), dtype=NARROW) for w, s in weights]
    score = pl.sum_horizontal([tr.boolean(node).cast(NARROW) * u for (_, node), u in zip(program.wellbeing, units,
                                                                                          strict=True)]) \
        if units else pl.lit(0, dtype=NARROW)
    levels = book.wellbeing.levels  # sorted by `below`: the level is the first whose bound is above the score
    passed: list[pl.Expr] = []
    for lv in levels[:-1]:
        below, bs = literal_scale(lv.below)
        s = max(scale, bs)
        lhs = pl.col("_wb") * pl.lit(10 ** (s - scale), dtype=NARROW)
        passed.append((lhs >= pl.lit(below * 10 ** (s - bs), dtype=NARROW)).cast(pl.UInt32))
    index = pl.sum_horizontal(passed) if passed else pl.lit(0, dtype=pl.UInt32)
    level = pl.lit(pl.Series([lv.level for lv in levels], dtype=pl.Int8)).gather(index)
    # The API shows float((score * 100).quantize(Decimal('0.1'))): tenths of a percent, half-even.
    tenths = round_to(pl.col("_wb") * pl.lit(1000, dtype=NARROW), scale, "half_even")
    score_out = (tenths.cast(pl.Float64) / 10).alias("wellbeing_score")
    return [score.alias("_wb")], [level.alias("wellbeing_level"), score_out]


def compile_program(program: compiler.Program, book: Rulebook) -> Compiled:
    """Translate every benefit and the well-being model of an epoch into polars expressions."""
    tr = Translator(columns_of(program.indicator_names))
    first: list[pl.Expr] = []
    final: list[pl.Expr] = []
    reasons: dict[str, list[str]] = {}
    for i, cb in enumerate(program.benefits):
        a, b, values = _benefit(i, cb, tr, program.rounding)
        first += a
        final += b
        reasons[cb.benefit.id] = values
    wb_first, wb_final = _wellbeing(program, book, tr)
    first += wb_first
    final += wb_final
    return Compiled(program, [first, final], [cb.benefit.id for cb in program.benefits],
                    {cb.benefit.id: cb.benefit.period for cb in program.benefits}, reasons)


def decide(compiled: Compiled, ind: pl.DataFrame, flagged: dict[int, npt.NDArray[np.bool_]] | None = None
           ) -> pl.DataFrame:
    """Per-family decisions from an indicator frame (`vectorised.indicators.compute`).

    `flagged` (from `iin_flags`) marks, per benefit index, the families whose IIN digits would
    change that decision: they get the review reason `iin_disagrees_with_registry`, as
    `engine.api.Engine.assess` gives it.
    """
    lf = ind.lazy().with_columns([
        pl.Series(f"_iin{i}", flagged[i]) if flagged and i in flagged else pl.lit(False).alias(f"_iin{i}")
        for i in range(len(compiled.benefit_ids))
    ])
    for stage in compiled.stages:
        if stage:
            lf = lf.with_columns(stage)
    review = pl.sum_horizontal(
        [(pl.col(f"{b}.review_reasons").cast(pl.String) != "").cast(pl.Int32) for b in compiled.benefit_ids]
    ) if compiled.benefit_ids else pl.lit(0)
    out = lf.with_columns(
        pl.col("region").cast(tables.REGION), pl.col("family_size").cast(pl.Int32),
        review.cast(pl.Int32).alias("review_decisions"),
    )
    return out.select(compiled.output_columns()).collect()


def evaluate(compiled: Compiled, population: tables.Tables, as_of: dt.date) -> pl.DataFrame:
    """Indicators, then decisions, for every family of the population as of the date."""
    ind = vind.compute(population, as_of, compiled.indicator_names)
    return decide(compiled, ind, iin_flags(compiled, population, as_of, ind))


def iin_disagreeing_members(members: pl.DataFrame) -> npt.NDArray[np.bool_]:
    """Members whose IIN digits 1-7 disagree with their birth date and sex (`iin.consistency_problem`)."""
    born = pl.col("birth_date")
    year = born.dt.year().cast(pl.Int64)
    century = (pl.when(year < 1900).then(1).when(year < 2000).then(3).otherwise(5)
               + (pl.col("sex") == "female").cast(pl.Int64))
    stated = ((year % 100) * 10000 + born.dt.month().cast(pl.Int64) * 100 + born.dt.day().cast(pl.Int64)) * 10 + century
    digits = pl.col("iin").str.slice(0, 7).cast(pl.Int64, strict=False)
    out = members.select((digits != stated).fill_null(False)).to_series().to_numpy()
    return np.asarray(out, dtype=bool)


def iin_flags(compiled: Compiled, population: tables.Tables, as_of: dt.date, ind: pl.DataFrame
              ) -> dict[int, npt.NDArray[np.bool_]]:
    """Per benefit, the families whose decision would differ with birth dates and sexes read from the
    IIN digits (`engine.data_quality`): those few families are decided a second time that way."""
    from engine.vectorised.check import subset

    rows = iin_disagreeing_members(population.members)
    if not rows.any():
        return {}
    ids = population.members.get_column("family_id").filter(pl.Series(rows)).unique()
    fams = np.flatnonzero(population.families.get_column("family_id").is_in(ids.implode()).to_numpy())
    part = subset(population, fams.astype(np.int64))
    implied = [iin.implied(x) for x in part.members.get_column("iin").to_list()]
    digits = part.members.with_columns(
        birth_date=pl.Series([d[0] if d else b for d, b in zip(implied, part.members.get_column("birth_date"),
                                                               strict=True)], dtype=pl.Date),
        sex=pl.Series([d[1] if d else x for d, x in zip(implied, part.members.get_column("sex"), strict=True)]),
    )
    other = tables.Tables(part.families, digits, part.deceased)
    mine = decide(compiled, ind[fams])
    theirs = decide(compiled, vind.compute(other, as_of, compiled.indicator_names))
    out: dict[int, npt.NDArray[np.bool_]] = {}
    for i, b in enumerate(compiled.benefit_ids):
        differ = ((mine[f"{b}.status"].cast(pl.String) != theirs[f"{b}.status"].cast(pl.String))
                  | (mine[f"{b}.amount_kzt"] != theirs[f"{b}.amount_kzt"])).to_numpy()
        if differ.any():
            flags = np.zeros(population.n_families, dtype=bool)
            flags[fams[differ]] = True
            out[i] = flags
    return out
