"""The registered indicators computed for every family at once, equal to `engine.indicators`.

Each indicator of `engine.indicators.REGISTRY` has its columnar form here: a count of members
matching a predicate, a selection of one member (the carer, the member on maternity leave, the
latest job loser), a sum, or a family field. They follow the per-family definitions exactly: ages
in completed months (`months_between`), birth order among children sorted by (birth date, IIN),
the carer chosen by the same preferences in member order, money rounded like `round(x, 2)`
(see `exact`), and `None` (null) wherever the per-family function returns `None`.

Numbers come out as integers scaled by `SCALE` (tiyn for money, ten-thousandths for ratios), which
is exactly the decimal the expression evaluator sees (`compiler.env_value`). An indicator added to
the registry without a columnar form here is an error at the first run, never a silent gap.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal

import numpy as np
import polars as pl

from engine import indicators
from engine.vectorised import exact
from engine.vectorised.tables import PopulationError, Tables

NONE_MONTHS = indicators.NONE_MONTHS
MONEY = frozenset({
    "carer_avg_insured_income_24m_kzt", "maternity_avg_income_12m_kzt", "job_loser_avg_income_24m_kzt",
    "total_income_kzt", "per_capita_income_kzt", "median_income_kzt", "non_mortgage_loans_kzt",
})
RATIO = frozenset({"oldest_male_non_pensioner_age_years", "oldest_female_non_pensioner_age_years",
                   "dependency_ratio"})
SCALE: dict[str, int] = {n: 2 if n in MONEY else 4 if n in RATIO else 0
                         for n, i in indicators.REGISTRY.items() if i.kind == "number"}
RESIDENT = sorted(indicators.RESIDENT)
SEVEN = sorted(indicators.SEVEN_AWARD)
_KEY_IIN = 10**12  # an IIN has 12 digits: (date, iin) packs into one Int64 sort key
_DAY_OFFSET = 100_000  # days since 1970 made positive for dates from 1700 on

age = pl.col("age")
am = pl.col("am")
child = pl.col("relation") == "child"
parent = pl.col("relation").is_in(["head", "spouse"])
dis = pl.col("has_disability")
grp = pl.col("grp")
fts = pl.col("full_time_student")
emp = pl.col("employment")
income = pl.col("monthly_income_kzt")


def _between(e: pl.Expr, lo: int, hi: int) -> pl.Expr:
    """lo <= e < hi."""
    return (e >= lo) & (e < hi)


def _adult_general(g: int) -> pl.Expr:
    return (age >= 18) & dis & ~pl.col("disability_since_childhood") & (grp == g)


def _childhood(g: int) -> pl.Expr:
    return dis & (grp == g) & (_between(age, 7, 18) | ((age >= 18) & pl.col("disability_since_childhood")))


# Indicators that count the members matching a predicate.
COUNTS: dict[str, pl.Expr] = {
    "family_size": pl.lit(True),
    "adults": age >= 18,
    "children_under_18": child & (age < 18),
    "students_18_22": child & _between(age, 18, 23) & fts,
    "children_under_18_or_students": child & ((age < 18) | ((age < 23) & fts)),
    "children_under_3": child & _between(am, 0, 36),
    "children_1_to_6": child & _between(am, 12, 84),
    "infants_under_1_5": child & _between(am, 0, 18),
    "elderly_70_plus": age >= 70,
    "kandas_members": pl.col("citizenship") == "kandas",
    "pensioners": emp == "pensioner",
    "members_with_disability": dis,
    **{f"disabled_adult_general_group_{g}": _adult_general(g) for g in (1, 2, 3)},
    **{f"disabled_childhood_group_{g}": _childhood(g) for g in (1, 2, 3)},
    "disabled_children_under_7": dis & (age < 7),
    "disabled_children_under_18": dis & child & (age < 18),
    "disabled_children_7_17_without_group": dis & (grp == 0) & _between(age, 7, 18),
    "disabled_group_1_or_2": dis & grp.is_in([1, 2]),
    "insured_members": pl.col("gfss_participant"),
    "employed_adults": (age >= 18) & emp.is_in(["employed", "self_employed"]),
    "unemployed_adults": (age >= 18) & (emp == "unemployed"),
    "working_age_adults": _between(age, 18, 63),
    "able_bodied_adults": (_between(age, 18, 63) & ~(dis & grp.is_in([1, 2])) & ~fts
                           & ~emp.is_in(["childcare_leave", "pensioner", "student"])),
    "income_earners": income > 0,
    "dependants": (income == 0) & ((age < 18) | ((age < 23) & fts) | (emp == "pensioner") | dis),
}
# Counts over children in birth order (computed on the children alone).
ORDERED: dict[str, pl.Expr] = {
    "infants_order_1": _between(am, 0, 18) & (pl.col("order") == 1),
    "infants_order_2": _between(am, 0, 18) & (pl.col("order") == 2),
    "infants_order_3": _between(am, 0, 18) & (pl.col("order") == 3),
    "infants_order_4plus": _between(am, 0, 18) & _between(pl.col("order"), 4, 100),
    "births_last_12m": _between(am, 0, 12) & pl.col("born"),
    "births_last_12m_order_1_3": _between(am, 0, 12) & pl.col("born") & (pl.col("order") <= 3),
    "births_last_12m_order_4plus": _between(am, 0, 12) & pl.col("born") & (pl.col("order") >= 4),
}
# Everything else, and what each needs computed first.
SPECIAL = {
    "youngest_child_age_months", "head_age_years", "single_parent_family", "region", "parent_eligible_residency",
    "all_members_residents", "oldest_male_non_pensioner_age_years", "oldest_female_non_pensioner_age_years",
    "carer_insured", "carer_avg_insured_income_24m_kzt", "maternity_leave_days", "maternity_avg_income_12m_kzt",
    "months_since_insured_job_loss", "job_loser_avg_income_24m_kzt", "job_loser_insurance_months",
    "total_income_kzt", "per_capita_income_kzt", "dependency_ratio", "median_income_kzt", "non_mortgage_loans_kzt",
    "has_non_mortgage_loan", "altyn_alqa_mothers", "kumis_alqa_mothers", "deceased_breadwinners",
    "months_since_breadwinner_death", "survivor_dependants", "months_since_death_of_recipient",
}
KNOWN = frozenset(COUNTS) | frozenset(ORDERED) | SPECIAL


def unsupported() -> list[str]:
    """Registered indicators without a columnar form (must be empty)."""
    return [n for n in indicators.REGISTRY if n not in KNOWN]


def months_between(start: pl.Expr, as_of: dt.date) -> pl.Expr:
    """Completed months from each date to `as_of`, like `indicators.months_between`."""
    return ((as_of.year - start.dt.year().cast(pl.Int32)) * 12 + (as_of.month - start.dt.month().cast(pl.Int32))
            - (start.dt.day() > as_of.day).cast(pl.Int32))


def _day_key(d: pl.Expr) -> pl.Expr:
    return d.cast(pl.Int32).cast(pl.Int64) + _DAY_OFFSET


def _lookup(values: np.ndarray, fn: Callable[[int], int]) -> np.ndarray:
    """Apply a Python function to each distinct value (few), then map every row."""
    uniq, inverse = np.unique(values, return_inverse=True)
    mapped = np.array([fn(int(u)) for u in uniq], dtype=np.int64)
    return mapped[inverse]


def _scaled4(x: float) -> int:
    return int(Decimal(repr(round(x, 4))) * 10000)


def _with_family_index(t: Tables) -> tuple[pl.DataFrame, pl.DataFrame]:
    keys = t.families.select("family_id").with_row_index("fidx")
    if keys.get_column("family_id").is_duplicated().any():
        dup = keys.filter(pl.col("family_id").is_duplicated()).get_column("family_id")[0]
        raise PopulationError(f"families.family_id: duplicate id {dup!r}")
    mem = t.members.join(keys, on="family_id", how="left")
    orphans = mem.filter(pl.col("fidx").is_null())
    if orphans.height:
        raise PopulationError(f"members.family_id: {orphans.height} member(s) of unknown families, "
                              f"e.g. {orphans.get_column('family_id')[0]!r}")
    dec = t.deceased.join(keys, on="family_id", how="inner")
    return mem, dec


def _member_columns(mem: pl.DataFrame, as_of: dt.date) -> pl.LazyFrame:
    return mem.lazy().with_columns(
        am=months_between(pl.col("birth_date"), as_of),
        grp=pl.col("disability_group").fill_null(0),
    ).with_columns(age=pl.col("am") // 12)


def compute(t: Tables, as_of: dt.date, wanted: Iterable[str] | None = None) -> pl.DataFrame:
    """The indicators (all, or `wanted`) for every family of `t`, in the order of `t.families`.

    Columns: `family_id`, then one per indicator; numbers are Int64 scaled by `SCALE`, unknown
    optional values are null. `family_size` and `region` are always included.
    """
    names = list(indicators.REGISTRY) if wanted is None else list(dict.fromkeys(wanted))
    bad = [n for n in names if n not in KNOWN]
    if bad:
        raise PopulationError(f"no vectorised form for indicator(s) {', '.join(bad)}")
    want = set(names) | {"family_size", "region"}
    n = t.families.height
    mem, dec = _with_family_index(t)
    m = _member_columns(mem, as_of)

    aggs: list[pl.Expr] = [COUNTS[c].sum().cast(pl.Int64).alias(c) for c in COUNTS if c in want]
    aggs += _special_aggs(want, as_of)
    fam = m.group_by("fidx").agg(aggs).sort("fidx").collect()
    if fam.height != n:
        raise PopulationError(f"families: {n - fam.height} family(ies) without members")
    cols: dict[str, pl.Series | np.ndarray] = {"family_id": t.families.get_column("family_id")}
    for c in COUNTS:
        if c in want:
            cols[c] = fam.get_column(c)
    if want & set(ORDERED):
        cols.update(_ordered(m, n, as_of, want))
    if want & {"survivor_dependants", "deceased_breadwinners", "months_since_breadwinner_death",
               "months_since_death_of_recipient"}:
        cols.update(_deaths(dec, fam, n, as_of, want))
    cols.update(_finish(t, mem, fam, want, as_of))
    out = pl.DataFrame({k: cols[k] for k in ["family_id", *[x for x in indicators.REGISTRY if x in want]]})
    return out.with_columns(
        [pl.col(c).cast(pl.Int64) for c in out.columns if c in SCALE]
    )


def _special_aggs(want: set[str], as_of: dt.date) -> list[pl.Expr]:
    aggs: list[pl.Expr] = []
    if "youngest_child_age_months" in want:
        aggs.append(am.filter(child).min().alias("_youngest"))
    if "head_age_years" in want:
        aggs.append(age.filter(pl.col("relation") == "head").first().alias("head_age_years"))
        aggs.append((pl.col("relation") == "head").sum().alias("_heads"))
    if "single_parent_family" in want:
        aggs.append((pl.col("relation") == "spouse").any().alias("_spouse"))
        aggs.append((child & (age < 18)).sum().alias("_minors"))
    if "parent_eligible_residency" in want:
        aggs.append((parent & pl.col("citizenship").is_in(RESIDENT)).any().alias("parent_eligible_residency"))
    if "all_members_residents" in want:
        aggs.append(pl.col("citizenship").is_in(RESIDENT).all().alias("all_members_residents"))
    for sex in ("male", "female"):
        if f"oldest_{sex}_non_pensioner_age_years" in want:
            aggs.append(am.filter((pl.col("sex") == sex) & (emp != "pensioner")).max().alias(f"_oldest_{sex}"))
    if want & {"carer_insured", "carer_avg_insured_income_24m_kzt"}:
        # First parent in member order by preference: childcare leave, not working, the spouse, anyone.
        pref = (pl.when(emp == "childcare_leave").then(0)
                .when(emp.is_in(["none", "unemployed", "student"])).then(1)
                .when(pl.col("relation") == "spouse").then(2).otherwise(3))
        key = pl.when(parent).then(pref.cast(pl.Int64) * 2**40 + pl.col("pos").cast(pl.Int64)).otherwise(2**62)
        aggs.append(pl.col("gfss_participant").get(key.arg_min()).alias("_carer_gfss"))
        aggs.append(pl.col("avg_insured_income_24m_kzt").get(key.arg_min()).alias("_carer_avg24"))
        aggs.append((child & _between(am, 0, 18)).any().alias("_has_infant"))
    if want & {"maternity_leave_days", "maternity_avg_income_12m_kzt"}:
        days = pl.col("maternity_leave_days").fill_null(0)
        key = pl.when(pl.col("gfss_participant") & (days > 0)).then(
            days.cast(pl.Int64) * _KEY_IIN + pl.col("iin").cast(pl.Int64)).otherwise(-1)
        aggs.append(key.max().alias("_mat_key"))
        aggs.append(days.get(key.arg_max()).alias("_mat_days"))
        aggs.append(pl.col("avg_insured_income_12m_kzt").get(key.arg_max()).alias("_mat_avg12"))
    if want & {"months_since_insured_job_loss", "job_loser_avg_income_24m_kzt", "job_loser_insurance_months"}:
        lost = pl.col("job_lost_on")
        ok = (emp == "unemployed") & pl.col("gfss_participant") & lost.is_not_null() & (lost <= as_of)
        key = pl.when(ok).then(_day_key(lost) * _KEY_IIN + pl.col("iin").cast(pl.Int64)).otherwise(-1)
        aggs.append(key.max().alias("_job_key"))
        aggs.append(lost.get(key.arg_max()).alias("_job_lost_on"))
        aggs.append(pl.col("avg_insured_income_24m_kzt").get(key.arg_max()).alias("_job_avg24"))
        aggs.append(pl.col("insurance_record_months").get(key.arg_max()).alias("_job_record"))
    if want & {"total_income_kzt", "per_capita_income_kzt"}:
        aggs.append(income.sum().alias("_income_sum"))
        aggs.append((income != income.floor()).any().alias("_income_fraction"))
    if "dependency_ratio" in want:
        aggs.append(COUNTS["dependants"].sum().alias("_dep"))
        aggs.append(COUNTS["employed_adults"].sum().alias("_emp"))
    if want & {"altyn_alqa_mothers", "kumis_alqa_mothers"}:
        awards = pl.col("awards").fill_null([])
        seven = awards.list.set_intersection(pl.lit(SEVEN, dtype=pl.List(pl.String))).list.len() > 0
        kumis = awards.list.contains("kumis_alqa") & ~seven
        aggs.append(seven.sum().alias("altyn_alqa_mothers"))
        aggs.append(kumis.sum().alias("kumis_alqa_mothers"))
    if "survivor_dependants" in want:
        aggs.append(((child & ((age < 18) | ((age < 23) & fts))) | (emp == "pensioner")).sum().alias("_surv"))
    return aggs


def _ordered(m: pl.LazyFrame, n: int, as_of: dt.date, want: set[str]) -> dict[str, np.ndarray]:
    """Counts that need each child's birth order: children sorted by (birth date, IIN)."""
    key = _day_key(pl.col("birth_date")) * _KEY_IIN + pl.col("iin").cast(pl.Int64)
    kids = (m.filter(child).select("fidx", "am", born=pl.col("birth_date") <= as_of, key=key)
            .sort("fidx", "key")
            .with_columns(row=pl.int_range(pl.len(), dtype=pl.Int64))
            .with_columns(start=pl.when(pl.col("fidx") != pl.col("fidx").shift(1)).then(pl.col("row"))
                          .otherwise(None).forward_fill().fill_null(0))
            .with_columns(order=pl.col("row") - pl.col("start") + 1))
    names = [c for c in ORDERED if c in want]
    agg = kids.group_by("fidx").agg([ORDERED[c].sum().alias(c) for c in names]).collect()
    idx = agg.get_column("fidx").to_numpy()
    out: dict[str, np.ndarray] = {}
    for c in names:
        arr = np.zeros(n, dtype=np.int64)
        arr[idx] = agg.get_column(c).to_numpy()
        out[c] = arr
    return out


