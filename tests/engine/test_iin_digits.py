"""The IIN check digit as the snapshot validation computes it: ASCII digits fast, every digit the same way."""

import datetime as dt
import random

import pytest
from pydantic import ValidationError

from engine import iin, model
from tests.engine.builders import make_family

ARABIC_INDIC = {str(d): chr(0x660 + d) for d in range(10)}  # Unicode digits: `str.isdigit` and `\d` accept them


def _by_definition(first11: str) -> int | None:
    digits = [int(c) for c in first11]
    a = sum(d * w for d, w in zip(digits, iin.W1, strict=True)) % 11
    if a != 10:
        return a
    b = sum(d * w for d, w in zip(digits, iin.W2, strict=True)) % 11
    return None if b == 10 else b


def test_the_check_digit_equals_its_definition_for_ascii_and_other_digits():
    rng = random.Random(11)
    for _ in range(20000):
        first11 = "".join(rng.choice("0123456789") for _ in range(11))
        assert iin.check_digit(first11) == _by_definition(first11), first11
        other = "".join(ARABIC_INDIC[c] for c in first11)
        assert iin.check_digit(other) == _by_definition(first11)
        for last in "0123456789":
            assert iin.is_valid(first11 + last) == (_by_definition(first11) == int(last))


def test_the_birth_date_digits_are_compared_as_strftime_writes_them():
    rng = random.Random(12)
    for _ in range(3000):
        born = dt.date(rng.randint(1800, 2099), rng.randint(1, 12), rng.randint(1, 28))
        sex = rng.choice(["male", "female"])
        number = iin.make(born, sex, rng.randint(0, 9999))
        assert number[:6] == born.strftime("%y%m%d")
        assert iin.consistency_problem(number, born, sex) is None
        assert "birth_date" in (iin.consistency_problem(number, born + dt.timedelta(days=1), sex) or "")


def test_an_iin_in_other_unicode_digits_is_refused():
    data = make_family(0)
    data["members"][0]["iin"] = "".join(ARABIC_INDIC[c] for c in data["members"][0]["iin"])
    with pytest.raises(ValidationError) as exc:
        model.Family.model_validate(data)
    [error] = exc.value.errors()
    assert error["loc"] == ("members", 0) and "12 ASCII digits" in error["msg"]
