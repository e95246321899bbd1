"""The proactive policy's safeguards, without a database: `service.domain.policy`."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from engine.review_policy import Change
from service.domain import policy
from service.domain.policy import Before, Held, LastOffer, Proposal, Situation, Trigger


@dataclass(frozen=True)
class D:
    """A proposed decision, as the policy reads it."""

    eligible: bool = True
    status: str = "eligible"
    period: str = "monthly"
    amount_kzt: int = 69_330


def decide(
    d: D,
    *,
    change: Change | None = None,
    situation: Situation = Situation(),
    fp: str = "fp",
    reasons: tuple[str, ...] = (),
    flagged: bool = False,
    amount: int | None = None,
) -> list[policy.Action]:
    return policy.decide(
        d,
        change=change if change is not None else policy.change_of(d, situation.held),
        amount_kzt=d.amount_kzt if amount is None else amount,
        fingerprint=fp,
        review_reasons=reasons,
        requires_human_review=flagged,
        situation=situation,
    )


@pytest.mark.parametrize("trigger", list(Trigger))
def test_an_end_is_never_applied_only_proposed(trigger: Trigger) -> None:
    gone = D(eligible=False, status="not_eligible", amount_kzt=0)
    actions = decide(gone, situation=Situation(held=Held("entitlement", 69_330)))
    assert actions == [policy.OpenReview("termination", ("adverse_termination",))]


def test_a_cut_is_never_applied_only_proposed() -> None:
    actions = decide(D(amount_kzt=63_030), situation=Situation(held=Held("entitlement", 69_330)))
    assert actions == [policy.OpenReview("reduction", ("adverse_reduction",))]


def test_withdrawing_an_open_offer_is_adverse_too() -> None:
    gone = D(eligible=False, status="not_eligible", amount_kzt=0)
    assert decide(gone, situation=Situation(held=Held("offer", 63_030))) == [
        policy.OpenReview("termination", ("adverse_termination",))
    ]


def test_more_for_the_family_is_applied_at_once() -> None:
    assert decide(D(), situation=Situation(held=Held("entitlement", 63_030))) == [policy.RaiseAmount()]


def test_a_new_right_is_offered_and_a_flagged_one_reviewed_first() -> None:
    assert decide(D()) == [policy.MakeOffer()]
    assert decide(D(), flagged=True, reasons=("income_near_line",)) == [
        policy.OpenReview("grant", ("income_near_line",))
    ]


def test_silence_is_never_adverse_an_expired_offer_is_offered_again() -> None:
    expired = Situation(last_offer=LastOffer("of-1", "expired", "fp"))
    assert decide(D(), situation=expired) == [policy.MakeOffer()]


def test_a_refusal_is_respected_until_the_circumstances_change() -> None:
    refused = Situation(last_offer=LastOffer("of-1", "refused", "fp"))
    assert decide(D(), situation=refused) == [policy.NotOffered("refused_unchanged", "of-1")]
    assert decide(D(amount_kzt=86_673), situation=refused, fp="fp-after-a-birth") == [policy.MakeOffer()]


def test_insufficient_data_never_ends_anything() -> None:
    unknown = D(eligible=False, status="insufficient_data", amount_kzt=0)
    assert policy.change_of(unknown, Held("entitlement", 69_330)) is Change.UNCHANGED
    assert decide(unknown, situation=Situation(held=Held("entitlement", 69_330))) == []


def test_a_pending_review_stands_until_the_proposal_changes() -> None:
    gone = D(eligible=False, status="not_eligible", amount_kzt=0)
    pending = Situation(held=Held("entitlement", 69_330), pending=Proposal("termination", "fp", 0))
    assert decide(gone, situation=pending) == []  # the same proposal already waits
    back = D()  # eligible again at the held amount: the proposal is moot
    assert decide(back, situation=pending) == [
        policy.SupersedeReview("a newer decision no longer proposes this change")
    ]


def test_a_rejected_proposal_is_not_reopened_but_a_different_one_is() -> None:
    gone = D(eligible=False, status="not_eligible", amount_kzt=0)
    rejected = Situation(held=Held("entitlement", 69_330), rejected=Proposal("termination", "fp", 0))
    assert decide(gone, situation=rejected) == []
    assert decide(gone, situation=rejected, fp="another") == [
        policy.OpenReview("termination", ("adverse_termination",))
    ]


def test_a_notice_reaches_a_family_once_whatever_gets_there_first() -> None:
    notice = D(period="notice", amount_kzt=0)
    for trigger in Trigger:
        assert policy.occasion(notice, trigger, None, told_eligible=False) == 1
        assert policy.occasion(notice, trigger, Before(True, 0), told_eligible=True) == 0
    assert decide(notice, change=Change.GRANT, amount=1) == [policy.SendNotice()]


def test_one_off_payments_are_given_once_per_occasion() -> None:
    birth = D(period="one_time", amount_kzt=172_975)
    # A bus event: the rise over the record before it, as of the same date (a second birth).
    assert policy.occasion(birth, Trigger.EVENT, Before(True, 172_975), False) == 0
    assert (
        policy.occasion(D(period="one_time", amount_kzt=345_950), Trigger.EVENT, Before(True, 172_975), False)
        == 172_975
    )
    # Time or the rules: only a right that did not exist before, never again for an indexation.
    assert policy.occasion(birth, Trigger.CALENDAR, Before(True, 160_000), False) == 0
    assert policy.occasion(birth, Trigger.ROLLOUT, Before(False, 0), False) == 172_975
    assert policy.occasion(D(eligible=False, period="one_time", amount_kzt=0), Trigger.CALENDAR, None, False) == 0


def test_approval_carries_out_the_proposal_and_nothing_else() -> None:
    held = Held("entitlement", 69_330)
    assert policy.on_approval("termination", "monthly", held) == policy.EndHolding()
    assert policy.on_approval("reduction", "monthly", held) == policy.ChangeHolding("reduction")
    assert isinstance(policy.on_approval("termination", "monthly", None), policy.NothingToDo)
    assert policy.on_approval("grant", "monthly", None) == policy.MakeOffer()
    assert isinstance(policy.on_approval("grant", "monthly", held), policy.NothingToDo)


def test_a_right_on_application_only_is_recorded_never_offered_or_sent_for_review() -> None:
    assert decide(D(), flagged=True, reasons=("x",), situation=Situation(), fp="fp") != []
    assert policy.decide(
        D(),
        change=Change.GRANT,
        amount_kzt=69_330,
        fingerprint="fp",
        review_reasons=("x",),
        requires_human_review=True,
        situation=Situation(),
        proactive=False,
    ) == [policy.OnApplication()]
    # A held one is still raised and cut as usual; a notice is information and always sent.
    assert policy.decide(
        D(),
        change=Change.INCREASE,
        amount_kzt=69_330,
        fingerprint="fp",
        review_reasons=(),
        requires_human_review=False,
        situation=Situation(held=Held("entitlement", 63_030)),
        proactive=False,
    ) == [policy.RaiseAmount()]
    notice = D(period="notice", amount_kzt=0)
    assert policy.decide(
        notice,
        change=Change.GRANT,
        amount_kzt=1,
        fingerprint="fp",
        review_reasons=(),
        requires_human_review=False,
        situation=Situation(),
        proactive=False,
    ) == [policy.SendNotice()]
