"""Months of payments from entitlements and their amount history (`service.domain.payments`), no database."""

from __future__ import annotations

import datetime as dt

from service.domain import payments
from service.domain.payments import AmountPeriod, Entitlement

D = dt.date


def large_family(ended_on: dt.date | None = None) -> Entitlement:
    return Entitlement(
        "large_family_allowance",
        "monthly",
        "ended" if ended_on else "active",
        D(2025, 12, 10),
        ended_on,
        (AmountPeriod(D(2025, 12, 10), D(2025, 12, 31), 63_030, 1), AmountPeriod(D(2026, 1, 1), None, 69_330, 2)),
    )


def test_the_first_month_is_paid_at_the_amount_on_the_day_the_right_arose() -> None:
    due = payments.months([large_family()], D(2025, 11, 1), D(2026, 2, 1))
    assert [(m.month, m.amount_kzt, m.decision_id) for m in due] == [
        ("2025-12", 63_030, 1),
        ("2026-01", 69_330, 2),
        ("2026-02", 69_330, 2),
    ]


def test_the_month_in_which_a_right_ends_is_paid_and_nothing_after() -> None:
    due = payments.months([large_family(ended_on=D(2026, 6, 15))], D(2026, 5, 1), D(2026, 9, 1))
    assert [m.month for m in due] == ["2026-05", "2026-06"]
    ends_on_the_first = payments.months([large_family(ended_on=D(2026, 7, 1))], D(2026, 5, 1), D(2026, 9, 1))
    assert [m.month for m in ends_on_the_first] == ["2026-05", "2026-06"]


def test_a_raise_during_a_month_shows_from_the_next() -> None:
    e = Entitlement(
        "x",
        "monthly",
        "active",
        D(2026, 1, 1),
        None,
        (AmountPeriod(D(2026, 1, 1), D(2026, 3, 14), 100, 1), AmountPeriod(D(2026, 3, 15), None, 150, 2)),
    )
    assert [m.amount_kzt for m in payments.months([e], D(2026, 2, 1), D(2026, 4, 1))] == [100, 100, 150]


def test_one_time_payments_fall_in_the_month_of_their_date_and_notices_never() -> None:
    once = Entitlement(
        "birth_allowance",
        "one_time",
        "granted",
        D(2026, 2, 10),
        None,
        (AmountPeriod(D(2026, 2, 10), None, 172_975, 5),),
    )
    notice = Entitlement("pension_notice", "notice", "granted", D(2026, 2, 10), None, ())
    due = payments.months([once, notice], D(2026, 1, 1), D(2026, 12, 1))
    assert [(m.month, m.benefit, m.amount_kzt) for m in due] == [("2026-02", "birth_allowance", 172_975)]


def test_the_amount_in_force_on_a_day() -> None:
    e = large_family(ended_on=D(2026, 6, 15))
    assert payments.in_force(e, D(2025, 12, 31)).amount_kzt == 63_030  # type: ignore[union-attr]
    assert payments.in_force(e, D(2026, 6, 14)).amount_kzt == 69_330  # type: ignore[union-attr]
    assert payments.in_force(e, D(2026, 6, 15)) is None
