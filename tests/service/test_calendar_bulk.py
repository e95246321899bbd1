"""Quiet ticks recorded in bulk leave the database exactly as the full use case does."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from loadtests import bench_calendar
from service import calendar
from service.app import open_context
from tests.service.calendar_state import state


@pytest.mark.slow
def test_bulk_and_one_by_one_end_in_the_same_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    full, bulk = tmp_path / "full.db", tmp_path / "bulk.db"
    holders = bench_calendar.build_templates(f"sqlite:///{full}", 300)
    assert 0 < holders < 300
    shutil.copy(full, bulk)
    summaries = {}
    for path, in_bulk in ((full, False), (bulk, True)):
        monkeypatch.setattr(calendar, "BULK", in_bulk)
        ctx = open_context(bench_calendar.settings(f"sqlite:///{path}"))
        try:
            summaries[in_bulk] = calendar.run(ctx, until=dt.date(2026, 12, 2))
        finally:
            ctx.db.dispose()
    assert summaries[True].quiet > 100  # most families hold nothing and 1 January changes nothing for them
    assert summaries[False].quiet == 0
    assert summaries[True].ticks == summaries[False].ticks
    assert state(bulk) == state(full)
