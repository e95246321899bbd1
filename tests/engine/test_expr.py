from decimal import Decimal

import pytest

from engine import expr


def test_comparisons_chain_into_conjunctions():
    node = expr.parse("1 <= family_size < 4")
    assert isinstance(node, expr.BoolOp) and node.op == "and"
    assert expr.evaluate(node, {"family_size": Decimal(3)}) is True
    assert expr.evaluate(node, {"family_size": Decimal(4)}) is False


def test_in_lists_become_equalities():
    node = expr.parse("region in ['KZ-71', 'KZ-75']")
    assert expr.evaluate(node, {"region": "KZ-75"}) is True
    assert expr.evaluate(expr.parse("region not in ['KZ-71']"), {"region": "KZ-71"}) is False


def test_dotted_names_are_parameters():
    assert expr.names(expr.parse("round(large_family.coef_4 * mrp)")) == {"large_family.coef_4", "mrp"}


def test_round_is_half_up_to_whole_tenge_and_decimals_are_exact():
    assert expr.evaluate(expr.parse("round(16.03 * 4325)"), {}) == Decimal(69330)  # 69,329.75
    assert expr.evaluate(expr.parse("round(8.90 * 4325)"), {}) == Decimal(38493)  # 38,492.50
    assert expr.evaluate(expr.parse("0.1 + 0.2 == 0.3"), {}) is True


@pytest.mark.parametrize("text", ["__import__('os')", "x.y()", "[1, 2]", "x ** 2", "lambda: 1", "x if y"])
def test_anything_outside_the_whitelist_is_refused(text):
    with pytest.raises(expr.ParseFailure):
        expr.parse(text)


def test_type_errors_carry_the_offset_of_the_bad_operand():
    node = expr.parse("family_size + has_loan >= 1")
    _, errors = expr.check(node, {"family_size": "number", "has_loan": "bool"})
    assert [e.offset for e in errors] == [14]


def test_unknown_names_get_a_suggestion():
    _, errors = expr.check(expr.parse("chidren >= 1"), {"children": "number"})
    assert errors[0].code == "unknown-name" and errors[0].suggestion == "children"


def test_folding_removes_constant_subexpressions_and_absorbs_booleans():
    folded = expr.fold(
        expr.substitute(
            expr.parse("not (flag and loans > 0) and n >= 2 * 2"),
            lambda n: expr.literal(False) if n.name == "flag" else None,
        )
    )
    assert expr.to_text(folded) == "n >= 4"


def test_if_expressions_choose_a_branch():
    node = expr.parse("0.7 if months < 12 else 1.0")
    assert expr.evaluate(node, {"months": Decimal(6)}) == Decimal("0.7")
    assert expr.evaluate(node, {"months": Decimal(60)}) == Decimal("1.0")


def _exprs():
    from hypothesis import strategies as st

    names = st.sampled_from(["a", "b", "c"])
    nums = st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False, allow_infinity=False)
    leaf = st.one_of(nums.map(lambda d: str(d)), names)
    arith = st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            st.tuples(st.sampled_from(["min", "max"]), inner, inner).map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
            inner.map(lambda x: f"round({x})"),
        ),
        max_leaves=8,
    )
    cmp = st.tuples(arith, st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), arith).map(" ".join)
    return st.recursive(
        cmp,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            inner.map(lambda x: f"not ({x})"),
        ),
        max_leaves=4,
    )


def test_compiled_functions_equal_the_tree_walking_evaluator():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    values = st.decimals(min_value=-(10**6), max_value=10**6, places=2, allow_nan=False, allow_infinity=False)

    @settings(max_examples=300, deadline=None)
    @given(_exprs(), values, values, values)
    def check(text, a, b, c):
        node = expr.parse(text)
        env = {"a": a, "b": b, "c": c}
        assert expr.compile_fn(node)(env) == expr.evaluate(node, env)
        folded = expr.fold(node)
        assert expr.evaluate(folded, env) == expr.evaluate(node, env)

    check()
