"""Python's own rounding and summation of floats, reproduced over arrays to the bit."""

from decimal import Decimal

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.vectorised import exact


def _tiyn(v: float) -> int:
    """What the expression evaluator sees for round(v, 2), in hundredths."""
    return int(Decimal(repr(round(v + 0.0, 2))) * 100)


def test_money_rounding_matches_python_round_on_ties_and_near_ties():
    rng = np.random.default_rng(7)
    ties = (rng.integers(0, 10**8, 50_000) * 2 + 1) / 200  # x.xx5 exactly as written, rarely exact in binary
    exact_ties = rng.integers(0, 10**6, 50_000) / 8  # x.125, x.375: exactly representable halves
    values = np.concatenate([
        ties, np.nextafter(ties, 0), np.nextafter(ties, 2e9), exact_ties,
        rng.uniform(0, 1e9, 50_000), np.round(rng.uniform(0, 1e6, 50_000), 2), rng.integers(0, 10**7, 50_000) / 3,
        np.array([0.0, 2.675, 0.125, 0.375, 1e12, 999999999999.995]),
    ])
    got = exact.round_scaled(values, 2)
    wrong = [(v, g) for v, g in zip(values.tolist(), got.tolist(), strict=True) if _tiyn(v) != g]
    assert not wrong, wrong[:5]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(min_value=0, max_value=1e12, allow_nan=False, allow_infinity=False), min_size=1,
                max_size=50))
def test_money_rounding_matches_python_for_any_amount(values):
    got = exact.round_scaled(np.array(values), 2)
    assert got.tolist() == [_tiyn(v) for v in values]


def test_four_decimal_rounding_matches_python_for_ages_in_years():
    months = np.arange(-2400, 2400)
    got = exact.round_scaled(months / 12, 4)
    assert got.tolist() == [int(Decimal(repr(round(m / 12, 4))) * 10000) for m in months.tolist()]


def test_group_sums_add_in_row_order_like_sum():
    rng = np.random.default_rng(3)
    group = rng.integers(0, 500, 20_000)
    values = np.round(rng.uniform(0, 1e5, 20_000), 3)  # three decimals: the order of additions matters
    got = exact.group_sum(group, values, 600)
    expected = [sum(values[group == g].tolist()) for g in range(600)]
    assert got.tolist() == expected
