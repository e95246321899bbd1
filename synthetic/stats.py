"""Counting a generated population against the calibration targets, chunk by chunk.

`familycard synth` prints these counts as its summary; they are computed from the same tables
that are written, with plain polars expressions, so a reader can check each definition here
against `calibration.TARGETS`. (The tests count again, independently, from the written files.)
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import polars as pl

from synthetic import calibration, regions

POVERTY_LINE_SHARE = 0.35  # of the regional median income (order No. 473, reference §2.3)


def age_expr(as_of: dt.date, column: str = "birth_date") -> pl.Expr:
    """Completed years on `as_of` of the date in `column`."""
    born = pl.col(column)
    later_in_year = (born.dt.month() > as_of.month) | ((born.dt.month() == as_of.month) & (born.dt.day() > as_of.day))
    return pl.lit(as_of.year) - born.dt.year().cast(pl.Int32) - later_in_year.cast(pl.Int32)


def months_before(as_of: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months earlier (clamped to the month's end)."""
    total = as_of.year * 12 + as_of.month - 1 - months
    year, month = divmod(total, 12)
    for day in (as_of.day, 30, 29, 28):
        try:
            return dt.date(year, month + 1, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def chunk_counts(
    families: pl.DataFrame, members: pl.DataFrame, deceased: pl.DataFrame, as_of: dt.date
) -> dict[str, int]:
    """The numerator of every target (and the denominators) for one chunk.

    Members are contiguous per family and in the families' order, so a run id numbers each
    member's family without a join (this runs on every chunk of a 20-million-person run).
    """
    age = age_expr(as_of)
    year_ago = months_before(as_of, 12)
    half_year_ago = months_before(as_of, 6)
    counted_child = (pl.col("relation") == "child") & ((age < 18) | ((age < 23) & pl.col("full_time_student")))
    per_member = members.select(
        fam=pl.col("family_id").rle_id(),
        income=pl.col("monthly_income_kzt"),
        kid=counted_child,
    )
    fam = per_member["fam"].to_numpy()
    if len(fam) and int(fam[-1]) + 1 != families.height:
        raise ValueError("members are not contiguous per family in the families' order")
    size = np.bincount(fam, minlength=families.height)
    per_capita = np.bincount(fam, weights=per_member["income"].to_numpy(), minlength=families.height) / size
    kids = np.bincount(fam, weights=per_member["kid"].to_numpy().astype(np.float64), minlength=families.height)
    median = families["median_income_kzt"].fill_null(0.0).to_numpy()
    no_loan = families["non_mortgage_outstanding"].to_numpy() == 0
    below_line = per_capita < POVERTY_LINE_SHARE * median
    row = members.select(
        people=pl.len(),
        pensioners=(pl.col("employment") == "pensioner").sum(),
        disability=pl.col("has_disability").sum(),
        disabled_children=(pl.col("has_disability") & (age < 18)).sum(),
        births_12m=(pl.col("birth_date") > year_ago).sum(),
        under_18=(age < 18).sum(),
        awarded_mothers=(pl.col("awards").list.len() > 0).sum(),
        working=pl.col("employment").is_in(["employed", "self_employed"]).sum(),
        unemployed=(pl.col("employment") == "unemployed").sum(),
        gfss_participants=pl.col("gfss_participant").sum(),
        recent_job_loss=(
            (pl.col("employment") == "unemployed")
            & pl.col("gfss_participant")
            & (pl.col("job_lost_on") >= half_year_ago)
        ).sum(),
        maternity_leave=pl.col("maternity_leave_days").is_not_null().sum(),
        kandas=(pl.col("citizenship") == "kandas").sum(),
        resident_foreigners=(pl.col("citizenship") == "resident_foreigner").sum(),
    ).row(0, named=True)
    counts = {
        **row,
        "families": families.height,
        "large_families": int((kids >= 4).sum()),
        "deep_poor_families": int((per_capita < calibration.DEEP_POVERTY_KZT).sum()),
        "below_subsistence_people": int(size[per_capita < calibration.SUBSISTENCE_MINIMUM_KZT].sum()),
        "tsa_people": int(size[below_line & no_loan].sum()),
        "loans": int((~no_loan).sum()),
        "deceased": deceased.height,
    }
    people_by_region = (
        families.select("region").with_columns(size=pl.Series(size)).group_by("region").agg(pl.col("size").sum())
    )
    for code, n in people_by_region.iter_rows():
        counts[f"region:{code}"] = n
    return {k: int(v or 0) for k, v in counts.items()}


@dataclasses.dataclass
class Tally:
    """Counts summed over chunks, reported against the targets."""

    counts: dict[str, int] = dataclasses.field(default_factory=dict)

    def add(self, counts: dict[str, int]) -> None:
        """Add one chunk's counts."""
        for k, v in counts.items():
            self.counts[k] = self.counts.get(k, 0) + v

    def share(self, name: str) -> float:
        """A target's share in the population counted so far."""
        target = calibration.BY_NAME[name]
        denominator = self.counts.get(target.per, 0)
        return self.counts.get(name, 0) / denominator if denominator else 0.0

    def lines(self) -> list[str]:
        """A readable table: each target's share here, its target and tolerance, and its source."""
        people, families = self.counts.get("people", 0), self.counts.get("families", 0)
        out = [
            f"families {families:,}  people {people:,}  deceased {self.counts.get('deceased', 0):,}",
            f"people per family {people / max(1, families):.3f} (target {calibration.PEOPLE_PER_FAMILY:.3f}"
            f" ± {calibration.PEOPLE_PER_FAMILY_TOLERANCE})",
            f"{'target':<26}{'here':>9}{'count':>11}{'target':>9}{'±':>7}  at 20 M people / 6.3 M families",
        ]
        for t in calibration.TARGETS:
            here = self.share(t.name)
            flag = "" if abs(here - t.share) <= t.tolerance else "  << outside tolerance"
            scale = calibration.FULL_PEOPLE if t.per == "people" else calibration.FULL_FAMILIES
            out.append(
                f"{t.name:<26}{here:>9.4f}{self.counts.get(t.name, 0):>11,}{t.share:>9.4f}{t.tolerance:>7.4f}"
                f"  ~{round(here * scale):,} (target {t.national:,}){flag}"
            )
        worst = max(
            (abs(self.counts.get(f"region:{r.code}", 0) / max(1, people) - r.population_share), r.code)
            for r in regions.REGIONS
        )
        out.append(
            f"largest regional share gap {worst[0]:.4f} ({worst[1]}; tolerance {calibration.REGION_SHARE_TOLERANCE})"
        )
        return out
