"""Data-quality findings that never refuse a family: IIN digits that disagree with the registry.

The IIN law keeps a person's number when the birth date or sex in its structure is corrected
(supplement §12 (d)), so a valid IIN whose digits disagree with the registry is legitimate: the
registry's `birth_date` and `sex` decide. The disagreement is still worth a caseworker's look where
it could matter, and only there: the family is decided a second time with the dates and sexes the
digits state, and a decision that comes out differently carries the finding as a review reason.
A decision the digits could not change carries the finding in its explanation only.
"""

from __future__ import annotations

from engine import iin, model

REASON = "iin_disagrees_with_registry"


def findings(family: model.Family) -> list[str]:
    """One text per member whose IIN digits disagree with the registry (IIN masked)."""
    return model.iin_disagreements(family)


def as_the_digits_say(family: model.Family) -> model.Family:
    """The family with each disagreeing member's birth date and sex read from the IIN instead."""
    members = []
    for m in family.members:
        stated = iin.implied(m.iin)
        if stated is not None and (stated[0] != m.birth_date or stated[1] != m.sex):
            m = m.model_copy(update={"birth_date": stated[0], "sex": stated[1]})
        members.append(m)
    return family.model_copy(update={"members": members})