def _deaths(dec: pl.DataFrame, fam: pl.DataFrame, n: int, as_of: dt.date, want: set[str]) -> dict[str, np.ndarray]:
    dod = pl.col("date_of_death")
    bw = pl.col("relation").is_in(["head", "spouse"]) & (dod <= as_of)
    rec = pl.col("received_benefit_or_pension") & (dod <= as_of)
    agg = dec.lazy().group_by("fidx").agg(
        bw.sum().alias("bw"), dod.filter(bw).max().alias("bw_last"), dod.filter(rec).max().alias("rec_last"),
    ).with_columns(
        bw_months=months_between(pl.col("bw_last"), as_of), rec_months=months_between(pl.col("rec_last"), as_of),
    ).collect()
    idx = agg.get_column("fidx").to_numpy()

    def spread(col: str, default: int) -> np.ndarray:
        arr = np.full(n, default, dtype=np.int64)
        arr[idx] = agg.get_column(col).fill_null(default).to_numpy()
        return arr

    bw_count = spread("bw", 0)
    out = {
        "deceased_breadwinners": bw_count,
        "months_since_breadwinner_death": spread("bw_months", NONE_MONTHS),
        "months_since_death_of_recipient": spread("rec_months", NONE_MONTHS),
    }
    if "survivor_dependants" in want:
        out["survivor_dependants"] = np.where(bw_count > 0, fam.get_column("_surv").to_numpy(), 0)
    return {k: v for k, v in out.items() if k in want}


