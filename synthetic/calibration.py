"""The figures the synthetic population is calibrated to, with their sources and test tolerances.

A target is a share of people or of families, so it holds for a 100 k-family test sample as for the
full 6.3 million. `national` is the published (or assumed) count at full scale; `tolerance` is the
absolute difference in share the tests accept on a sample of 100 k families. Sources are the
reference's tags (`shared/reference/kz-social-benefits.md`, §9); "issue" is the project's issue 4;
ASSUMPTION marks a figure no source in the reference confirms (kept configurable here, never
presented as law or statistics).

The generator's own knobs (age bands, probabilities, wage levels) sit beside the code that uses
them; these targets are what those knobs were tuned to and what `familycard synth` reports.
"""

from __future__ import annotations

import dataclasses

FULL_FAMILIES = 6_300_000
FULL_PEOPLE = 20_000_000

# Per-capita monthly income below which a family counts as deeply poor (issue 4): the lowest
# regional АСП poverty line, 0.35 x the lowest assumed regional median of 100,000 (reference §2.3).
DEEP_POVERTY_KZT = 35_000.0
# The national subsistence minimum (PM) for 2026, reference §2.1 [S12]: the yardstick for the
# looser "about 5% of people" poor tail of issue 4 (a statistic here, not a benefit amount).
SUBSISTENCE_MINIMUM_KZT = 50_851.0


@dataclasses.dataclass(frozen=True)
class Target:
    """One calibrated figure: a share of people or families, its tolerance and its source."""

    name: str
    description: str
    per: str  # "people" or "families"
    share: float
    tolerance: float
    source: str

    @property
    def national(self) -> int:
        """The count this share gives at full scale (20 M people, 6.3 M families)."""
        return round(self.share * (FULL_PEOPLE if self.per == "people" else FULL_FAMILIES))


TARGETS: tuple[Target, ...] = (
    Target("pensioners", "people with employment 'pensioner' (men 63+, women 61+, not working)",
           "people", 2_400_000 / FULL_PEOPLE, 0.006, "issue; pension ages §2.4 [S54][S55]"),
    Target("disability", "people with an established disability (any group)",
           "people", 731_000 / FULL_PEOPLE, 0.0015, "issue"),
    Target("disabled_children", "children under 18 with a disability",
           "people", 100_000 / FULL_PEOPLE, 0.0008, "ASSUMPTION (about 100 thousand children)"),
    Target("births_12m", "children born in the 12 months before as_of",
           "people", 390_000 / FULL_PEOPLE, 0.0015, "issue (380-400 thousand births a year)"),
    Target("under_18", "people under 18",
           "people", 0.34, 0.02, "ASSUMPTION (about a third of the population)"),
    Target("large_families", "families with 4+ children under 18 or full-time students under 23",
           "families", 600_000 / FULL_FAMILIES, 0.008, "§3.3: about 603 thousand families [S99]"),
    Target("deep_poor_families", "families with per-capita income below 35,000 tenge",
           "families", 0.015, 0.002, "issue"),
    Target("below_subsistence_people", "people in families with per-capita income below the 2026 PM (50,851)",
           "people", 0.05, 0.015, "issue (about 5% of people); PM §2.1 [S12]"),
    Target("tsa_people", "people in families below the regional poverty line with no non-mortgage loan",
           "people", 340_000 / FULL_PEOPLE, 0.003,
           "issue; §3.7 volumes: 413.7 k people (2024), 292.7 k (2025) [S37]"),
    Target("awarded_mothers", "women holding an award (Altyn/Kumis alqa, Mother-heroine, Maternal glory)",
           "people", 290_000 / FULL_PEOPLE, 0.003, "ASSUMPTION (about 290 thousand awarded mothers)"),
    Target("working", "people employed or self-employed",
           "people", 9_100_000 / FULL_PEOPLE, 0.02, "ASSUMPTION (about 9.1 million employed)"),
    Target("unemployed", "people with employment 'unemployed'",
           "people", 450_000 / FULL_PEOPLE, 0.004, "ASSUMPTION (about 450 thousand unemployed)"),
    Target("gfss_participants", "participants of compulsory social insurance (ГФСС)",
           "people", 7_000_000 / FULL_PEOPLE, 0.03, "ASSUMPTION (about 7 million contributors)"),
    Target("recent_job_loss", "insured unemployed who lost their job in the last 6 months",
           "people", 120_000 / FULL_PEOPLE, 0.002,
           "ASSUMPTION, from §3.10: 354.2 k job-loss recipients in 2025 [S41], 1-6 months each"),
    Target("maternity_leave", "insured women with maternity leave days (126 or 140)",
           "people", 80_000 / FULL_PEOPLE, 0.0015,
           "ASSUMPTION: insured share of 390 k births x 140 days of leave a year"),
    Target("kandas", "people with citizenship 'kandas'",
           "people", 0.012, 0.004, "ASSUMPTION (small share)"),
    Target("resident_foreigners", "people with citizenship 'resident_foreigner'",
           "people", 0.008, 0.003, "ASSUMPTION (small share)"),
    Target("loans", "families with a non-mortgage loan outstanding",
           "families", 0.38, 0.02, "ASSUMPTION (consumer credit is widespread)"),
    Target("deceased", "deceased members recorded in the 12 months before as_of (per family)",
           "families", 400 / 100_000, 0.0015, "issue (a few hundred per 100 k families)"),
)  # fmt: skip

BY_NAME: dict[str, Target] = {t.name: t for t in TARGETS}

# People per family: 20 million in 6.3 million families (issue; >20 M and >6.2 M in [S70]).
PEOPLE_PER_FAMILY = FULL_PEOPLE / FULL_FAMILIES
PEOPLE_PER_FAMILY_TOLERANCE = 0.06
# A region's share of people may differ from `regions.Region.population_share` by this much.
REGION_SHARE_TOLERANCE = 0.004
