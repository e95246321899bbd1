"""Rich synthetic families: contract snapshots, with Faker names beside them, for fixtures and the bus.

The snapshots are the same model's (`chunk`), so `generate_families(n, seed, as_of)` equals
`snapshots.parquet_to_snapshots` of `familycard synth --families n --seed seed` family for family.
The snapshot has no name fields (the contract forbids unknown fields), so names travel beside it:
`generate_families_with_names` yields `(snapshot, {iin: "Surname Given Patronymic"})`, the names
drawn through Faker (ru_RU plus `faker_provider.KazakhNameProvider`), seeded by the same seed.
Family members share a surname; children take their father's name as patronymic when he lives
with them, and the head and siblings take the name of the head's father.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from faker import Faker

from synthetic import chunk, faker_provider, naming, regions, snapshots

_KK_SHARE = {r.code: r.kk_names for r in regions.REGIONS}


def generate_families(
    n: int, seed: int, as_of: dt.date, chunk_families: int = chunk.CHUNK_FAMILIES
) -> Iterator[dict[str, Any]]:
    """`n` contract snapshots (dicts `engine.model.Family.model_validate` accepts), in family order."""
    for part in chunk.iter_chunks(n, seed, as_of, chunk_families, with_names=False):
        yield from snapshots.frames_to_snapshots(part.families, part.members, part.deceased)


def generate_families_with_names(
    n: int, seed: int, as_of: dt.date, chunk_families: int = chunk.CHUNK_FAMILIES
) -> Iterator[tuple[dict[str, Any], dict[str, str]]]:
    """Each snapshot with the full names of its members and deceased, keyed by IIN."""
    fake = faker_provider.make_faker(seed)
    for snapshot in generate_families(n, seed, as_of, chunk_families):
        yield snapshot, family_names(snapshot, fake)


def family_names(snapshot: dict[str, Any], fake: Faker) -> dict[str, str]:
    """Names for everyone in a snapshot, consistent within the family."""
    kazakh = fake.random.random() < _KK_SHARE[snapshot["region"]]
    style = "traditional" if kazakh and fake.random.random() < naming.TRADITIONAL_PATRONYMIC else "russified"
    surname_m, surname_f = fake.kazakh_last_names() if kazakh else fake.russian_last_names()

    def father_name() -> str:
        return str(fake.kazakh_first_name_male() if kazakh else fake.russian_father_name())

    def first_name(sex: str, may_be_father: bool) -> str:
        if kazakh:
            return str(fake.kazakh_first_name(sex))
        if sex == "female":
            return str(fake.first_name_female())
        return father_name() if may_be_father else str(fake.first_name_male())

    def patronymic(father: str, sex: str) -> str:
        if kazakh:
            return str(fake.kazakh_patronymic(father, sex, style))
        return str(fake.russian_patronymic(father, sex))

    head_father = father_name()
    people = snapshot["members"]
    given = {}
    for m in people:
        if m["relation"] == "parent" and m["sex"] == "male":
            given[m["iin"]] = head_father
        else:
            given[m["iin"]] = first_name(m["sex"], m["relation"] in ("head", "spouse"))
    family_father = next(
        (given[m["iin"]] for m in people if m["relation"] in ("head", "spouse") and m["sex"] == "male"), None
    )
    out: dict[str, str] = {}
    for m in people:
        if m["relation"] in ("head", "sibling"):
            father = head_father
        elif m["relation"] == "child" and family_father is not None:
            father = family_father
        else:
            father = father_name()
        surname = surname_m if m["sex"] == "male" else surname_f
        out[m["iin"]] = f"{surname} {given[m['iin']]} {patronymic(father, m['sex'])}"
    for d in snapshot.get("deceased", []):
        # The deceased record carries no sex; the IIN's seventh digit is odd for men (§1.1).
        sex = "male" if int(d["iin"][6]) % 2 else "female"
        father = father_name()
        surname = surname_m if sex == "male" else surname_f
        out[d["iin"]] = f"{surname} {first_name(sex, False)} {patronymic(father, sex)}"
    return out
