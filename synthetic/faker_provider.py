"""A Faker provider for Kazakh names, used beside Faker's ru_RU (Faker has no Kazakhstan locale).

Add it to a `Faker("ru_RU")`: Russian names keep coming from ru_RU's own methods, Kazakh ones
from the `kazakh_*` methods here, and `russian_patronymic` gives ru_RU fathers' names a
patronymic consistent with the family. All of them draw from the pools in `names`.
"""

from __future__ import annotations

from faker import Faker
from faker.providers import BaseProvider

from synthetic import names


class KazakhNameProvider(BaseProvider):
    """Kazakh given names, surnames and patronymics (-ұлы/-қызы or -ович/-овна)."""

    def kazakh_first_name_male(self) -> str:
        """A Kazakh male given name."""
        return str(self.random_element(names.KK_MALE))

    def kazakh_first_name_female(self) -> str:
        """A Kazakh female given name."""
        return str(self.random_element(names.KK_FEMALE))

    def kazakh_first_name(self, sex: str) -> str:
        """A Kazakh given name for 'male' or 'female'."""
        return self.kazakh_first_name_male() if sex == "male" else self.kazakh_first_name_female()

    def kazakh_last_name(self, sex: str) -> str:
        """A Kazakh surname in the form for 'male' or 'female' (Ахметов, Ахметова)."""
        male, female = self.kazakh_last_names()
        return male if sex == "male" else female

    def kazakh_last_names(self) -> tuple[str, str]:
        """One Kazakh surname in both forms, for a family: (male, female)."""
        male = str(self.random_element(names.KK_SURNAMES_MALE))
        return male, names.female_surname(male)

    def kazakh_patronymic(self, father: str, sex: str, style: str = "traditional") -> str:
        """The patronymic from a father's name: 'traditional' (-ұлы/-қызы) or 'russified' (-ович/-овна)."""
        return names.kazakh_patronymic(father, sex, style)

    def kazakh_name(self, sex: str, style: str | None = None) -> str:
        """A full Kazakh name, 'Surname Given Patronymic', as documents in Kazakhstan order it."""
        chosen = style or self.random_element(("traditional", "russified"))
        father = self.kazakh_first_name_male()
        return " ".join(
            (
                self.kazakh_last_name(sex),
                self.kazakh_first_name(sex),
                self.kazakh_patronymic(father, sex, chosen),
            )
        )

    def russian_father_name(self) -> str:
        """A ru_RU male given name whose patronymic is known for sure."""
        return str(self.random_element(names.RU_MALE))

    def russian_patronymic(self, father: str, sex: str) -> str:
        """The Russian patronymic from a father's name given by `russian_father_name`."""
        return names.russian_patronymic(father, sex)

    def russian_last_names(self) -> tuple[str, str]:
        """One ru_RU surname in both forms, for a family: (male, female)."""
        male = str(self.random_element(names.RU_SURNAMES_MALE))
        return male, names.female_surname(male)


def make_faker(seed: int) -> Faker:
    """A seeded ru_RU Faker with the Kazakh provider added."""
    fake = Faker("ru_RU")
    fake.add_provider(KazakhNameProvider)
    fake.seed_instance(seed)
    return fake
