import pytest
from pydantic import ValidationError

from engine import model
from tests.engine.builders import make_family, person


def _errors(data):
    with pytest.raises(ValidationError) as exc:
        model.Family.model_validate(data)
    return {".".join(str(p) for p in e["loc"]): e["msg"] for e in exc.value.errors()}


def test_a_valid_snapshot_is_accepted():
    fam = model.Family.model_validate(make_family(3))
    assert len(fam.members) == 4


def test_an_iin_with_a_wrong_check_digit_is_refused_naming_the_member():
    data = make_family(1)
    bad = data["members"][1]["iin"]
    data["members"][1]["iin"] = bad[:11] + str((int(bad[11]) + 1) % 10)
    errors = _errors(data)
    assert any(k.startswith("members.1") and "iin" in v for k, v in errors.items())


def test_an_iin_that_disagrees_with_birth_date_is_refused():
    data = make_family(0)
    data["members"][0]["birth_date"] = "1986-03-01"
    assert any("birth_date" in v for v in _errors(data).values())


@pytest.mark.parametrize("field", ["ethnicity", "nationality", "religion", "party", "language"])
def test_prohibited_attributes_cannot_be_smuggled_in(field):
    data = make_family(0)
    data["members"][0][field] = "x"
    assert any(field in k for k in _errors(data))
    data = make_family(0)
    data[field] = "x"
    assert field in _errors(data)


@pytest.mark.parametrize("amount", [-1, float("inf"), float("nan"), "abc", True])
def test_amounts_must_be_finite_non_negative_numbers(amount):
    data = make_family(0)
    data["members"][0]["monthly_income_kzt"] = amount
    assert "members.0.monthly_income_kzt" in _errors(data)


def test_a_family_needs_exactly_one_head():
    data = make_family(0)
    data["members"].append(person("head", "1980-01-01"))
    assert any("head" in v for v in _errors(data).values())


def test_a_missing_required_field_is_named():
    data = make_family(0)
    del data["members"][0]["gfss_participant"]
    assert "members.0.gfss_participant" in _errors(data)


def test_enums_are_strict():
    data = make_family(0)
    data["members"][0]["relation"] = "cousin"
    assert "members.0.relation" in _errors(data)
    data = make_family(0, region="KZ-XX")
    assert "region" in _errors(data)


def test_iins_are_masked_to_the_last_four_digits():
    assert model.mask_iin("900101400122") == "********0122"
