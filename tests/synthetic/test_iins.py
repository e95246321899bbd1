"""Vectorised IIN allocation: valid, consistent with the person, unique, and never unissuable."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from kz_iin_validator import validate_iin

from engine import iin
from synthetic import dates, iins


def _issue(days: np.ndarray, male: np.ndarray, counter: iins.SerialCounter | None = None) -> list[str]:
    counter = counter or iins.SerialCounter()
    return iins.to_strings(iins.numbers(days, male, counter.ranks(days, male))).to_list()


def test_every_iin_passes_both_validators_and_encodes_the_birth_date_and_sex():
    rng = np.random.default_rng(4)
    days = rng.integers(dates.day_number(dt.date(1900, 1, 1)), dates.day_number(dt.date(2026, 3, 1)), 30_000)
    male = rng.random(30_000) < 0.5
    for value, day, is_male in zip(_issue(days, male), days, male, strict=True):
        born = dates.EPOCH + dt.timedelta(days=int(day))
        sex = "male" if is_male else "female"
        assert iin.consistency_problem(value, born, sex) is None, value
        parsed = validate_iin(value)
        assert parsed.born_date.datetime.date() == born
        assert parsed.gender.name == sex


def test_a_crowded_birth_date_fills_every_issuable_serial_without_repeating():
    # 8,991 people of one sex born on one day: every block of ten serials gives nine numbers,
    # skipping the one serial that could never be issued where the first checksum is 10.
    days = np.full(iins.CAPACITY, dates.day_number(dt.date(1985, 6, 15)))
    male = np.zeros(iins.CAPACITY, dtype=bool)
    issued = _issue(days, male)
    assert len(set(issued)) == iins.CAPACITY
    assert all(iin.is_valid(v) for v in issued)
    serial_blocks = {v[7:10] for v in issued}
    assert len(serial_blocks) == iins.BLOCKS
    second_weights = [v for v in issued if sum(int(d) * w for d, w in zip(v[:11], iin.W1, strict=True)) % 11 == 10]
    assert second_weights, "the crowded day must exercise the second-weights path"


def test_one_more_person_than_the_serial_space_holds_is_refused():
    days = np.full(iins.CAPACITY + 1, dates.day_number(dt.date(1985, 6, 15)))
    with pytest.raises(iins.CapacityError):
        iins.SerialCounter().ranks(days, np.ones(len(days), dtype=bool))


def test_the_counter_carries_over_chunks_so_later_chunks_never_reuse_a_number():
    counter = iins.SerialCounter()
    day = np.full(500, dates.day_number(dt.date(2001, 2, 3)))
    male = np.arange(500) % 2 == 0
    first = _issue(day, male, counter)
    second = _issue(day, male, counter)
    assert len(set(first) | set(second)) == 1000


def test_issue_gives_a_newborn_a_fresh_valid_number():
    counter = iins.SerialCounter()
    born = dt.date(2026, 2, 10)
    a, b = counter.issue(born, "female"), counter.issue(born, "female")
    assert a != b
    assert iin.consistency_problem(a, born, "female") is None
    assert iin.consistency_problem(b, born, "female") is None


def test_calendar_arithmetic_agrees_with_datetime():
    days = np.arange(dates.day_number(dt.date(1850, 1, 1)), dates.day_number(dt.date(2100, 1, 1)), 37)
    year, month, day = dates.civil(days)
    for d, y, m, dd in zip(days[::50], year[::50], month[::50], day[::50], strict=True):
        assert dates.EPOCH + dt.timedelta(days=int(d)) == dt.date(int(y), int(m), int(dd))
    born = np.array([dates.day_number(dt.date(2000, 3, 2)), dates.day_number(dt.date(2000, 3, 1))])
    assert dates.completed_years(born, dt.date(2026, 3, 1)).tolist() == [25, 26]
