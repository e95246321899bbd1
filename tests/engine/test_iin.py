import datetime as dt
import random

import numpy as np
from kz_iin_validator import validate_iin

from engine import iin


def test_reference_check_values_cv35_and_cv36_hold():
    assert iin.is_valid("900101301233")
    assert not iin.is_valid("900101301234")
    assert iin.is_valid("850712400406")  # the second-weights path


def test_numbers_that_need_neither_weight_are_never_issued():
    rng = random.Random(3)
    found = 0
    for _ in range(20000):
        first11 = "".join(str(rng.randint(0, 9)) for _ in range(11))
        if iin.check_digit(first11) is None:
            found += 1
            assert not any(iin.is_valid(first11 + str(d)) for d in range(10))
    assert found > 0


def test_generated_iins_pass_the_independent_validator_and_agree_with_the_person():
    rng = random.Random(7)
    for _ in range(3000):
        bd = dt.date(1900, 1, 1) + dt.timedelta(days=rng.randint(0, 45000))
        sex = rng.choice(["male", "female"])
        number = iin.make(bd, sex, rng.randint(0, 9999))
        result = validate_iin(number)  # raises on an invalid number
        assert result.born_date.datetime.date() == bd
        assert result.gender.name == sex
        assert iin.consistency_problem(number, bd, sex) is None


def test_consistency_names_the_disagreeing_part():
    number = iin.make(dt.date(1990, 1, 1), "female", 12)
    assert "birth_date" in iin.consistency_problem(number, dt.date(1991, 1, 1), "female")
    assert "digit 7" in iin.consistency_problem(number, dt.date(1990, 1, 1), "male")


def test_vectorised_check_digits_equal_the_scalar_ones():
    rng = np.random.default_rng(5)
    digits = rng.integers(0, 10, size=(5000, 11))
    vec = iin.check_digits_vectorised(digits)
    for row, got in zip(digits, vec, strict=True):
        expected = iin.check_digit("".join(map(str, row)))
        assert got == (-1 if expected is None else expected)
