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


def test_an_iin_that_disagrees_with_birth_date_or_sex_is_accepted_as_a_data_quality_finding():
    # The IIN law keeps the number when a birth date or sex is corrected (supplement §12 (d)).
    data = make_family(0)
    data["members"][0]["birth_date"] = "1986-03-01"
    data["members"][0]["sex"] = "male"
    fam = model.Family.model_validate(data)
    assert fam.members[0].birth_date.isoformat() == "1986-03-01"
    (finding,) = model.iin_disagreements(fam)
    # The finding names the field, never the date or the digits (they end up in logs; issue 11).
    assert "digits 1-6 do not match birth_date" in finding and "1986" not in finding
    assert fam.members[0].iin not in finding  # masked


@pytest.mark.parametrize("iin", ["851301401318", "850230401312", "850301701310"])
def test_an_iin_with_an_impossible_structure_is_still_refused(iin):
    from engine import iin as iin_mod

    data = make_family(0)
    first11 = iin[:11]
    digit = iin_mod.check_digit(first11)
    if digit is None:
        pytest.skip("no check digit exists for this prefix")
    data["members"][0]["iin"] = first11 + str(digit)
    errors = _errors(data)
    assert any("iin" in v and ("not a date" in v or "century" in v) for v in errors.values())


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
