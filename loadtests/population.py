"""Synthetic families for load tests, with ids that cannot collide with another run's."""

from __future__ import annotations

import datetime as dt
from typing import Any

AS_OF = dt.date(2026, 3, 1)


def families(n: int, *, seed: int, prefix: str = "") -> list[dict[str, Any]]:
    """n contract snapshots from the synthetic population, family ids prefixed with `prefix`."""
    from synthetic.rich import generate_families

    out = []
    for family in generate_families(n, seed, AS_OF):
        snapshot = dict(family.get("snapshot", family))
        snapshot["family_id"] = f"{prefix}{snapshot['family_id']}"
        out.append(snapshot)
    return out
