"""Contract snapshots from the population tables, in memory (`rich`) or from Parquet files.

Both the rich generator and `parquet_to_snapshots` go through `frames_to_snapshots`, so a family
read back from Parquet is the same dict, field for field, as the one generated directly: that is
what lets the vectorised evaluator and the durable-rules engine be compared family by family.

Mapping: a member's `has_disability` false gives `"disability": null`; true gives
`{"group": disability_group, "since_childhood": ...}` with a null group for the youngest children.
Amounts are whole tenge, so they are written as integers; the optional ГФСС fields appear only
when the registry has them. Names are not part of the snapshot.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl

from synthetic import chunk

SNAPSHOT_BATCH = 50_000
_OPTIONAL = (
    "avg_insured_income_12m_kzt",
    "avg_insured_income_24m_kzt",
    "insurance_record_months",
    "maternity_leave_days",
    "job_lost_on",
    "work_capacity_loss_pct",
    "work_capacity_loss_since",
    "pension_record_years",
)
_MEMBER_COLUMNS = tuple(c for c in chunk.MEMBER_SCHEMA if c not in chunk.NAME_COLUMNS)


def _amount(value: float) -> int | float:
    return int(value) if float(value).is_integer() else float(value)


def _plain(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return _amount(value)
    return value


def _member(row: dict[str, Any]) -> dict[str, Any]:
    disability = None
    if row["has_disability"]:
        disability = {"group": row["disability_group"], "since_childhood": bool(row["disability_since_childhood"])}
        if row["disability_cause"] is not None:
            disability["cause"] = row["disability_cause"]
    out: dict[str, Any] = {
        "iin": row["iin"],
        "relation": row["relation"],
        "birth_date": row["birth_date"].isoformat(),
        "sex": row["sex"],
        "citizenship": row["citizenship"],
        "disability": disability,
        "employment": row["employment"],
        "gfss_participant": bool(row["gfss_participant"]),
        "monthly_income_kzt": _amount(row["monthly_income_kzt"]),
        "full_time_student": bool(row["full_time_student"]),
        "awards": list(row["awards"] or []),
    }
    for name in _OPTIONAL:
        if row[name] is not None:
            out[name] = _plain(row[name])
    if row["professional_foster_parent"]:
        out["professional_foster_parent"] = True
    return out


def _deceased(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "iin": row["iin"],
        "relation": row["relation"],
        "date_of_death": row["date_of_death"].isoformat(),
        "employment": row["employment"],
        "gfss_participant": bool(row["gfss_participant"]),
        "received_benefit_or_pension": bool(row["received_benefit_or_pension"]),
        **{k: _plain(row[k]) for k in ("avg_insured_income_24m_kzt", "insurance_record_months") if row[k] is not None},
    }


def frames_to_snapshots(
    families: pl.DataFrame, members: pl.DataFrame, deceased: pl.DataFrame
) -> Iterator[dict[str, Any]]:
    """One snapshot per family row; members must be contiguous per family, in family order."""
    dead: dict[str, list[dict[str, Any]]] = {}
    for row in deceased.iter_rows(named=True):
        dead.setdefault(row["family_id"], []).append(_deceased(row))
    rows = members.select(_MEMBER_COLUMNS).iter_rows(named=True)
    pending = next(rows, None)
    for fam in families.iter_rows(named=True):
        family_id = fam["family_id"]
        people: list[dict[str, Any]] = []
        while pending is not None and pending["family_id"] == family_id:
            people.append(_member(pending))
            pending = next(rows, None)
        if not people:
            raise ValueError(f"family {family_id}: no members (members must follow the families' order)")
        median = fam["median_income_kzt"]
        yield {
            "family_id": family_id,
            "region": fam["region"],
            "members": people,
            "loans": {"non_mortgage_outstanding": _amount(fam["non_mortgage_outstanding"])},
            "median_income_kzt": None if median is None else _amount(median),
            "deceased": dead.get(family_id, []),
            **({"housing": {"costs_within_norms_kzt": _amount(fam["housing_costs_within_norms_kzt"]),
                            "dwelling": fam["housing_dwelling"]}} if fam["housing_dwelling"] is not None else {}),
        }
    if pending is not None:
        raise ValueError(f"member of unknown family {pending['family_id']} (members must follow the families)")


def parquet_to_snapshots(pop_dir: Path, limit: int | None = None) -> Iterator[dict[str, Any]]:
    """The snapshots of a Parquet population written by `familycard synth`, in family order."""
    pop_dir = Path(pop_dir)
    paths = {name: pop_dir / f"{name}.parquet" for name in ("families", "members", "deceased")}
    for name, path in paths.items():
        if not path.is_file():
            raise FileNotFoundError(f"{path}: missing {name} table (not a `familycard synth` Parquet directory)")
    families = pl.scan_parquet(paths["families"])
    if limit is not None:
        families = families.head(limit)
    total = families.select(pl.len()).collect().item()
    for offset in range(0, total, SNAPSHOT_BATCH):
        batch = families.slice(offset, SNAPSHOT_BATCH).collect()
        first, last = batch["family_id"][0], batch["family_id"][-1]
        in_range = pl.col("family_id").is_between(pl.lit(first), pl.lit(last))
        members = pl.scan_parquet(paths["members"]).filter(in_range).collect()
        deceased = pl.scan_parquet(paths["deceased"]).filter(in_range).collect()
        yield from frames_to_snapshots(batch, members, deceased)
