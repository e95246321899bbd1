"""`familycard audit verify`: walk the audit hash chain and report the first broken link."""

from __future__ import annotations

import argparse
import sys

from service import audit
from service.settings import Settings
from service.store import db, uow


def verify_command(args: argparse.Namespace) -> int:
    """Exit 0 and print OK when every link holds; exit 1 naming the first broken entry."""
    url = getattr(args, "database_url", None) or Settings().database_url
    engine = db.create_engine(url)
    try:
        with uow.UnitOfWork(engine, write=False) as work:
            result = audit.verify(work.conn)
    finally:
        engine.dispose()
    if result.ok:
        print(f"OK: {result.checked} audit entries, hash chain intact")
        return 0
    print(
        f"BROKEN: audit entry {result.broken_seq}: {result.problem} "
        f"({result.checked} entries before it verified)",
        file=sys.stdout,
    )
    return 1
