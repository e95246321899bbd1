"""Names for the vectorised population, drawn from the same pools as the Faker provider.

A family shares a surname (in its male or female form) and draws its names from the Kazakh or
the Russian pools (the regional share is `regions.Region.kk_names`); a Kazakh family writes its
patronymics the traditional way (-ұлы/-қызы) or the Russified way (-ович/-овна). Patronymics
follow kinship: children take the father's name when he lives in the family, the head and their
siblings take the name of the head's father, who is that name if he lives with them.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
import numpy.typing as npt
import polars as pl

from synthetic import names, regions
from synthetic.households import CHILD, HEAD, PARENT, SIBLING, Households

Ints = npt.NDArray[np.int64]
TRADITIONAL_PATRONYMIC = 0.35  # of Kazakh families


@dataclasses.dataclass(frozen=True)
class Pools:
    """The name pools laid out for gathering by index: Kazakh entries first, then Russian."""

    male: pl.Series
    female: pl.Series
    surnames: pl.Series  # male, female, male, female, ...
    patronymics: pl.Series  # per male name: traditional m/f, Russified m/f
    n_kk_male: int
    n_kk_female: int
    n_kk_surnames: int


@functools.cache
def pools() -> Pools:
    """Build the gather tables once per process."""
    male = names.KK_MALE + names.RU_MALE
    surnames = names.KK_SURNAMES_MALE + names.RU_SURNAMES_MALE
    patronymics: list[str] = []
    for name in names.KK_MALE:
        for style in ("traditional", "russified"):
            patronymics += [names.kazakh_patronymic(name, s, style) for s in ("male", "female")]
    for name in names.RU_MALE:
        patronymics += [names.russian_patronymic(name, s) for s in ("male", "female")] * 2
    return Pools(
        male=pl.Series(male, dtype=pl.Utf8),
        female=pl.Series(names.KK_FEMALE + names.RU_FEMALE, dtype=pl.Utf8),
        surnames=pl.Series([f for m in surnames for f in (m, names.female_surname(m))], dtype=pl.Utf8),
        patronymics=pl.Series(patronymics, dtype=pl.Utf8),
        n_kk_male=len(names.KK_MALE),
        n_kk_female=len(names.KK_FEMALE),
        n_kk_surnames=len(names.KK_SURNAMES_MALE),
    )


def _draw(rng: np.random.Generator, kk: npt.NDArray[np.bool_], n_kk: int, n_all: int) -> Ints:
    u = rng.random(len(kk))
    return np.where(kk, (u * n_kk).astype(np.int64), n_kk + (u * (n_all - n_kk)).astype(np.int64))


def assign(h: Households, rng: np.random.Generator) -> tuple[pl.Series, pl.Series, pl.Series]:
    """First names, surnames and patronymics of every member."""
    p = pools()
    n = h.n_families
    kk = rng.random(n) < regions.column("kk_names")[h.region]
    traditional = kk & (rng.random(n) < TRADITIONAL_PATRONYMIC)
    surname = _draw(rng, kk, p.n_kk_surnames, len(p.surnames) // 2)
    head_father = _draw(rng, kk, p.n_kk_male, len(p.male))

    member_kk = kk[h.fam]
    male_first = _draw(rng, member_kk, p.n_kk_male, len(p.male))
    female_first = _draw(rng, member_kk, p.n_kk_female, len(p.female))
    parent_father = (h.role == PARENT) & h.male
    male_first = np.where(parent_father, head_father[h.fam], male_first)

    father = _draw(rng, member_kk, p.n_kk_male, len(p.male))
    father = np.where(np.isin(h.role, (HEAD, SIBLING)), head_father[h.fam], father)
    family_father = h.father[h.fam]
    own_father = (h.role == CHILD) & (family_father >= 0)
    father = np.where(own_father, male_first[np.maximum(family_father, 0)], father)

    female = (~h.male).astype(np.int64)
    first = pl.select(
        pl.when(pl.Series(h.male)).then(p.male.gather(male_first)).otherwise(p.female.gather(female_first))
    ).to_series()
    last = p.surnames.gather(surname[h.fam] * 2 + female)
    patronymic = p.patronymics.gather(father * 4 + (~traditional[h.fam]) * 2 + female)
    return first.rename("first_name"), last.rename("last_name"), patronymic.rename("patronymic")
