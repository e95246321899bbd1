"""durable-rules semantics the adapter relies on, checked against the real engine."""

import json
import threading

import durable_rules_engine as dre
import pytest

from engine.durable_backend import DurableEngine
from engine.errors import BackendError

RULES = {
    "a": {"all": [{"m": {"$gte": {"children": 4}}}]},
    "b": {"all": [{"m": {"$and": [{"$lt": {"income": 50000}}, {"$or": [{"region": "KZ-75"}, {"flag": 1}]}]}}]},
    "c": {"all": [{"m": {"$lt": {"income": {"$m": "line"}}}}]},
}


@pytest.fixture(scope="module")
def engine():
    eng = DurableEngine()
    eng.load("test_semantics_v1", RULES)
    return eng


def _fact(eng, **fields):
    return {"id": eng.next_id(), "children": 0, "income": 100000, "region": "KZ-71", "flag": 0, "line": 0, **fields}


def test_every_matching_rule_fires_not_just_the_first(engine):
    fired = engine.fire("test_semantics_v1", _fact(engine, children=5, income=1000, region="KZ-75", line=2000))
    assert sorted(fired) == ["a", "b", "c"]


def test_a_family_matching_nothing_fires_nothing(engine):
    assert engine.fire("test_semantics_v1", _fact(engine)) == []


def test_identical_families_can_be_evaluated_twice(engine):
    first = engine.fire("test_semantics_v1", _fact(engine, children=4))
    second = engine.fire("test_semantics_v1", _fact(engine, children=4))
    assert first == second == ["a"]


def test_facts_are_always_retracted(engine):
    for i in range(2000):
        engine.fire("test_semantics_v1", _fact(engine, children=i % 7, income=i * 40))
    handle = engine._handles["test_semantics_v1"]
    assert json.loads(dre.get_facts(handle, "0")) == []


def test_the_engine_refuses_calls_from_another_thread(engine):
    errors = []

    def call():
        try:
            engine.fire("test_semantics_v1", _fact(engine))
        except BackendError as exc:
            errors.append(exc)

    t = threading.Thread(target=call)
    t.start()
    t.join()
    assert errors and "thread" in str(errors[0])


def test_rulesets_are_versioned_and_freed_on_swap():
    eng = DurableEngine()
    eng.load("swap_v1", RULES)
    eng.load("swap_v2", {"only": {"all": [{"m": {"children": 1}}]}})
    eng.unload_except(["swap_v2"])
    assert not eng.has("swap_v1") and eng.has("swap_v2")
    assert eng.fire("swap_v2", {"id": 1, "children": 1}) == ["only"]


def test_a_malformed_ruleset_is_refused_with_a_clear_error():
    with pytest.raises(BackendError):
        DurableEngine().load("bad_v1", {"x": {"all": [{"m": {"$nope": {"a": 1}}}]}})
