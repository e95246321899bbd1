"""What a database says the families hold and were told, without random identifiers (calendar tests)."""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any


def query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(db, timeout=30)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def state(db: Path) -> dict[str, Any]:
    """What the families hold and were told, without the random identifiers."""
    return {
        "ticks": sorted(r[0] for r in query(db, "SELECT event_id FROM events WHERE type = 'calendar.tick'")),
        "entitlements": sorted(
            query(db, "SELECT family_id, benefit, status, amount_kzt, active_from, ended_on FROM entitlements")
        ),
        "amounts": sorted(
            query(db, "SELECT family_id, benefit, from_date, to_date, amount_kzt FROM entitlement_amounts")
        ),
        "reviews": sorted(query(db, "SELECT family_id, benefit, kind, status, event_id FROM reviews")),
        "offers": sorted(query(db, "SELECT family_id, benefit, status, amount_kzt, trigger_event_id FROM offers")),
        "messages": Counter(r[0] for r in query(db, "SELECT family_id FROM outbox")),
        "dates": sorted(query(db, "SELECT family_id, next_change_on FROM families")),
    }
