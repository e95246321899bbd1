"""The population as three tables, the shape `familycard synth` writes to Parquet.

`families.parquet` (one row per family), `members.parquet` (one row per person, in the order of
the snapshot's `members` list) and `deceased.parquet` (the civil registry's deaths). The columns
are the contract snapshot flattened: a member's `disability` becomes `has_disability`,
`disability_group` and `disability_since_childhood`; the family's loans become
`non_mortgage_outstanding`. Names may be present and are never read.

Member order matters (the carer is the first parent who qualifies), so every member row carries
`pos`, its row number in the file, before any filtering or partitioning.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from engine import model

REGION = pl.Enum(list(model.REGIONS))

FAMILY_SCHEMA: dict[str, Any] = {
    "family_id": pl.String,
    "region": pl.String,
    "non_mortgage_outstanding": pl.Float64,
    "median_income_kzt": pl.Float64,
    "housing_costs_within_norms_kzt": pl.Float64,
    "housing_dwelling": pl.String,
}
MEMBER_SCHEMA: dict[str, Any] = {
    "family_id": pl.String,
    "iin": pl.String,
    "relation": pl.String,
    "birth_date": pl.Date,
    "sex": pl.String,
    "citizenship": pl.String,
    "disability_group": pl.Int8,
    "has_disability": pl.Boolean,
    "disability_since_childhood": pl.Boolean,
    "employment": pl.String,
    "gfss_participant": pl.Boolean,
    "monthly_income_kzt": pl.Float64,
    "full_time_student": pl.Boolean,
    "awards": pl.List(pl.String),
    "avg_insured_income_12m_kzt": pl.Float64,
    "avg_insured_income_24m_kzt": pl.Float64,
    "insurance_record_months": pl.Int32,
    "maternity_leave_days": pl.Int32,
    "job_lost_on": pl.Date,
    "disability_cause": pl.String,
    "work_capacity_loss_pct": pl.Int16,
    "work_capacity_loss_since": pl.Date,
    "pension_record_years": pl.Int16,
    "professional_foster_parent": pl.Boolean,
}
DECEASED_SCHEMA: dict[str, Any] = {
    "family_id": pl.String,
    "iin": pl.String,
    "relation": pl.String,
    "date_of_death": pl.Date,
    "employment": pl.String,
    "gfss_participant": pl.Boolean,
    "received_benefit_or_pension": pl.Boolean,
    "avg_insured_income_24m_kzt": pl.Float64,
    "insurance_record_months": pl.Int32,
}
FILES = {"families": "families.parquet", "members": "members.parquet", "deceased": "deceased.parquet"}


class PopulationError(ValueError):
    """The population files are missing, malformed or inconsistent; the message names the field."""


@dataclass
class Tables:
    """Families, members (with `pos`, the row number in the file) and deceased, validated."""

    families: pl.DataFrame
    members: pl.DataFrame
    deceased: pl.DataFrame

    @property
    def n_families(self) -> int:
        """Number of families."""
        return self.families.height


# Fields the snapshot model lets a registry omit, with the model's default.
DEFAULTS: dict[str, dict[str, Any]] = {
    "families": {"non_mortgage_outstanding": 0.0},
    "members": {"has_disability": False, "disability_since_childhood": False, "full_time_student": False,
                "awards": [], "professional_foster_parent": False},
    "deceased": {"employment": "none", "gfss_participant": False, "received_benefit_or_pension": False},
}


# Columns added with issue 13 (legal depth): a population written before them reads as "not on record".
LATER_COLUMNS = frozenset({
    "housing_costs_within_norms_kzt", "housing_dwelling", "disability_cause", "work_capacity_loss_pct",
    "work_capacity_loss_since", "pension_record_years", "professional_foster_parent", "avg_insured_income_24m_kzt",
    "insurance_record_months",
})


def _typed(lf: pl.LazyFrame, schema: dict[str, Any], what: str) -> pl.LazyFrame:
    names = lf.collect_schema().names()
    later = [c for c in schema if c not in names and c in LATER_COLUMNS]
    if later:
        lf = lf.with_columns([pl.lit(None, dtype=schema[c]).alias(c) for c in later])
        names = [*names, *later]
    missing = [c for c in schema if c not in names]
    if missing:
        raise PopulationError(f"{what}: missing column(s) {', '.join(missing)}")
    defaults = DEFAULTS.get(what, {})
    exprs = []
    for col, dtype in schema.items():
        e = pl.col(col).cast(dtype, strict=True)
        if col in defaults:
            e = e.fill_null(pl.lit(defaults[col], dtype=dtype))
        exprs.append(e)
    return lf.select(exprs)


def _collect(lf: pl.LazyFrame, what: str) -> pl.DataFrame:
    try:
        return lf.collect()
    except (pl.exceptions.InvalidOperationError, pl.exceptions.ComputeError,
            pl.exceptions.SchemaError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise PopulationError(f"{what}: {first}") from None


def prepare(families: pl.LazyFrame, members: pl.LazyFrame, deceased: pl.LazyFrame,
            family_range: tuple[str, str] | None = None) -> Tables:
    """Type-check and validate the three tables and number member rows (`pos`), keeping only
    the families whose id lies in `family_range` (inclusive) when one is given."""
    members = members.with_row_index("pos")
    fam = _typed(families, FAMILY_SCHEMA, "families")
    mem = _typed(members, {"pos": pl.UInt32, **MEMBER_SCHEMA}, "members")
    dec = _typed(deceased, DECEASED_SCHEMA, "deceased")
    if family_range is not None:
        flt = pl.col("family_id").is_between(pl.lit(family_range[0]), pl.lit(family_range[1]))
        fam, mem, dec = fam.filter(flt), mem.filter(flt), dec.filter(flt)
    t = Tables(_collect(fam, "families"), _collect(mem, "members"), _collect(dec, "deceased"))
    validate(t)
    return t


MAX_KZT = 1e12  # the snapshot model's limit on any amount
# (table, rule name, violation expression): every value the snapshot model would refuse.
_RULES: list[tuple[str, str, pl.Expr]] = [
    ("families", "family_id", pl.col("family_id").is_null()),
    ("families", "region", ~pl.col("region").is_in(list(model.REGIONS)) | pl.col("region").is_null()),
    *[("families", c, pl.col(c).is_nan() | (pl.col(c) < 0) | (pl.col(c) > MAX_KZT))
      for c in ("non_mortgage_outstanding", "median_income_kzt")],
    ("members", "family_id", pl.col("family_id").is_null()),
    ("members", "iin", (pl.col("iin").str.len_bytes() != 12) | pl.col("iin").str.starts_with("-")
     | pl.col("iin").cast(pl.Int64, strict=False).is_null()),
    ("members", "birth_date", pl.col("birth_date").is_null()),
    *[("members", c, ~pl.col(c).is_in(list(allowed)).fill_null(False))
      for c, allowed in (("relation", model.RELATIONS), ("sex", ("male", "female")),
                         ("citizenship", model.CITIZENSHIPS), ("employment", model.EMPLOYMENTS))],
    ("members", "disability_group", ~pl.col("disability_group").is_in([1, 2, 3]).fill_null(True)),
    *[("members", c, pl.col(c).is_null()) for c in ("has_disability", "gfss_participant", "monthly_income_kzt")],
    *[("members", c, pl.col(c).is_nan() | (pl.col(c) < 0) | (pl.col(c) > MAX_KZT))
      for c in ("monthly_income_kzt", "avg_insured_income_12m_kzt", "avg_insured_income_24m_kzt")],
    ("members", "insurance_record_months", ~pl.col("insurance_record_months").is_between(0, 900).fill_null(True)),
    ("members", "maternity_leave_days", ~pl.col("maternity_leave_days").is_between(0, 366).fill_null(True)),
    ("members", "awards", pl.col("awards").list.len().fill_null(0) > 5),
    ("members", "disability_cause", ~pl.col("disability_cause").is_in(list(model.CAUSES)).fill_null(True)),
    ("members", "work_capacity_loss_pct", ~pl.col("work_capacity_loss_pct").is_between(30, 100).fill_null(True)),
    ("members", "pension_record_years", ~pl.col("pension_record_years").is_between(0, 80).fill_null(True)),
    ("families", "housing_dwelling", ~pl.col("housing_dwelling").is_in(list(model.DWELLINGS)).fill_null(True)),
    ("families", "housing_costs_within_norms_kzt",
     pl.col("housing_costs_within_norms_kzt").is_nan() | (pl.col("housing_costs_within_norms_kzt") < 0)
     | (pl.col("housing_costs_within_norms_kzt") > MAX_KZT)
     | (pl.col("housing_costs_within_norms_kzt").is_null() != pl.col("housing_dwelling").is_null())),
    ("deceased", "avg_insured_income_24m_kzt", pl.col("avg_insured_income_24m_kzt").is_nan()
     | (pl.col("avg_insured_income_24m_kzt") < 0) | (pl.col("avg_insured_income_24m_kzt") > MAX_KZT)),
    ("deceased", "insurance_record_months", ~pl.col("insurance_record_months").is_between(0, 900).fill_null(True)),
    ("deceased", "family_id", pl.col("family_id").is_null()),
    ("deceased", "date_of_death", pl.col("date_of_death").is_null()),
    *[("deceased", c, ~pl.col(c).is_in(list(model.RELATIONS if c == "relation" else model.EMPLOYMENTS))
       .fill_null(False)) for c in ("relation", "employment")],
]


def validate(t: Tables) -> None:
    """Refuse what the snapshot model would refuse; the error names the column and a family."""
    frames = {"families": t.families, "members": t.members, "deceased": t.deceased}
    for table, frame in frames.items():
        rules = [(name, e) for tbl, name, e in _RULES if tbl == table]
        if frame.height == 0 or not rules:
            continue
        hits = frame.select([e.fill_null(False).any().alias(str(i)) for i, (_, e) in enumerate(rules)]).row(0)
        for (name, e), hit in zip(rules, hits, strict=True):
            if hit:
                bad = frame.filter(e.fill_null(False)).row(0, named=True)
                raise PopulationError(f"{table}.{name}: invalid value {bad[name]!r} (family {bad['family_id']!r})")
    awards = t.members.select(pl.col("awards").explode().drop_nulls().unique()).to_series().to_list()
    unknown = sorted(set(awards) - set(model.AWARDS))
    if unknown:
        raise PopulationError(f"members.awards: unknown award {unknown[0]!r}")



def read_parquet(directory: str | Path, family_range: tuple[str, str] | None = None) -> Tables:
    """Read a population directory (families/members/deceased Parquet), optionally only the
    families whose id lies in `family_range` (inclusive)."""
    root = Path(directory)
    frames: dict[str, pl.LazyFrame] = {}
    for key, name in FILES.items():
        path = root / name
        if not path.exists():
            if key == "deceased":
                frames[key] = pl.LazyFrame(schema=DECEASED_SCHEMA)
                continue
            raise PopulationError(f"{path}: not found (expected the Parquet output of `familycard synth`)")
        frames[key] = pl.scan_parquet(path)
    return prepare(frames["families"], frames["members"], frames["deceased"], family_range)


def write_parquet(tables: Tables, directory: str | Path) -> None:
    """Write the tables as a population directory (the layout `familycard synth` writes)."""
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    tables.families.write_parquet(root / FILES["families"])
    tables.members.drop("pos", strict=False).write_parquet(root / FILES["members"])
    tables.deceased.write_parquet(root / FILES["deceased"])


def from_snapshots(families: Iterable[model.Family]) -> Tables:
    """The tables for validated snapshots (members in snapshot order)."""
    fam_rows: list[dict[str, Any]] = []
    mem_rows: list[dict[str, Any]] = []
    dec_rows: list[dict[str, Any]] = []
    for f in families:
        h = f.housing
        fam_rows.append({"family_id": f.family_id, "region": f.region,
                         "non_mortgage_outstanding": f.loans.non_mortgage_outstanding,
                         "median_income_kzt": f.median_income_kzt,
                         "housing_costs_within_norms_kzt": h.costs_within_norms_kzt if h is not None else None,
                         "housing_dwelling": h.dwelling if h is not None else None})
        for m in f.members:
            d = m.disability
            mem_rows.append({
                "family_id": f.family_id, "iin": m.iin, "relation": m.relation, "birth_date": m.birth_date,
                "sex": m.sex, "citizenship": m.citizenship,
                "disability_group": d.group if d is not None else None,
                "has_disability": d is not None, "disability_since_childhood": bool(d and d.since_childhood),
                "employment": m.employment, "gfss_participant": m.gfss_participant,
                "monthly_income_kzt": m.monthly_income_kzt, "full_time_student": m.full_time_student,
                "awards": list(m.awards), "avg_insured_income_12m_kzt": m.avg_insured_income_12m_kzt,
                "avg_insured_income_24m_kzt": m.avg_insured_income_24m_kzt,
                "insurance_record_months": m.insurance_record_months,
                "maternity_leave_days": m.maternity_leave_days, "job_lost_on": m.job_lost_on,
                "disability_cause": d.cause if d is not None else None,
                "work_capacity_loss_pct": m.work_capacity_loss_pct,
                "work_capacity_loss_since": m.work_capacity_loss_since,
                "pension_record_years": m.pension_record_years,
                "professional_foster_parent": m.professional_foster_parent,
            })
        for x in f.deceased:
            dec_rows.append({"family_id": f.family_id, "iin": x.iin, "relation": x.relation,
                             "date_of_death": x.date_of_death, "employment": x.employment,
                             "gfss_participant": x.gfss_participant,
                             "received_benefit_or_pension": x.received_benefit_or_pension,
                             "avg_insured_income_24m_kzt": x.avg_insured_income_24m_kzt,
                             "insurance_record_months": x.insurance_record_months})
    return prepare(pl.LazyFrame(fam_rows, schema=FAMILY_SCHEMA), pl.LazyFrame(mem_rows, schema=MEMBER_SCHEMA),
                   pl.LazyFrame(dec_rows, schema=DECEASED_SCHEMA))


def _iso(v: dt.date | None) -> str | None:
    return v.isoformat() if v is not None else None


def to_snapshots(tables: Tables) -> Iterator[dict[str, Any]]:
    """Contract snapshots (dicts) for every family, members in `pos` order."""
    members: dict[str, list[dict[str, Any]]] = {}
    for r in tables.members.sort("pos").iter_rows(named=True):
        m: dict[str, Any] = {
            "iin": r["iin"], "relation": r["relation"], "birth_date": _iso(r["birth_date"]), "sex": r["sex"],
            "citizenship": r["citizenship"],
            "disability": ({"group": r["disability_group"], "since_childhood": bool(r["disability_since_childhood"]),
                            **({"cause": r["disability_cause"]} if r["disability_cause"] is not None else {})}
                           if r["has_disability"] else None),
            "employment": r["employment"], "gfss_participant": bool(r["gfss_participant"]),
            "monthly_income_kzt": r["monthly_income_kzt"], "full_time_student": bool(r["full_time_student"]),
            "awards": list(r["awards"] or []),
        }
        for opt in ("avg_insured_income_12m_kzt", "avg_insured_income_24m_kzt", "insurance_record_months",
                    "maternity_leave_days"):
            if r[opt] is not None:
                m[opt] = r[opt]
        if r["job_lost_on"] is not None:
            m["job_lost_on"] = _iso(r["job_lost_on"])
        for opt in ("work_capacity_loss_pct", "pension_record_years"):
            if r[opt] is not None:
                m[opt] = r[opt]
        if r["work_capacity_loss_since"] is not None:
            m["work_capacity_loss_since"] = _iso(r["work_capacity_loss_since"])
        if r["professional_foster_parent"]:
            m["professional_foster_parent"] = True
        members.setdefault(r["family_id"], []).append(m)
    deceased: dict[str, list[dict[str, Any]]] = {}
    for r in tables.deceased.iter_rows(named=True):
        deceased.setdefault(r["family_id"], []).append({
            "iin": r["iin"], "relation": r["relation"], "date_of_death": _iso(r["date_of_death"]),
            "employment": r["employment"], "gfss_participant": bool(r["gfss_participant"]),
            "received_benefit_or_pension": bool(r["received_benefit_or_pension"]),
            **{k: r[k] for k in ("avg_insured_income_24m_kzt", "insurance_record_months") if r[k] is not None},
        })
    for r in tables.families.iter_rows(named=True):
        fid = r["family_id"]
        yield {"family_id": fid, "region": r["region"], "members": members.get(fid, []),
               "loans": {"non_mortgage_outstanding": r["non_mortgage_outstanding"] or 0.0},
               "median_income_kzt": r["median_income_kzt"], "deceased": deceased.get(fid, []),
               **({"housing": {"costs_within_norms_kzt": r["housing_costs_within_norms_kzt"],
                               "dwelling": r["housing_dwelling"]}} if r["housing_dwelling"] is not None else {})}
