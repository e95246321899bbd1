"""Names: the Kazakh Faker provider, Russian patronymics, and family-consistent vectorised names."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from synthetic import chunk, faker_provider, households, iins, names, naming, rich

KAZAKH_LETTERS = set("ӘәҒғҚқҢңӨөҰұҮүҺһІі")


def test_the_kazakh_provider_writes_traditional_patronymics_in_uly_and_qyzy():
    fake = faker_provider.make_faker(5)
    for _ in range(200):
        surname, given, patronymic = fake.kazakh_name("male", "traditional").split(" ")
        assert given in names.KK_MALE
        assert surname in names.KK_SURNAMES_MALE
        assert patronymic.endswith("ұлы")
        surname, given, patronymic = fake.kazakh_name("female", "traditional").split(" ")
        assert given in names.KK_FEMALE
        assert surname.endswith(("ова", "ева", "ина"))
        assert patronymic.endswith("қызы")


def test_the_kazakh_provider_writes_russified_patronymics_without_kazakh_letters():
    fake = faker_provider.make_faker(6)
    for _ in range(200):
        male = fake.kazakh_name("male", "russified").split(" ")[2]
        female = fake.kazakh_name("female", "russified").split(" ")[2]
        assert male.endswith(("ович", "евич")) and not KAZAKH_LETTERS & set(male)
        assert female.endswith(("овна", "евна")) and not KAZAKH_LETTERS & set(female)
    assert names.kazakh_patronymic("Нұрлан", "male", "russified") == "Нурланович"
    assert names.kazakh_patronymic("Абай", "female", "russified") == "Абаевна"
    assert names.kazakh_patronymic("Нұрлан", "female", "traditional") == "Нұрланқызы"


def test_kazakh_pools_are_kazakh_and_have_no_duplicates():
    for pool in (names.KK_MALE, names.KK_FEMALE, names.KK_SURNAMES_MALE):
        assert len(pool) == len(set(pool)) >= 80
    assert sum(1 for n in names.KK_MALE + names.KK_FEMALE if KAZAKH_LETTERS & set(n)) > 60


def test_russian_patronymics_follow_the_rules_and_faker_ru_ru():
    assert names.russian_patronymic("Иван", "male") == "Иванович"
    assert names.russian_patronymic("Иван", "female") == "Ивановна"
    assert names.russian_patronymic("Алексей", "male") == "Алексеевич"
    assert names.russian_patronymic("Игорь", "female") == "Игоревна"
    assert names.russian_patronymic("Михаил", "male") == "Михайлович"
    assert names.russian_patronymic("Илья", "female") == "Ильинична"
    assert names.russian_patronymic("Дмитрий", "male") == "Дмитриевич"
    assert len(names.RU_MALE) > 200


def test_the_same_faker_seed_gives_the_same_names_and_another_seed_others():
    a = [faker_provider.make_faker(9).kazakh_name("female") for _ in range(3)]
    b = [faker_provider.make_faker(9).kazakh_name("female") for _ in range(3)]
    c = [faker_provider.make_faker(10).kazakh_name("female") for _ in range(3)]
    assert a == b
    assert a != c


def test_vectorised_children_take_their_fathers_name_and_the_family_surname():
    part = chunk.generate(
        first_family=0, n=5000, seed=3, chunk_no=0, as_of=dt.date(2026, 3, 1), counter=iins.SerialCounter(), width=7
    )
    m = part.members
    fathers = m.filter(pl.col("relation").is_in(["head", "spouse"]) & (pl.col("sex") == "male")).select(
        "family_id", father=pl.col("first_name"), surname=pl.col("last_name")
    )
    children = m.filter(pl.col("relation") == "child").join(fathers, on="family_id")
    assert children.height > 1000
    table = naming.pools()
    expected: dict[str, set[str]] = {}  # a name in both pools (Тимур) may give either pool's forms
    for i, name in enumerate(table.male):
        expected.setdefault(name, set()).update(table.patronymics[4 * i : 4 * i + 4].to_list())
    for row in children.iter_rows(named=True):
        assert row["patronymic"] in expected[row["father"]], row
        if row["sex"] == "male":
            assert row["last_name"] == row["surname"]
        else:
            assert row["last_name"] == names.female_surname(row["surname"])
    kazakh = m.filter(pl.col("patronymic").str.ends_with("ұлы") | pl.col("patronymic").str.ends_with("қызы"))
    russian = m.filter(pl.col("patronymic").str.contains("(ович|евич|овна|евна|ич|ична)$"))
    assert kazakh.height > 0.1 * m.height
    assert russian.height > 0.4 * m.height
    assert kazakh.height + russian.height == m.height


def test_rich_names_cover_every_member_and_deceased_consistently():
    pairs = list(rich.generate_families_with_names(3000, 4, dt.date(2026, 3, 1)))
    assert any(s["deceased"] for s, _ in pairs)
    for snapshot, full_names in pairs:
        people = snapshot["members"] + snapshot["deceased"]
        assert set(full_names) == {p["iin"] for p in people}
        surnames = {full_names[m["iin"]].split(" ")[0].removesuffix("а") for m in snapshot["members"]}
        assert len(surnames) == 1, full_names
        head = next(m for m in snapshot["members"] if m["relation"] == "head")
        patronymic = full_names[head["iin"]].split(" ")[2]
        suffixes = ("ұлы", "ович", "евич", "ич") if head["sex"] == "male" else ("қызы", "овна", "евна", "ична")
        assert patronymic.endswith(suffixes)
    again = list(rich.generate_families_with_names(3000, 4, dt.date(2026, 3, 1)))
    assert again == pairs


def test_households_order_members_head_spouse_children_eldest_first_then_others():
    h = households.generate(3000, np.random.default_rng(2))
    for f in range(0, 3000, 7):
        roles = h.role[h.fam == f]
        ages = h.age_days[h.fam == f]
        assert roles[0] == households.HEAD
        assert list(roles) == sorted(roles)
        kids = ages[roles == households.CHILD]
        assert list(kids) == sorted(kids, reverse=True)
