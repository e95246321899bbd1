import datetime as dt
from pathlib import Path

import pytest

from engine.api import Engine
from engine.review_policy import Change, Current, classify, is_adverse
from tests.engine.builders import family

RULES = Path(__file__).resolve().parents[2] / "rules"


@pytest.fixture(scope="module")
def decisions():
    engine = Engine.load(RULES)

    def get(children, as_of=dt.date(2026, 3, 1), **kw):
        return {d.benefit: d for d in engine.evaluate(family(children, **kw), as_of).decisions}

    return get


def test_a_new_eligibility_is_a_grant(decisions):
    assert classify(None, decisions(5)["large_family_allowance"]) == Change.GRANT


def test_cv06_fewer_children_is_an_adverse_reduction(decisions):
    change = classify(Current(True, 86673), decisions(4)["large_family_allowance"])
    assert change == Change.REDUCTION and is_adverse(change)


def test_cv08_falling_below_four_is_an_adverse_termination(decisions):
    change = classify(Current(True, 69330), decisions(3)["large_family_allowance"])
    assert change == Change.TERMINATION and is_adverse(change)


def test_the_january_indexation_is_a_favourable_increase(decisions):
    change = classify(Current(True, 63030), decisions(4)["large_family_allowance"])
    assert change == Change.INCREASE and not is_adverse(change)


def test_missing_data_never_ends_an_entitlement(decisions):
    tsa = decisions(1, median_income_kzt=None)["targeted_social_assistance"]
    assert tsa.status == "insufficient_data"
    assert classify(Current(True, 40000), tsa) == Change.UNCHANGED