def _money(values: pl.Series) -> pl.Series:
    """round(x, 2) in tiyn, nulls kept."""
    arr = values.cast(pl.Float64).to_numpy()
    null = values.is_null().to_numpy()
    scaled = exact.round_scaled(np.where(null, 0.0, arr), 2)
    return pl.Series(values.name, scaled, dtype=pl.Int64).scatter(np.flatnonzero(null), None)


def _finish(t: Tables, mem: pl.DataFrame, fam: pl.DataFrame, want: set[str], as_of: dt.date
            ) -> dict[str, pl.Series | np.ndarray]:
    out: dict[str, pl.Series | np.ndarray] = {}
    g = fam.get_column
    families = t.families
    if "youngest_child_age_months" in want:
        out["youngest_child_age_months"] = g("_youngest").fill_null(NONE_MONTHS)
    if "head_age_years" in want:
        heads = g("_heads").to_numpy()
        if (heads != 1).any():
            bad = families.get_column("family_id")[int(np.flatnonzero(heads != 1)[0])]
            raise PopulationError(f"members.relation: family {bad!r} must have exactly one 'head'")
        out["head_age_years"] = g("head_age_years")
    if "single_parent_family" in want:
        out["single_parent_family"] = (~g("_spouse")) & (g("_minors") > 0)
    if "region" in want:
        out["region"] = families.get_column("region").cast(pl.String)
    for c in ("parent_eligible_residency", "all_members_residents", "altyn_alqa_mothers", "kumis_alqa_mothers",
              "head_age_years"):
        if c in want and c not in out:
            out[c] = g(c)
    for sex in ("male", "female"):
        name = f"oldest_{sex}_non_pensioner_age_years"
        if name in want:
            months = g(f"_oldest_{sex}")
            null = months.is_null().to_numpy()
            vals = _lookup(months.fill_null(0).to_numpy(), lambda mo: _scaled4(mo / 12))
            out[name] = np.where(null, 0, vals)
    if want & {"carer_insured", "carer_avg_insured_income_24m_kzt"}:
        gfss = g("_carer_gfss").fill_null(False)
        out["carer_insured"] = gfss
        relevant = (gfss & g("_has_infant")).to_numpy()
        avg = _money(g("_carer_avg24"))
        out["carer_avg_insured_income_24m_kzt"] = pl.Series(
            "x", np.where(relevant, avg.fill_null(-1).to_numpy(), 0), dtype=pl.Int64
        ).scatter(np.flatnonzero(relevant & avg.is_null().to_numpy()), None)
    if want & {"maternity_leave_days", "maternity_avg_income_12m_kzt"}:
        has = (g("_mat_key") >= 0).to_numpy()
        out["maternity_leave_days"] = np.where(has, g("_mat_days").fill_null(0).to_numpy(), 0)
        avg = _money(g("_mat_avg12"))
        out["maternity_avg_income_12m_kzt"] = pl.Series(
            "x", np.where(has, avg.fill_null(-1).to_numpy(), 0), dtype=pl.Int64
        ).scatter(np.flatnonzero(has & avg.is_null().to_numpy()), None)
    if want & {"months_since_insured_job_loss", "job_loser_avg_income_24m_kzt", "job_loser_insurance_months"}:
        has = (g("_job_key") >= 0).to_numpy()
        since = fam.select(months_between(pl.col("_job_lost_on"), as_of)).to_series().fill_null(0).to_numpy()
        out["months_since_insured_job_loss"] = np.where(has, since, NONE_MONTHS)
        avg = _money(g("_job_avg24"))
        out["job_loser_avg_income_24m_kzt"] = pl.Series(
            "x", np.where(has, avg.fill_null(-1).to_numpy(), 0), dtype=pl.Int64
        ).scatter(np.flatnonzero(has & avg.is_null().to_numpy()), None)
        rec = g("_job_record")
        out["job_loser_insurance_months"] = pl.Series(
            "x", np.where(has, rec.fill_null(-1).to_numpy(), 0), dtype=pl.Int64
        ).scatter(np.flatnonzero(has & rec.is_null().to_numpy()), None)
    if want & {"total_income_kzt", "per_capita_income_kzt"}:
        size = fam.get_column("family_size").to_numpy() if "family_size" in fam.columns else None
        if bool(g("_income_fraction").any()):
            # Non-integral incomes: the order of additions matters, so add as sum() does.
            total = exact.group_sum(mem.get_column("fidx").to_numpy().astype(np.int64),
                                    mem.get_column("monthly_income_kzt").to_numpy(), t.families.height)
        else:
            total = g("_income_sum").to_numpy()
        out["total_income_kzt"] = exact.round_scaled(total, 2)
        assert size is not None
        out["per_capita_income_kzt"] = exact.round_scaled(total / size, 2)
    if "dependency_ratio" in want:
        pair = g("_dep").cast(pl.Int64).to_numpy() * 1000 + g("_emp").cast(pl.Int64).to_numpy()
        out["dependency_ratio"] = _lookup(pair, lambda p: _scaled4(p // 1000 / max(1, p % 1000)))
    if "median_income_kzt" in want:
        out["median_income_kzt"] = _money(families.get_column("median_income_kzt"))
    if want & {"non_mortgage_loans_kzt", "has_non_mortgage_loan"}:
        loans = families.get_column("non_mortgage_outstanding").fill_null(0.0)
        out["non_mortgage_loans_kzt"] = _money(loans)
        out["has_non_mortgage_loan"] = loans > 0
    return out
