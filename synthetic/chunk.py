"""One chunk of the synthetic population as three tables: families, members and deceased.

This is the single model behind both outputs: `vectorised` writes these tables to Parquet and
`rich` turns them into contract snapshots, so the two agree family by family for the same seed
and chunk size. A chunk's randomness comes from (seed, chunk number) alone; IINs come from a
`SerialCounter` carried from chunk to chunk, which keeps them unique across the population.
The column names and types are the Parquet schema other packages read (`SCHEMA_*`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator

import numpy as np
import numpy.typing as npt
import polars as pl

from engine import model
from synthetic import deaths, households, iins, incomes, legal, naming, people, regions

FAMILY_SCHEMA: dict[str, pl.DataType] = {
    "family_id": pl.Utf8(),
    "region": pl.Utf8(),
    "non_mortgage_outstanding": pl.Float64(),
    "median_income_kzt": pl.Float64(),
    "housing_costs_within_norms_kzt": pl.Float64(),
    "housing_dwelling": pl.Utf8(),
}
MEMBER_SCHEMA: dict[str, pl.DataType] = {
    "family_id": pl.Utf8(),
    "iin": pl.Utf8(),
    "relation": pl.Utf8(),
    "birth_date": pl.Date(),
    "sex": pl.Utf8(),
    "citizenship": pl.Utf8(),
    "disability_group": pl.Int8(),
    "has_disability": pl.Boolean(),
    "disability_since_childhood": pl.Boolean(),
    "employment": pl.Utf8(),
    "gfss_participant": pl.Boolean(),
    "monthly_income_kzt": pl.Float64(),
    "full_time_student": pl.Boolean(),
    "awards": pl.List(pl.Utf8()),
    "avg_insured_income_12m_kzt": pl.Float64(),
    "avg_insured_income_24m_kzt": pl.Float64(),
    "insurance_record_months": pl.Int32(),
    "maternity_leave_days": pl.Int32(),
    "job_lost_on": pl.Date(),
    "disability_cause": pl.Utf8(),
    "work_capacity_loss_pct": pl.Int16(),
    "work_capacity_loss_since": pl.Date(),
    "pension_record_years": pl.Int16(),
    "professional_foster_parent": pl.Boolean(),
    "first_name": pl.Utf8(),
    "last_name": pl.Utf8(),
    "patronymic": pl.Utf8(),
}
DECEASED_SCHEMA: dict[str, pl.DataType] = {
    "family_id": pl.Utf8(),
    "iin": pl.Utf8(),
    "relation": pl.Utf8(),
    "date_of_death": pl.Date(),
    "employment": pl.Utf8(),
    "gfss_participant": pl.Boolean(),
    "received_benefit_or_pension": pl.Boolean(),
    "avg_insured_income_24m_kzt": pl.Float64(),
    "insurance_record_months": pl.Int32(),
}
NAME_COLUMNS = ("first_name", "last_name", "patronymic")

Ints = npt.NDArray[np.int64]


@dataclasses.dataclass
class Chunk:
    """The three tables of one chunk, in schema order, members contiguous per family."""

    families: pl.DataFrame
    members: pl.DataFrame
    deceased: pl.DataFrame


def id_width(total_families: int) -> int:
    """Digits in a family id: seven ("FAM-0000001"), more for populations past ten million."""
    return max(7, len(str(total_families)))


def _family_ids(index: Ints, width: int) -> pl.Series:
    return ("FAM-" + pl.Series(index + 1, dtype=pl.Int64).cast(pl.Utf8).str.zfill(width)).rename("family_id")


def _labels(values: tuple[str, ...], codes: Ints) -> pl.Series:
    return pl.Series(values, dtype=pl.Utf8).gather(np.asarray(codes, dtype=np.int64))


def _dates(days: Ints, null: npt.NDArray[np.bool_] | None = None) -> pl.Series:
    s = pl.Series(np.asarray(days, dtype=np.int64).astype("datetime64[D]"))
    return s if null is None else s.scatter(np.flatnonzero(null), None)


def _nullable_int(values: Ints, dtype: pl.DataType) -> pl.Series:
    s = pl.Series(values, dtype=pl.Int64)
    return s.scatter(np.flatnonzero(values < 0), None).cast(dtype)


def _awards(codes: Ints) -> pl.Series:
    labels = pl.Series(("", *model.AWARDS), dtype=pl.Utf8).gather(codes)
    return pl.select(
        pl.when(pl.Series(codes) > 0).then(pl.concat_list(labels)).otherwise(pl.lit([], dtype=pl.List(pl.Utf8)))
    ).to_series()


CHUNK_FAMILIES = 400_000


def generate(
    *,
    first_family: int,
    n: int,
    seed: int,
    chunk_no: int,
    as_of: dt.date,
    counter: iins.SerialCounter,
    width: int,
    with_names: bool = True,
) -> Chunk:
    """Generate families `first_family` .. `first_family + n - 1` (0-based) as one chunk."""
    streams = np.random.SeedSequence([seed, chunk_no]).spawn(6)  # the sixth only for `legal`
    rng_h, rng_p, rng_i, rng_d, rng_n, rng_l = (np.random.default_rng(s) for s in streams)
    h = households.generate(n, rng_h)
    as_of_day = (as_of - dt.date(1970, 1, 1)).days
    birth_days = as_of_day - h.age_days
    st = people.assign(h, birth_days, as_of, rng_p)
    money = incomes.assign(h, st, rng_i)
    dead = deaths.generate(h, rng_d)
    lg = legal.assign(h, st.has_disability, st.since_childhood, st.gfss, dead.gfss, n, rng_l)

    member_iins = iins.numbers(birth_days, h.male, counter.ranks(birth_days, h.male))
    dead_birth = as_of_day - dead.age_days
    dead_iins = iins.numbers(dead_birth, dead.male, counter.ranks(dead_birth, dead.male))

    ids = _family_ids(first_family + np.arange(n), width)
    families = pl.DataFrame(
        {
            "family_id": ids,
            "region": _labels(regions.CODES, h.region),
            "non_mortgage_outstanding": money.loans,
            "median_income_kzt": money.median_income,
            "housing_costs_within_norms_kzt": pl.Series(lg.housing_costs, nan_to_null=True),
            "housing_dwelling": _labels(("", *model.DWELLINGS), lg.dwelling + 1).set(
                pl.Series(lg.dwelling < 0), None),
        },
        schema=FAMILY_SCHEMA,
    )
    columns: dict[str, pl.Series | npt.NDArray[np.generic]] = {
        "family_id": ids.gather(h.fam),
        "iin": iins.to_strings(member_iins),
        "relation": _labels(households.ROLE_NAMES, h.role).set(pl.Series(lg.ward), "ward"),
        "birth_date": _dates(birth_days),
        "sex": _labels(("female", "male"), h.male.astype(np.int64)),
        "citizenship": _labels(model.CITIZENSHIPS, st.citizenship),
        "disability_group": _nullable_int(np.where(st.disability_group > 0, st.disability_group, -1), pl.Int8()),
        "has_disability": st.has_disability,
        "disability_since_childhood": st.since_childhood,
        "employment": _labels(model.EMPLOYMENTS, st.employment),
        "gfss_participant": st.gfss,
        "monthly_income_kzt": money.income,
        "full_time_student": st.full_time_student,
        "awards": _awards(st.award),
        "avg_insured_income_12m_kzt": pl.Series(money.avg_12m, nan_to_null=True),
        "avg_insured_income_24m_kzt": pl.Series(money.avg_24m, nan_to_null=True),
        "insurance_record_months": _nullable_int(st.insurance_months, pl.Int32()),
        "maternity_leave_days": _nullable_int(st.maternity_days, pl.Int32()),
        "job_lost_on": _dates(as_of_day - st.job_lost_days_ago, st.job_lost_days_ago < 0),
        "disability_cause": _labels(("", *model.CAUSES), lg.cause + 1).set(pl.Series(lg.cause < 0), None),
        "work_capacity_loss_pct": _nullable_int(lg.wcl_pct, pl.Int16()),
        "work_capacity_loss_since": _dates(as_of_day - lg.wcl_days_ago, lg.wcl_days_ago < 0),
        "pension_record_years": _nullable_int(lg.record_years, pl.Int16()),
        "professional_foster_parent": lg.foster_parent,
    }
    if with_names:
        first, last, patronymic = naming.assign(h, rng_n)
    else:
        first = last = patronymic = pl.repeat(None, len(h.fam), dtype=pl.Utf8, eager=True)
    columns.update({"first_name": first, "last_name": last, "patronymic": patronymic})
    members = pl.DataFrame(columns, schema=MEMBER_SCHEMA)
    deceased = pl.DataFrame(
        {
            "family_id": ids.gather(dead.fam),
            "iin": iins.to_strings(dead_iins),
            "relation": _labels(households.ROLE_NAMES, dead.role),
            "date_of_death": _dates(as_of_day - dead.days_ago),
            "employment": _labels(model.EMPLOYMENTS, dead.employment),
            "gfss_participant": dead.gfss,
            "received_benefit_or_pension": dead.received_benefit,
            "avg_insured_income_24m_kzt": pl.Series(lg.dead_avg_24m, nan_to_null=True),
            "insurance_record_months": _nullable_int(lg.dead_record, pl.Int32()),
        },
        schema=DECEASED_SCHEMA,
    )
    return Chunk(families=families, members=members, deceased=deceased)


def iter_chunks(
    n_families: int, seed: int, as_of: dt.date, chunk_families: int = CHUNK_FAMILIES, with_names: bool = True
) -> Iterator[Chunk]:
    """The population's chunks in order; the same arguments give the same chunks."""
    if n_families < 0 or chunk_families <= 0:
        raise ValueError("n_families must be >= 0 and chunk_families > 0")
    counter = iins.SerialCounter()
    width = id_width(n_families)
    for chunk_no, first in enumerate(range(0, n_families, chunk_families)):
        yield generate(
            first_family=first,
            n=min(chunk_families, n_families - first),
            seed=seed,
            chunk_no=chunk_no,
            as_of=as_of,
            counter=counter,
            width=width,
            with_names=with_names,
        )
