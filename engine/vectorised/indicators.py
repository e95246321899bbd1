"""The registered indicators computed for every family at once, equal to `engine.indicators`.

Each indicator of `engine.indicators.REGISTRY` has its columnar form here: a count of members
matching a predicate, a selection of one member (the carer, the member on maternity leave, the
latest job loser), a sum, or a family field. They follow the per-family definitions exactly: ages
in completed months (`months_between`), birth order among children sorted by (birth date, IIN),
the carer chosen by the same preferences in member order, money rounded like `round(x, 2)`
(see `exact`), and `None` (null) wherever the per-family function returns `None`.

How it is fast: members are laid out contiguously per family (they usually are already), the
member predicates are one polars `select`, and the per-family counts are packed eight to a 64-bit
word and summed with one cumulative sum per word (a family never has 256 members). Minima,
maxima and the member selections reduce over contiguous segments; rare rows (maternity leave,
job loss, awards, infants' birth order) are handled on their own small frames.

Numbers come out as integers scaled by `SCALE` (tiyn for money, ten-thousandths for ratios), which
is exactly the decimal the expression evaluator sees (`compiler.env_value`). An indicator added to
the registry without a columnar form here is refused at the first run, never silently skipped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal

import numpy as np
import numpy.typing as npt
import polars as pl

from engine import indicators
from engine.vectorised import tables
from engine.vectorised.layout import Layout, family_index, layout
from engine.vectorised.tables import PopulationError, Tables

Ints = npt.NDArray[np.int64]
NONE_MONTHS = indicators.NONE_MONTHS
MONEY = frozenset({
    "carer_avg_insured_income_24m_kzt", "maternity_avg_income_12m_kzt", "job_loser_avg_income_24m_kzt",
    "total_income_kzt", "per_capita_income_kzt", "median_income_kzt", "non_mortgage_loans_kzt",
    "work_capacity_loss_avg_income_24m_kzt", "housing_costs_within_norms_kzt", "deceased_insured_avg_income_24m_kzt",
})
RATIO = frozenset({"oldest_male_non_pensioner_age_years", "oldest_female_non_pensioner_age_years",
                   "dependency_ratio", "work_capacity_loss_man_age_years", "work_capacity_loss_woman_age_years"})
SCALE: dict[str, int] = {n: 2 if n in MONEY else 4 if n in RATIO else 0
                         for n, i in indicators.REGISTRY.items() if i.kind == "number"}
# Largest absolute value of each number's integers, from the limits `tables.validate` enforces
# (amounts at most 1e12 tenge per person or family, at most 255 members): sizes fixed-point types.
_SMALL = {"maternity_leave_days": 366, "job_loser_insurance_months": 900, "work_capacity_loss_record_months": 900,
          "deceased_insured_record_months": 900, "work_capacity_loss_pct": 100,
          "oldest_male_non_pensioner_record_years": 80, "oldest_female_non_pensioner_record_years": 80}
_MONTHS = {"youngest_child_age_months", "months_since_insured_job_loss", "months_since_breadwinner_death",
           "months_since_death_of_recipient", "head_age_years", "months_since_work_capacity_loss",
           "months_since_insured_breadwinner_death"}
BOUND: dict[str, int] = {
    n: (10**17 if n == "total_income_kzt" else 10**14) if n in MONEY else 10**8 if n in RATIO
    else _SMALL.get(n, 10**5 if n in _MONTHS else 255) for n in SCALE
}
RESIDENT = sorted(indicators.RESIDENT)
SEVEN = sorted(indicators.SEVEN_AWARD)
MAX_MEMBERS = 60  # the snapshot model's limit; the packed counters hold up to 255
_KEY_IIN = 10**12  # an IIN has 12 digits: (date or count, IIN) packs into one Int64 sort key
_DAY_OFFSET = 100_000  # days since 1970 made positive for dates from 1700 on
_ROW_BITS = 36  # member row numbers below 2**36 (68 billion) pack under a preference rank

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


# The cause as `model.Disability.effective_cause` reads it: the stated one, else from `since_childhood`.
cause = (pl.when(pl.col("disability_cause").is_not_null()).then(pl.col("disability_cause"))
         .when(pl.col("disability_since_childhood")).then(pl.lit("since_childhood")).otherwise(pl.lit("general")))
ward = (pl.col("relation") == "ward") & (age < 18)
kin = pl.col("relation").is_in(sorted(indicators.BIRTH_ORDER_RELATIONS))
young_dependant = (pl.col("relation").is_in(sorted(indicators.YOUNG_DEPENDANT_RELATIONS))
                   & ((age < 18) | ((age < 23) & fts)))


def _adult_general(g: int) -> pl.Expr:
    return (age >= 18) & dis & (cause == "general") & (grp == g)


def _childhood(g: int) -> pl.Expr:
    return dis & (grp == g) & (_between(age, 7, 18) | ((age >= 18) & (cause == "since_childhood")))


# Indicators that count the members matching a predicate.
COUNTS: dict[str, pl.Expr] = {
    "family_size": pl.col("pos") >= 0,
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
    "disabled_children_under_18": dis & pl.col("relation").is_in(["child", "ward"]) & (age < 18),
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
    "wards_under_18": ward,
    "stepchildren_under_18": (pl.col("relation") == "stepchild") & (age < 18),
    "professional_foster_parents": pl.col("professional_foster_parent"),
    "disabled_adults_cause_unconfirmed": dis & (age >= 18) & cause.is_in(sorted(indicators.UNCONFIRMED_CAUSES)),
    "nf_savers_turned_18_last_12m": ((pl.col("citizenship") == "citizen") & _between(am, 216, 228)
                                     & (pl.col("birth_date") >= indicators.NF_FIRST_COHORT)),
    "nf_participants_under_18": (pl.col("citizenship") == "citizen") & _between(am, 0, 216),
}
# Counts behind the other indicators (name -> predicate).
HELPERS: dict[str, pl.Expr] = {
    "_heads": pl.col("relation") == "head",
    "_spouses": pl.col("relation") == "spouse",
    "_parent_resident": parent & pl.col("citizenship").is_in(RESIDENT),
    "_non_resident": ~pl.col("citizenship").is_in(RESIDENT),
    "_survivors": young_dependant,
    "_group1_adult": dis & (age >= 18) & (grp == 1),
    "_able_carer": (age >= 18) & ~(dis & grp.is_in([1, 2])),
}
# Counts over children in birth order (computed on the children of families with an infant).
ORDERED = ("infants_order_1", "infants_order_2", "infants_order_3", "infants_order_4plus", "births_last_12m",
           "births_last_12m_order_1_3", "births_last_12m_order_4plus")
SPECIAL = frozenset({
    "youngest_child_age_months", "head_age_years", "single_parent_family", "region", "parent_eligible_residency",
    "all_members_residents", "oldest_male_non_pensioner_age_years", "oldest_female_non_pensioner_age_years",
    "carer_insured", "carer_avg_insured_income_24m_kzt", "maternity_leave_days", "maternity_avg_income_12m_kzt",
    "months_since_insured_job_loss", "job_loser_avg_income_24m_kzt", "job_loser_insurance_months",
    "total_income_kzt", "per_capita_income_kzt", "dependency_ratio", "median_income_kzt", "non_mortgage_loans_kzt",
    "has_non_mortgage_loan", "altyn_alqa_mothers", "kumis_alqa_mothers", "deceased_breadwinners",
    "months_since_breadwinner_death", "survivor_dependants", "months_since_death_of_recipient",
    "guardian_wards_under_18", "foster_wards_under_18", "group_1_adults_with_family_carer",
    "housing_record", "housing_costs_within_norms_kzt", "housing_dwelling_eligible", "median_income_known",
    "oldest_male_non_pensioner_record_years", "oldest_female_non_pensioner_record_years",
    "oldest_male_non_pensioner_record_known", "oldest_female_non_pensioner_record_known",
})
# Indicators of rare situations (a degree of lost working capacity, a death in the family), computed by
# `engine.indicators` itself for the few families concerned; every other family gets the stated default.
RARE_CAPACITY = {"work_capacity_loss_members": 0, "work_capacity_loss_pct": 0,
                 "months_since_work_capacity_loss": NONE_MONTHS, "work_capacity_loss_avg_income_24m_kzt": 0,
                 "work_capacity_loss_record_months": 0, "work_capacity_loss_man_age_years": 0,
                 "work_capacity_loss_woman_age_years": 0}
RARE_DEATHS = {"survivor_elders_men_63_plus": 0, **{f"survivor_elders_women_{x}_plus": 0
                                                    for x in ("61", "61_5", "62", "62_5", "63")},
               "survivor_carer_of_child_under_8": 0, "months_since_insured_breadwinner_death": NONE_MONTHS,
               "deceased_insured_avg_income_24m_kzt": 0, "deceased_insured_record_months": 0,
               "gfss_survivor_dependants": 0}
SPECIAL = SPECIAL | frozenset(RARE_CAPACITY) | frozenset(RARE_DEATHS)
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


def _lookup(values: Ints, fn: Callable[[int], int]) -> Ints:
    """Apply a Python function to each distinct value (there are few), then to every row."""
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    lo, hi = int(values.min()), int(values.max())
    if hi - lo > 1_000_000:
        uniq, inverse = np.unique(values, return_inverse=True)
        return np.array([fn(int(u)) for u in uniq], dtype=np.int64)[inverse]
    present = np.zeros(hi - lo + 1, dtype=bool)
    present[values - lo] = True
    table = np.zeros(hi - lo + 1, dtype=np.int64)
    for v in np.flatnonzero(present):
        table[v] = fn(int(v) + lo)
    return table[values - lo]


def _lookup_float(values: npt.NDArray[np.float64]) -> Ints:
    """`_tiyn(indicators._money(v))` for each value, computed once per distinct value."""
    uniq, inverse = np.unique(values, return_inverse=True)
    return np.array([_tiyn(indicators._money(float(u))) for u in uniq], dtype=np.int64)[inverse]


def _scaled4(x: float) -> int:
    return int(Decimal(repr(round(x, 4))) * 10000)


def compute(t: Tables, as_of: dt.date, wanted: Iterable[str] | None = None, lay: Layout | None = None) -> pl.DataFrame:
    """The indicators (all, or `wanted`) for every family of `t`, in the order of `t.families`.

    Columns: `family_id`, then one per indicator; numbers are Int64 scaled by `SCALE`, unknown
    optional values are null. `family_size` and `region` are always included. `lay` is
    `layout(t)` when the caller has it already (the population run shares it with `clocks`).
    """
    names = list(indicators.REGISTRY) if wanted is None else list(dict.fromkeys(wanted))
    bad = [n for n in names if n not in KNOWN]
    if bad:
        raise PopulationError(f"no vectorised form for indicator(s) {', '.join(bad)}")
    want = set(names) | {"family_size", "region"}
    lay = layout(t) if lay is None else lay
    if int(lay.sizes.max()) > MAX_MEMBERS:
        bad = t.families.get_column("family_id")[int(np.argmax(lay.sizes))]
        raise PopulationError(f"members: family {bad!r} has more than {MAX_MEMBERS} members")
    mem = lay.members.lazy().with_columns(
        am=months_between(pl.col("birth_date"), as_of), grp=pl.col("disability_group").fill_null(0),
    ).with_columns(age=pl.col("am") // 12).collect()
    counted = {c: COUNTS[c] for c in COUNTS if c in want}
    counted.update({c: COUNTS[c] for c in ("children_under_18", "infants_under_1_5", "dependants",
                                           "employed_adults", "family_size", "professional_foster_parents",
                                           "wards_under_18")})
    counted.update(HELPERS)
    counts = _counts(mem, lay, counted)
    if (counts["_heads"] != 1).any():
        bad = t.families.get_column("family_id")[int(np.flatnonzero(counts["_heads"] != 1)[0])]
        raise PopulationError(f"members.relation: family {bad!r} must have exactly one 'head'")
    cols: dict[str, object] = {"family_id": t.families.get_column("family_id")}
    for c in COUNTS:
        if c in want:
            cols[c] = counts[c]
    special = Special(t, lay, mem, counts, as_of)
    for name in sorted(want - set(COUNTS)):
        if name not in cols:
            cols.update(special.get(name))
    out = pl.DataFrame({k: cols[k] for k in ["family_id", *[x for x in indicators.REGISTRY if x in want]]})
    return out.with_columns([pl.col(c).cast(pl.Int64) for c in out.columns if c in SCALE])


def _counts(mem: pl.DataFrame, lay: Layout, preds: dict[str, pl.Expr]) -> dict[str, Ints]:
    """Per-family member counts, eight 8-bit counters per 64-bit word, one cumulative sum per word."""
    names = list(preds)
    words = []
    for w in range(0, len(names), 8):
        group = names[w:w + 8]
        word = preds[group[0]].cast(pl.UInt64)
        for j, c in enumerate(group[1:], start=1):
            word = word + preds[c].cast(pl.UInt64) * pl.lit(1 << (8 * j), dtype=pl.UInt64)
        words.append(word.alias(f"w{w}"))
    packed = mem.select(words)
    out: dict[str, Ints] = {}
    for w in range(0, len(names), 8):
        sums = lay.segment_sum(np.asarray(packed.get_column(f"w{w}").to_numpy(), dtype=np.uint64))
        for j, c in enumerate(names[w:w + 8]):
            out[c] = ((sums >> np.uint64(8 * j)) & np.uint64(0xFF)).astype(np.int64)
    return out


class Special:
    """The indicators that are not plain counts, computed on demand (several share work)."""

    def __init__(self, t: Tables, lay: Layout, mem: pl.DataFrame, counts: dict[str, Ints], as_of: dt.date):
        self.t, self.lay, self.mem, self.counts, self.as_of = t, lay, mem, counts, as_of
        self.n = t.families.height
        self.done: dict[str, object] = {}

    def get(self, name: str) -> dict[str, object]:
        """The columns computed with `name` (a group of indicators computed together)."""
        if name not in self.done:
            self.done.update(self._compute(name))
        return {k: v for k, v in self.done.items() if k == name}

    def _col(self, name: str) -> npt.NDArray[np.generic]:
        return self.mem.get_column(name).to_numpy()

    def _compute(self, name: str) -> dict[str, object]:
        c, lay = self.counts, self.lay
        if name == "region":
            return {"region": self.t.families.get_column("region").cast(pl.String)}
        if name == "head_age_years":
            head_age = self.mem.select(pl.when(pl.col("relation") == "head").then(age).otherwise(0)
                                       .cast(pl.Int64)).to_series().to_numpy()
            return {"head_age_years": lay.segment_sum(head_age)}
        if name == "single_parent_family":
            return {name: (c["_spouses"] == 0) & (c["children_under_18"] > 0)}
        if name == "parent_eligible_residency":
            return {name: c["_parent_resident"] > 0}
        if name == "all_members_residents":
            return {name: c["_non_resident"] == 0}
        if name == "youngest_child_age_months":
            return {name: self._extreme(child, am, np.minimum, NONE_MONTHS)}
        if name.startswith("oldest_") and name.endswith("_age_years"):
            sex = "male" if name.startswith("oldest_male") else "female"
            months = self._extreme((pl.col("sex") == sex) & (emp != "pensioner"), am, np.maximum, None)
            null = months == np.iinfo(np.int64).min
            vals = _lookup(np.where(null, 0, months), lambda mo: _scaled4(mo / 12))
            return {name: np.where(null, 0, vals)}
        if name in ("carer_insured", "carer_avg_insured_income_24m_kzt"):
            return self._carer()
        if name in ("maternity_leave_days", "maternity_avg_income_12m_kzt"):
            return self._maternity()
        if name in ("months_since_insured_job_loss", "job_loser_avg_income_24m_kzt", "job_loser_insurance_months"):
            return self._job_loser()
        if name in ("total_income_kzt", "per_capita_income_kzt"):
            return self._income()
        if name == "dependency_ratio":
            pair = c["dependants"] * 1000 + c["employed_adults"]
            return {name: _lookup(pair, lambda p: _scaled4(p // 1000 / max(1, p % 1000)))}
        if name == "median_income_known":
            return {name: self.t.families.get_column("median_income_kzt").is_not_null().to_numpy()}
        if name == "median_income_kzt":
            return {name: _money(self.t.families.get_column("median_income_kzt"))}
        if name in ("non_mortgage_loans_kzt", "has_non_mortgage_loan"):
            loans = self.t.families.get_column("non_mortgage_outstanding").fill_null(0.0)
            return {"non_mortgage_loans_kzt": _money(loans), "has_non_mortgage_loan": loans > 0}
        if name in ("altyn_alqa_mothers", "kumis_alqa_mothers"):
            return self._awards()
        if name in ORDERED:
            return self._ordered()
        if name in ("deceased_breadwinners", "months_since_breadwinner_death", "survivor_dependants",
                    "months_since_death_of_recipient"):
            return self._deaths()
        if name == "guardian_wards_under_18":
            return {name: np.where(c["professional_foster_parents"] == 0, c["wards_under_18"], 0)}
        if name == "foster_wards_under_18":
            return {name: np.where(c["professional_foster_parents"] > 0, c["wards_under_18"], 0)}
        if name == "group_1_adults_with_family_carer":
            # An able adult other than the disabled one: one exists unless every able adult is... none.
            return {name: np.where(c["_able_carer"] > 0, c["_group1_adult"], 0)}
        if name.startswith("housing_"):
            fam = self.t.families
            dwelling = fam.get_column("housing_dwelling")
            return {"housing_record": dwelling.is_not_null().to_numpy(),
                    "housing_costs_within_norms_kzt": _money(fam.get_column("housing_costs_within_norms_kzt")
                                                             .fill_null(0.0)),
                    "housing_dwelling_eligible": dwelling.is_in(["only_owned_home", "state_rental"])
                    .fill_null(False).to_numpy()}
        if name.startswith(("oldest_male_non_pensioner_record", "oldest_female_non_pensioner_record")):
            return self._pension_record("male" if name.startswith("oldest_male") else "female")
        if name in RARE_CAPACITY:
            lost = pl.col("work_capacity_loss_pct").is_not_null()
            return self._rare(RARE_CAPACITY, self.mem.select(lost.alias("x")).to_series().to_numpy())
        if name in RARE_DEATHS:
            return self._rare(RARE_DEATHS, self._families_with_deceased())
        raise PopulationError(f"no vectorised form for indicator {name}")

    def _pension_record(self, sex: str) -> dict[str, object]:
        # The earliest-born (ties: the greatest IIN), as `indicators._oldest_non_pensioner_person`.
        rows = self._best_rows((pl.col("sex") == sex) & (emp != "pensioner"),
                               (4 * _DAY_OFFSET - _day_key(pl.col("birth_date"))) * _KEY_IIN
                               + pl.col("iin").cast(pl.Int64))
        years = self.mem.get_column("pension_record_years").gather(rows)
        known = self.lay.spread(rows, years.is_not_null().to_numpy().astype(np.int64), 0) > 0
        return {f"oldest_{sex}_non_pensioner_record_years": self.lay.spread(rows, years.fill_null(0).to_numpy(), 0),
                f"oldest_{sex}_non_pensioner_record_known": known}

    def _families_with_deceased(self) -> npt.NDArray[np.bool_]:
        ids = self.t.deceased.get_column("family_id").unique()
        return np.asarray(self.t.families.get_column("family_id").is_in(ids.implode()).to_numpy(), dtype=bool)

    def _rare(self, defaults: dict[str, int], flag: npt.NDArray[np.bool_]) -> dict[str, object]:
        """`defaults` for every family, and `engine.indicators` for the families `flag` marks (per member
        when it has one row per member), through their snapshots."""
        from engine import model
        from engine.vectorised.check import subset

        fams = np.unique(self.lay.fidx[np.flatnonzero(flag)]) if len(flag) == len(self.lay.fidx) \
            else np.flatnonzero(flag)
        out = {n: np.full(self.n, d, dtype=np.int64) for n, d in defaults.items()}
        nulls: dict[str, list[int]] = {n: [] for n in defaults}
        if len(fams):
            part = subset(self.t, fams.astype(np.int64))
            for k, snap in zip(fams, tables.to_snapshots(part), strict=True):
                values = indicators.compute_some(model.Family.model_validate(snap), self.as_of, list(defaults))
                for n, v in values.items():
                    if v is None:
                        nulls[n].append(int(k))
                    elif n in MONEY:
                        out[n][k] = int(Decimal(repr(v)).scaleb(2))
                    elif n in RATIO:
                        out[n][k] = _scaled4(float(v))
                    else:
                        out[n][k] = int(v)
        return {n: pl.Series(n, out[n], dtype=pl.Int64).scatter(nulls[n], None) if nulls[n] else out[n]
                for n in defaults}

    def _extreme(self, where: pl.Expr, value: pl.Expr, ufunc: np.ufunc, default: int | None) -> Ints:
        """Per-family minimum or maximum of `value` over members where `where` holds."""
        flag = self.mem.select(where.alias("w")).to_series().to_numpy()
        rows = np.flatnonzero(flag)
        vals = self.mem.select(value.cast(pl.Int64)).to_series().to_numpy()[rows]
        empty = np.iinfo(np.int64).max if ufunc is np.minimum else np.iinfo(np.int64).min
        out = np.full(self.n, empty, dtype=np.int64)
        if len(rows):
            f = self.lay.fidx[rows]
            starts = np.flatnonzero(np.r_[True, f[1:] != f[:-1]])
            out[f[starts]] = ufunc.reduceat(vals, starts)
        if default is not None:
            out[out == empty] = default
        return out

    def _best_rows(self, where: pl.Expr, key: pl.Expr) -> Ints:
        """For each family with a member where `where` holds, the row with the largest `key`."""
        frame = self.mem.lazy().with_row_index("row").filter(where).select("row", key=key).collect()
        if frame.height == 0:
            return np.zeros(0, dtype=np.int64)
        rows = frame.get_column("row").to_numpy().astype(np.int64)
        keys = frame.get_column("key").to_numpy()
        order = np.lexsort((-keys, self.lay.fidx[rows]))
        rows = rows[order]
        f = self.lay.fidx[rows]
        first = np.r_[True, f[1:] != f[:-1]]
        return rows[first]

    def _optional_money(self, rows: Ints, column: str) -> pl.Series:
        """Money of the member at `rows` for their families: null where unknown, 0 for other families."""
        picked = _money(self.mem.get_column(column).gather(rows))
        vals = self.lay.spread(rows, picked.fill_null(0).to_numpy(), 0)
        null_at = self.lay.fidx[rows[picked.is_null().to_numpy()]]
        return pl.Series(vals, dtype=pl.Int64).scatter(null_at, None)

    def _carer(self) -> dict[str, object]:
        # First parent in member order by preference: childcare leave, not working, the spouse, anyone.
        pref = (pl.when(emp == "childcare_leave").then(0).when(emp.is_in(["none", "unemployed", "student"])).then(1)
                .when(pl.col("relation") == "spouse").then(2).otherwise(3))
        key = self.mem.with_row_index("row").select(
            pl.when(parent).then(pref.cast(pl.Int64) * 2**_ROW_BITS + pl.col("row").cast(pl.Int64))
            .otherwise(np.iinfo(np.int64).max)).to_series().to_numpy()
        best = np.minimum.reduceat(key, self.lay.starts)
        rows = best & (2**_ROW_BITS - 1)  # every family has a head, so every family has a carer
        gfss = self.mem.get_column("gfss_participant").fill_null(False).to_numpy()[rows]
        relevant = np.flatnonzero(gfss & (self.counts["infants_under_1_5"] > 0))
        avg = _money(self.mem.get_column("avg_insured_income_24m_kzt").gather(rows[relevant]))
        vals = np.zeros(self.n, dtype=np.int64)
        vals[relevant] = avg.fill_null(0).to_numpy()
        income24 = pl.Series(vals, dtype=pl.Int64).scatter(relevant[avg.is_null().to_numpy()], None)
        return {"carer_insured": gfss, "carer_avg_insured_income_24m_kzt": income24}

    def _maternity(self) -> dict[str, object]:
        days = pl.col("maternity_leave_days").fill_null(0)
        rows = self._best_rows(pl.col("gfss_participant") & (days > 0),
                               days.cast(pl.Int64) * _KEY_IIN + pl.col("iin").cast(pl.Int64))
        mdays = self.mem.get_column("maternity_leave_days").gather(rows).to_numpy()
        return {"maternity_leave_days": self.lay.spread(rows, mdays, 0),
                "maternity_avg_income_12m_kzt": self._optional_money(rows, "avg_insured_income_12m_kzt")}

    def _job_loser(self) -> dict[str, object]:
        lost = pl.col("job_lost_on")
        ok = (emp == "unemployed") & pl.col("gfss_participant") & lost.is_not_null() & (lost <= self.as_of)
        rows = self._best_rows(ok, _day_key(lost) * _KEY_IIN + pl.col("iin").cast(pl.Int64))
        since = self.mem[rows].select(months_between(lost, self.as_of)).to_series().to_numpy()
        record = self.mem.get_column("insurance_record_months").gather(rows)
        rec = pl.Series(self.lay.spread(rows, record.fill_null(0).to_numpy(), 0), dtype=pl.Int64)
        rec = rec.scatter(self.lay.fidx[rows[record.is_null().to_numpy()]], None)
        return {"months_since_insured_job_loss": self.lay.spread(rows, since, NONE_MONTHS),
                "job_loser_avg_income_24m_kzt": self._optional_money(rows, "avg_insured_income_24m_kzt"),
                "job_loser_insurance_months": rec}

    def _income(self) -> dict[str, object]:
        """Total and per-member income in tiyn, exact decimals rounded half-up (`indicators.to_tiyn`).

        Whole-tenge incomes are summed as integers; a family with any fractional or huge income
        is added up in `Decimal`, as `engine.indicators` does it, member by member.
        """
        values = self.mem.get_column("monthly_income_kzt").to_numpy()
        big = values > 2**40
        odd_rows = np.flatnonzero((values != np.floor(values)) | big)
        whole = np.where(big, 0, values).astype(np.int64)
        total = self.lay.segment_sum(whole) * 100  # tiyn
        sizes = self.lay.sizes
        per_capita = (2 * total + sizes) // (2 * sizes)  # half-up of total / size (non-negative)
        if len(odd_rows):
            fams = np.unique(self.lay.fidx[odd_rows])
            for k in fams:
                start, size = int(self.lay.starts[k]), int(sizes[k])
                exact_total = sum((indicators.money_decimal(float(v)) for v in values[start:start + size]),
                                  Decimal(0))
                total[k] = _tiyn(indicators.to_tiyn(exact_total))
                per_capita[k] = _tiyn(indicators.to_tiyn(exact_total / size))
        return {"total_income_kzt": total, "per_capita_income_kzt": per_capita}

    def _awards(self) -> dict[str, object]:
        frame = self.mem.lazy().with_row_index("row").filter(pl.col("awards").list.len() > 0).select(
            "row", "awards").collect()
        flags = frame.select(seven=pl.col("awards").list.eval(pl.element().is_in(SEVEN)).list.any(),
                             kumis=pl.col("awards").list.contains("kumis_alqa"))
        seven = flags.get_column("seven").to_numpy().astype(bool)
        kumis = flags.get_column("kumis").to_numpy().astype(bool) & ~seven
        f = self.lay.fidx[frame.get_column("row").to_numpy().astype(np.int64)]
        return {"altyn_alqa_mothers": np.bincount(f, weights=seven, minlength=self.n).astype(np.int64),
                "kumis_alqa_mothers": np.bincount(f, weights=kumis, minlength=self.n).astype(np.int64)}

    def _ordered(self) -> dict[str, object]:
        """Counts that need birth order: children sorted by (birth date, IIN) within the family."""
        has_infant = self.counts["infants_under_1_5"] > 0  # a birth in the last 12 months is an infant too
        member_has = pl.Series(has_infant[self.lay.fidx])
        # Birth order among the family's children, stepchildren and wards; only children are counted.
        frame = self.mem.lazy().with_row_index("row").filter(kin & member_has).select(
            "row", "am", born=pl.col("birth_date") <= self.as_of, is_child=child,
            key=_day_key(pl.col("birth_date")) * _KEY_IIN + pl.col("iin").cast(pl.Int64)).collect()
        rows = frame.get_column("row").to_numpy().astype(np.int64)
        keys = frame.get_column("key").to_numpy()
        f = self.lay.fidx[rows]
        if len(rows) and not bool(((f[1:] != f[:-1]) | (keys[1:] > keys[:-1])).all()):
            order = np.lexsort((keys, f))
            rows, keys, f = rows[order], keys[order], f[order]
            frame = frame[order]
        starts = np.flatnonzero(np.r_[True, f[1:] != f[:-1]]) if len(f) else np.zeros(0, dtype=np.int64)
        rank = np.arange(len(f)) - np.repeat(starts, np.diff(np.r_[starts, len(f)])) + 1
        months = frame.get_column("am").to_numpy()
        born = frame.get_column("born").to_numpy()
        is_child = frame.get_column("is_child").to_numpy()
        infant = (months >= 0) & (months < 18) & is_child
        newborn = (months >= 0) & (months < 12) & born & is_child
        preds = {
            "infants_order_1": infant & (rank == 1), "infants_order_2": infant & (rank == 2),
            "infants_order_3": infant & (rank == 3), "infants_order_4plus": infant & (rank >= 4) & (rank < 100),
            "births_last_12m": newborn, "births_last_12m_order_1_3": newborn & (rank <= 3),
            "births_last_12m_order_4plus": newborn & (rank >= 4),
        }
        return {k: np.bincount(f, weights=v, minlength=self.n).astype(np.int64) for k, v in preds.items()}

    def _deaths(self) -> dict[str, object]:
        dec = self.t.deceased.with_columns(fidx=family_index(self.t.families.get_column("family_id"),
                                                              self.t.deceased.get_column("family_id")))
        if dec.get_column("fidx").null_count():
            bad = dec.filter(pl.col("fidx").is_null()).get_column("family_id")[0]
            raise PopulationError(f"deceased.family_id: deceased member of unknown family {bad!r}")
        dod = pl.col("date_of_death")
        bw = pl.col("relation").is_in(["head", "spouse"]) & (dod <= self.as_of)
        rec = pl.col("received_benefit_or_pension") & (dod <= self.as_of)
        agg = dec.lazy().group_by("fidx").agg(
            bw.sum().alias("bw"), dod.filter(bw).max().alias("bw_last"), dod.filter(rec).max().alias("rec_last"),
        ).with_columns(
            bw_months=months_between(pl.col("bw_last"), self.as_of),
            rec_months=months_between(pl.col("rec_last"), self.as_of),
        ).collect()
        idx = agg.get_column("fidx").to_numpy().astype(np.int64)

        def spread(col: str, default: int) -> Ints:
            arr = np.full(self.n, default, dtype=np.int64)
            arr[idx] = agg.get_column(col).fill_null(default).to_numpy()
            return arr

        bw_count = spread("bw", 0)
        return {
            "deceased_breadwinners": bw_count,
            "months_since_breadwinner_death": spread("bw_months", NONE_MONTHS),
            "months_since_death_of_recipient": spread("rec_months", NONE_MONTHS),
            "survivor_dependants": np.where(bw_count > 0, self.counts["_survivors"], 0),
        }


def _tiyn(x: float) -> int:
    """An indicator's money value (a float holding a whole number of tiyn) as that integer."""
    return int(Decimal(repr(x)).scaleb(2))


def _money(values: pl.Series) -> pl.Series:
    """`indicators._money` in tiyn, nulls kept (whole tenge directly, the rest as exact decimals)."""
    arr = np.asarray(values.cast(pl.Float64).fill_null(0.0).to_numpy(), dtype=np.float64)
    scaled = (arr * 100).astype(np.int64)
    fraction = np.flatnonzero(arr != np.floor(arr))
    if len(fraction):
        scaled[fraction] = _lookup_float(arr[fraction])
    out = pl.Series(values.name, scaled, dtype=pl.Int64)
    return out.scatter(np.flatnonzero(values.is_null().to_numpy()), None) if values.null_count() else out
