"""The expression translator against the expression evaluator, on random expressions and values."""

import decimal
from decimal import Decimal

import polars as pl
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from engine import expr
from engine.vectorised.translate import Column, TranslationError, Translator, round_to

WIDE = decimal.Context(prec=80)

# Indicator-like columns: counts, money in tiyn, ratios in ten-thousandths, an optional amount,
# a flag and a region code.
COLUMNS = {
    "n": Column("number", 0, 60),
    "m": Column("number", 2, 10**14),
    "r": Column("number", 4, 10**8),
    "opt": Column("number", 2, 10**14),
    "flag": Column("bool"),
    "region": Column("str"),
}
ROWS = 30


@st.composite
def frames(draw):
    n = draw(st.lists(st.integers(0, 60), min_size=ROWS, max_size=ROWS))
    m = draw(st.lists(st.integers(0, 10**10), min_size=ROWS, max_size=ROWS))
    r = draw(st.lists(st.integers(-10**6, 10**6), min_size=ROWS, max_size=ROWS))
    opt = draw(st.lists(st.none() | st.integers(0, 10**9), min_size=ROWS, max_size=ROWS))
    flag = draw(st.lists(st.booleans(), min_size=ROWS, max_size=ROWS))
    region = draw(st.lists(st.sampled_from(["KZ-71", "KZ-75", "KZ-79"]), min_size=ROWS, max_size=ROWS))
    return pl.DataFrame({"n": n, "m": m, "r": r, "opt": opt, "flag": flag, "region": region},
                        schema={"n": pl.Int64, "m": pl.Int64, "r": pl.Int64, "opt": pl.Int64, "flag": pl.Boolean,
                                "region": pl.String})


literals = st.decimals(min_value=-10**6, max_value=10**6, places=2, allow_nan=False, allow_infinity=False).map(
    lambda d: expr.Num(d))
numeric_names = st.sampled_from(["n", "m", "r", "opt"]).map(expr.Name)


def numbers(depth: int) -> st.SearchStrategy[expr.Node]:
    if depth == 0:
        return numeric_names | literals
    sub = numbers(depth - 1)
    return st.one_of(
        numeric_names, literals,
        st.builds(expr.Bin, st.sampled_from(["+", "-"]), sub, sub),
        st.builds(expr.Bin, st.just("*"), sub, numeric_names | literals),
        st.builds(lambda a, b: expr.Call("round", (expr.Bin("/", a, b),)), sub, sub),
        st.builds(lambda f, args: expr.Call(f, tuple(args)), st.sampled_from(["min", "max"]), st.lists(sub, min_size=2,
                                                                                                      max_size=3)),
        st.builds(lambda a: expr.Call("abs", (a,)), sub),
        st.builds(lambda a: expr.Call("round", (a,)), sub),
        st.builds(lambda a: expr.Unary("-", a), sub),
        st.builds(lambda c, a, b: expr.IfExp(c, a, b), conditions(depth - 1), sub, sub),
    )


def conditions(depth: int) -> st.SearchStrategy[expr.Node]:
    base = st.one_of(
        st.just(expr.Name("flag")), st.booleans().map(expr.Bool),
        st.builds(lambda v: expr.Cmp("==", expr.Name("region"), expr.Str(v)), st.sampled_from(["KZ-71", "KZ-75"])),
        st.builds(lambda v: expr.Cmp("==", expr.Name("flag"), expr.Bool(v)), st.booleans()),
    )
    if depth <= 0:
        return base
    sub_n = numbers(depth - 1)
    sub_c = conditions(depth - 1)
    return st.one_of(
        base,
        st.builds(expr.Cmp, st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), sub_n, sub_n),
        st.builds(lambda op, items: expr.BoolOp(op, tuple(items)), st.sampled_from(["and", "or"]),
                  st.lists(sub_c, min_size=2, max_size=3)),
        st.builds(lambda c: expr.Unary("not", c), sub_c),
    )


def _env(row: dict) -> dict[str, expr.Value]:
    return {
        "n": Decimal(row["n"]), "m": Decimal(row["m"]).scaleb(-2), "r": Decimal(row["r"]).scaleb(-4),
        "opt": Decimal(row["opt"] or 0).scaleb(-2), "flag": row["flag"], "region": row["region"],
    }


def _reference(node: expr.Node, frame: pl.DataFrame) -> list[expr.Value]:
    # Exact reference: the rules never come near Decimal's 28 digits, random trees can.
    with decimal.localcontext(prec=80):
        return [expr.evaluate(node, _env(row)) for row in frame.iter_rows(named=True)]


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames(), numbers(2))
def test_numbers_translate_to_exactly_the_decimal_values(frame, node):
    tr = Translator(COLUMNS)
    try:
        t = tr.number(node)
    except TranslationError:
        assume(False)
    got = frame.with_columns(t.expr.alias("x")).get_column("x").to_list()
    assert [Decimal(g).scaleb(-t.scale) for g in got] == _reference(node, frame)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames(), conditions(2))
def test_conditions_translate_to_exactly_the_evaluators_truth(frame, node):
    tr = Translator(COLUMNS)
    try:
        e = tr.boolean(node)
    except TranslationError:
        assume(False)
    got = frame.with_columns(e.alias("x")).get_column("x").to_list()
    assert got == [bool(v) for v in _reference(node, frame)]


@settings(max_examples=100, deadline=None)
@given(frames(), numbers(1), numbers(1))
def test_a_plain_division_keeps_eighteen_decimals(frame, a, b):
    node = expr.Bin("/", a, b)
    tr = Translator(COLUMNS)
    try:
        t = tr.number(node)
    except TranslationError:
        assume(False)
    got = frame.with_columns(t.expr.alias("x")).get_column("x").to_list()
    for g, ref in zip(got, _reference(node, frame), strict=True):
        # scaleb in a wide context: the fixed-point integer has more digits than Decimal's default 28.
        assert abs(Decimal(g).scaleb(-t.scale, context=WIDE) - ref) <= Decimal("1e-18")


@pytest.mark.parametrize(("mode", "expected"), [
    ("half_up", [2, 3, -3, 2, 3]), ("half_even", [2, 2, -2, 2, 3]), ("up", [3, 3, -3, 2, 3]),
    ("down", [2, 2, -2, 2, 2]),
])
def test_rounding_modes_follow_decimal(mode, expected):
    values = pl.DataFrame({"x": [249, 250, -250, 200, 251]})  # 2.49, 2.50, -2.50, 2.00, 2.51 at scale 2
    got = values.select(round_to(pl.col("x"), 2, mode).alias("y")).to_series().to_list()
    assert got == expected


def test_a_name_that_is_neither_indicator_nor_parameter_is_refused():
    with pytest.raises(TranslationError, match="chidren"):
        Translator(COLUMNS).boolean(expr.parse("chidren > 1"))


def test_an_expression_too_large_for_128_bits_is_refused_not_wrapped():
    node = expr.parse("m * m * m")
    with pytest.raises(TranslationError, match="128-bit"):
        Translator(COLUMNS).number(node)
