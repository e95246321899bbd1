"""Seeded families aimed at the rules' edges, for differential tests and benchmarks.

The synthetic population (`synthetic/`) looks like Kazakhstan; these families look like a test
engineer's nightmare instead: ages a day either side of every month threshold, birthdays on the
29th-31st, twins ordered only by IIN, spouses listed before heads, unborn children, incomes with
three decimals, per-capita incomes exactly on a poverty line, insurance records on every band
edge, deaths and job losses around the as-of date. Each family has its own as-of date (`anchor`)
from the dates the caller gives, so every epoch of the rulebook is covered.

The caller passes `money` (amounts worth hitting exactly, e.g. poverty lines and caps computed from
the rulebook's parameters); no tenge figure of a rule is written here. Everything is vectorised,
so the same generator writes 100,000 families for a test or millions for a benchmark.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import polars as pl

from engine import iin, model
from engine.vectorised import tables

Ints = npt.NDArray[np.int64]
HEAD, SPOUSE, CHILD, PARENT, SIBLING, OTHER, STEPCHILD, WARD = range(8)  # indices into model.RELATIONS
# Month thresholds of the indicators (ages, windows), each hit a day early, on the day and a day late.
THRESHOLD_MONTHS = (0, 1, 5, 6, 7, 11, 12, 13, 17, 18, 19, 35, 36, 37, 83, 84, 85, 12 * 7, 12 * 18, 12 * 23,
                    12 * 61, 12 * 61 + 6, 12 * 62, 12 * 62 + 6, 12 * 63, 12 * 70, 96, 95, 97, 12 * 19, 227,
                    12 * 63 + 6)
RECORD_MONTHS = (0, 5, 6, 7, 11, 12, 13, 23, 24, 35, 36, 47, 48, 59, 60, 61, 120)


def _months_back(anchor: npt.NDArray[np.datetime64], months: Ints, delta_days: Ints) -> npt.NDArray[np.datetime64]:
    """anchor - months (same day of month, clipped to the month's length) + delta days."""
    month = anchor.astype("datetime64[M]") - months.astype("timedelta64[M]")
    day = (anchor - anchor.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64)
    length = ((month + 1).astype("datetime64[D]") - month.astype("datetime64[D]")).astype(np.int64)
    out = month.astype("datetime64[D]") + np.minimum(day, length - 1).astype("timedelta64[D]")
    return np.asarray(out + delta_days.astype("timedelta64[D]"), dtype="datetime64[D]")


def iins(birth: npt.NDArray[np.datetime64], male: npt.NDArray[np.bool_], serial: Ints) -> list[str]:
    """Valid IINs agreeing with birth date and sex (`iin.make`, vectorised)."""
    years = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    months = birth.astype("datetime64[M]").astype(np.int64) % 12 + 1
    days = (birth - birth.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    century = np.select([years < 1900, years < 2000], [1, 3], 5) + (~male).astype(np.int64)
    prefix = ((years % 100) * 10000 + months * 100 + days) * 10 + century
    serial = serial.copy()
    check = np.full(len(birth), -1, dtype=np.int64)
    todo = np.ones(len(birth), dtype=bool)
    while todo.any():
        first11 = prefix[todo] * 10000 + serial[todo] % 10000
        digits = (first11[:, None] // 10 ** np.arange(10, -1, -1)) % 10
        got = iin.check_digits_vectorised(digits)
        idx = np.flatnonzero(todo)
        check[idx] = got
        serial[idx[got < 0]] += 1
        todo[idx] = got < 0
    number = (prefix * 10000 + serial % 10000) * 10 + check
    return pl.Series(number).cast(pl.String).str.zfill(12).to_list()


def generate(n: int, seed: int, anchors: Sequence[dt.date], money: Sequence[float] = ()) -> tuple[tables.Tables, Ints]:
    """`n` families and, for each, the index into `anchors` of the date it is meant to be evaluated on."""
    rng = np.random.default_rng(seed)
    anchor_idx = rng.integers(0, len(anchors), n)
    anchor_days = np.array([np.datetime64(a.isoformat(), "D") for a in anchors])[anchor_idx]
    money_arr = np.array([*money, 0.0], dtype=np.float64)

    kids = rng.choice(13, n, p=np.array([25, 20, 20, 12, 8, 5, 3, 2, 1.5, 1, 1, 1, .5]) / 100)
    spouse = rng.random(n) < 0.7
    parents = rng.choice(3, n, p=[.8, .15, .05])
    siblings = (rng.random(n) < 0.1).astype(np.int64)
    others = rng.choice(3, n, p=[.9, .07, .03])
    counts = np.stack([np.ones(n, np.int64), spouse.astype(np.int64), kids, parents, siblings, others], axis=1)
    size = counts.sum(axis=1)
    fam = np.repeat(np.arange(n), size)
    role = np.repeat(np.tile(np.arange(6), n), counts.ravel())
    total = len(fam)
    anchor_m = anchor_days[fam]

    # Member order: most families head first; some shuffled (a spouse may come before the head).
    shuffle = rng.random(n) < 0.3
    order_key = np.where(shuffle[fam], rng.random(total), np.arange(total) / total)
    perm = np.lexsort((order_key, fam))
    role = role[perm]
    idx_in_fam = np.arange(total) - np.repeat(np.cumsum(size) - size, size)

    lo_hi = {HEAD: (18, 85), SPOUSE: (18, 85), PARENT: (50, 95), SIBLING: (10, 60), OTHER: (0, 20)}
    age_days = np.zeros(total, dtype=np.int64)
    for r, (lo, hi) in lo_hi.items():
        sel = role == r
        age_days[sel] = rng.integers(lo * 365, hi * 365, int(sel.sum()))
    sel = role == CHILD
    k = int(sel.sum())
    age_days[sel] = np.select(
        [rng.random(k) < 0.3, rng.random(k) < 0.55, rng.random(k) < 0.9],
        [rng.integers(0, 730, k), rng.integers(730, 18 * 365, k), rng.integers(17 * 365, 26 * 365, k)],
        rng.integers(-200, 0, k),
    )
    birth = anchor_m - age_days.astype("timedelta64[D]")
    snap = rng.random(total) < 0.35
    t_months = np.array(THRESHOLD_MONTHS)[rng.integers(0, len(THRESHOLD_MONTHS), total)]
    birth = np.where(snap, _months_back(anchor_m, t_months, rng.integers(-1, 2, total)), birth)
    month_end = rng.random(total) < 0.05
    birth_month = birth.astype("datetime64[M]")
    birth = np.where(month_end, (birth_month + 1).astype("datetime64[D]") - rng.integers(1, 4, total), birth)
    # Twins: a child born on the same day as the previous child of the family.
    twin = (role == CHILD) & np.r_[False, role[:-1] == CHILD] & (rng.random(total) < 0.08)
    birth = np.where(twin, np.r_[birth[:1], birth[:-1]], birth)
    # Some children are stepchildren or wards (birth order counts them; the guardian allowance reads wards).
    kin_draw = rng.random(total)
    role = np.where((role == CHILD) & (kin_draw < 0.08), STEPCHILD,
                    np.where((role == CHILD) & (kin_draw > 0.9), WARD, role))
    male = rng.random(total) < 0.5
    offset = rng.integers(0, 1000, n)[fam]
    serial = ((idx_in_fam * 919 + offset) % 1000) * 10
    iin_col = iins(birth, male, serial)
    # 1% of IINs were issued for other data (a birth date corrected by up to three years, or a sex
    # changed): legitimate, decided on the registry's data, reviewed where the digits would matter.
    other = rng.random(total) < 0.01
    if other.any():
        shifted = birth[other] - rng.integers(-1100, 1100, int(other.sum())).astype("timedelta64[D]")
        flipped = np.where(rng.random(int(other.sum())) < 0.3, ~male[other], male[other])
        replaced = iins(shifted, flipped, serial[other] + 5)
        for k, row in enumerate(np.flatnonzero(other)):
            iin_col[row] = replaced[k]

    citizenship = np.array(model.CITIZENSHIPS)[rng.choice(4, total, p=[.85, .05, .05, .05])]
    disabled = rng.random(total) < 0.12
    group = rng.choice(4, total, p=[.2, .2, .3, .3])
    employment = np.array(model.EMPLOYMENTS)[rng.choice(len(model.EMPLOYMENTS), total,
                                                        p=[.3, .1, .1, .1, .15, .05, .2])]
    gfss = rng.random(total) < 0.5
    income = np.select(
        [rng.random(total) < 0.45, rng.random(total) < 0.55, rng.random(total) < 0.7, rng.random(total) < 0.5],
        [np.zeros(total), rng.integers(1, 500_000, total).astype(np.float64),
         np.round(rng.uniform(0, 400_000, total), 2), np.round(rng.uniform(0, 100_000, total), 3)],
        money_arr[rng.integers(0, len(money_arr), total)],
    )
    # Some families sit exactly on (or a tiyn off) an amount per member: all income with the head.
    on_line = rng.random(n) < 0.15
    target = money_arr[rng.integers(0, len(money_arr), n)] * size + rng.integers(-1, 2, n) / 100
    is_head = role == HEAD
    income = np.where(on_line[fam], np.where(is_head, np.maximum(target[fam], 0.0), 0.0), income)
    student = rng.random(total) < np.where(role == CHILD, 0.3, 0.05)
    award_pick = rng.random(total) < 0.06
    award_names = np.array(model.AWARDS)
    first_award = award_names[rng.integers(0, len(award_names), total)]
    second_award = award_names[rng.integers(0, len(award_names), total)]
    two = rng.random(total) < 0.3

    def maybe_money(p_null: float) -> npt.NDArray[np.float64]:
        vals = np.select(
            [rng.random(total) < 0.4, rng.random(total) < 0.5],
            [rng.integers(0, 900_000, total).astype(np.float64), np.round(rng.uniform(0, 900_000, total), 2)],
            money_arr[rng.integers(0, len(money_arr), total)],
        )
        return np.where(rng.random(total) < p_null, np.nan, vals)

    avg12 = maybe_money(0.15)
    avg24 = maybe_money(0.15)
    record = np.where(rng.random(total) < 0.5, np.array(RECORD_MONTHS)[rng.integers(0, len(RECORD_MONTHS), total)],
                      rng.integers(0, 150, total))
    record_null = rng.random(total) < 0.1
    mat = rng.choice(5, total, p=[.5, .3, .1, .05, .05])
    mat_days = np.select([mat == 2, mat == 3, mat == 4], [126, 140, rng.integers(1, 367, total)], 0)
    mat_null = mat == 0
    lost = np.where(rng.random(total) < 0.7,
                    _months_back(anchor_m, rng.integers(0, 9, total), rng.integers(-1, 2, total)),
                    anchor_m - rng.integers(-60, 1100, total).astype("timedelta64[D]"))
    lost_null = rng.random(total) < 0.75
    causes = np.array(model.CAUSES)[rng.integers(0, len(model.CAUSES), total)]
    cause_null = ~disabled | (rng.random(total) < 0.5)
    wcl = rng.random(total) < 0.08
    wcl_pct = np.where(rng.random(total) < 0.6, np.array([30, 31, 45, 60, 99, 100])[rng.integers(0, 6, total)],
                       rng.integers(30, 101, total))
    wcl_since = np.where(rng.random(total) < 0.8,
                         _months_back(anchor_m, np.array(RECORD_MONTHS)[rng.integers(0, len(RECORD_MONTHS), total)],
                                      rng.integers(-1, 2, total)),
                         anchor_m + rng.integers(1, 90, total).astype("timedelta64[D]"))
    record_years = np.where(rng.random(total) < 0.6,
                            np.array([0, 9, 10, 11, 20, 33, 34, 35, 40, 50])[rng.integers(0, 10, total)],
                            rng.integers(0, 60, total))
    record_years_null = rng.random(total) < 0.3
    foster = (rng.random(total) < 0.04) & np.isin(role, [HEAD, SPOUSE])
    # In a professional foster family the children are placed wards (some families above the cap of 4).
    fam_foster = np.zeros(n, dtype=bool)
    fam_foster[fam[foster]] = True
    role = np.where((role == CHILD) & fam_foster[fam], WARD, role)

    members = pl.DataFrame({
        "family_id": np.char.add(f"EDGE{seed}-", np.char.zfill(np.arange(n).astype(str), 7))[fam],
        "iin": iin_col,
        "relation": np.array(model.RELATIONS)[role],
        "birth_date": birth,
        "sex": np.where(male, "male", "female"),
        "citizenship": citizenship,
        "disability_group": pl.Series(np.where(disabled & (group > 0), group, 0)).replace(0, None).cast(pl.Int8),
        "has_disability": disabled,
        "disability_since_childhood": disabled & (rng.random(total) < 0.4),
        "employment": employment,
        "gfss_participant": gfss,
        "monthly_income_kzt": income,
        "full_time_student": student,
        "awards": pl.Series([([a, b] if t else [a]) if p else [] for a, b, t, p in
                             zip(first_award, second_award, two, award_pick, strict=True)]
                            if total < 3_000_000 else _awards_fast(award_pick, two, first_award, second_award)),
        "avg_insured_income_12m_kzt": pl.Series(avg12, nan_to_null=True),
        "avg_insured_income_24m_kzt": pl.Series(avg24, nan_to_null=True),
        "insurance_record_months": pl.Series(record.astype(np.int32)).scatter(np.flatnonzero(record_null), None),
        "maternity_leave_days": pl.Series(mat_days.astype(np.int32)).scatter(np.flatnonzero(mat_null), None),
        "job_lost_on": pl.Series(lost).cast(pl.Date).scatter(np.flatnonzero(lost_null), None),
        "disability_cause": pl.Series(causes).scatter(np.flatnonzero(cause_null), None),
        "work_capacity_loss_pct": pl.Series(wcl_pct.astype(np.int16)).scatter(np.flatnonzero(~wcl), None),
        "work_capacity_loss_since": pl.Series(wcl_since).cast(pl.Date).scatter(np.flatnonzero(~wcl), None),
        "pension_record_years": pl.Series(record_years.astype(np.int16)).scatter(np.flatnonzero(record_years_null),
                                                                                   None),
        "professional_foster_parent": foster,
    }).with_columns(pl.col("awards").list.unique(maintain_order=True))
    fid = members.get_column("family_id").unique(maintain_order=True)

    medians = np.round(rng.uniform(50_000, 400_000, n), 2)
    median = np.where(rng.random(n) < 0.15, np.nan,
                      np.where(rng.random(n) < 0.5, money_arr[rng.integers(0, len(money_arr), n)] / 0.35, medians))
    loans = np.where(rng.random(n) < 0.6, 0.0,
                     np.where(rng.random(n) < 0.5, np.round(rng.uniform(0, 2_000_000, n)),
                              np.round(rng.uniform(0, 2_000_000, n), 3)))
    housed = rng.random(n) < 0.25
    costs = np.where(rng.random(n) < 0.5, rng.integers(0, 120_000, n).astype(np.float64),
                     np.round(rng.uniform(0, 120_000, n), 2))
    dwelling = np.array(model.DWELLINGS)[rng.integers(0, len(model.DWELLINGS), n)]
    families = pl.DataFrame({
        "family_id": fid,
        "region": np.array(model.REGIONS)[rng.integers(0, len(model.REGIONS), n)],
        "non_mortgage_outstanding": loans,
        "median_income_kzt": pl.Series(median, nan_to_null=True),
        "housing_costs_within_norms_kzt": pl.Series(np.where(housed, costs, np.nan), nan_to_null=True),
        "housing_dwelling": pl.Series(dwelling).scatter(np.flatnonzero(~housed), None),
    })

    has_dead = rng.random(n) < 0.12
    n_dead = np.where(has_dead, rng.integers(1, 3, n), 0)
    dfam = np.repeat(np.arange(n), n_dead)
    d = len(dfam)
    d_anchor = anchor_days[dfam]
    dod = np.where(rng.random(d) < 0.8, _months_back(d_anchor, rng.integers(0, 15, d), rng.integers(-1, 2, d)),
                   d_anchor + rng.integers(1, 60, d).astype("timedelta64[D]"))
    d_birth = d_anchor - rng.integers(20 * 365, 90 * 365, d).astype("timedelta64[D]")
    d_male = rng.random(d) < 0.5
    deceased = pl.DataFrame({
        "family_id": fid.to_numpy()[dfam] if d else pl.Series([], dtype=pl.String),
        "iin": iins(d_birth, d_male, 9000 + np.arange(d) % 900) if d else pl.Series([], dtype=pl.String),
        "relation": np.array(model.RELATIONS)[rng.choice(6, d, p=[.35, .35, .1, .1, .05, .05])],  # no stepchild, ward
        "date_of_death": pl.Series(dod).cast(pl.Date),
        "employment": np.array(model.EMPLOYMENTS)[rng.integers(0, len(model.EMPLOYMENTS), d)],
        "gfss_participant": rng.random(d) < 0.5,
        "received_benefit_or_pension": rng.random(d) < 0.5,
        "avg_insured_income_24m_kzt": pl.Series(np.where(rng.random(d) < 0.2, np.nan, np.where(
            rng.random(d) < 0.5, rng.integers(0, 900_000, d).astype(np.float64),
            np.round(rng.uniform(0, 900_000, d), 2))), nan_to_null=True),
        "insurance_record_months": pl.Series(np.where(rng.random(d) < 0.5, np.array(RECORD_MONTHS)[
            rng.integers(0, len(RECORD_MONTHS), d)], rng.integers(0, 300, d)).astype(np.int32)).scatter(
            np.flatnonzero(rng.random(d) < 0.15), None),
    }, schema=tables.DECEASED_SCHEMA)
    t = tables.prepare(families.lazy(), members.lazy(), deceased.lazy())
    return t, anchor_idx.astype(np.int64)


def _awards_fast(pick: npt.NDArray[np.bool_], two: npt.NDArray[np.bool_], a: npt.NDArray[np.str_],
                 b: npt.NDArray[np.str_]) -> pl.Series:
    """The awards lists for millions of rows without a Python loop."""
    first = pl.Series(a).to_frame("a").with_columns(b=pl.Series(b), pick=pl.Series(pick), two=pl.Series(two))
    return first.select(
        pl.when(pl.col("pick") & pl.col("two")).then(pl.concat_list("a", "b"))
        .when(pl.col("pick")).then(pl.concat_list("a"))
        .otherwise(pl.lit([], dtype=pl.List(pl.String)))
    ).to_series()
