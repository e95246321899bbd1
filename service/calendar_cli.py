"""`familycard calendar run [--until DATE]`: apply every change due by time to the stored families.

The same use case as the scheduler inside `familycard serve`, run once against
`FAMILYCARD_DATABASE_URL` (or `--database-url`); it prints what it did. Running it twice changes
nothing the second time; it is safe beside a running service (each family's change is one
transaction under its own idempotency key).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from service import calendar, rollout
from service.app import open_context
from service.settings import Settings


def run_command(args: argparse.Namespace) -> int:
    """Exit 0 after printing the summary; 2 on a bad date."""
    settings = Settings()
    if args.database_url:
        settings = settings.model_copy(update={"database_url": args.database_url})
    try:
        until = dt.date.fromisoformat(args.until) if args.until else None
    except ValueError:
        print(f"--until: '{args.until}' is not a date (YYYY-MM-DD)", file=sys.stderr)
        return 2
    ctx = open_context(settings)
    try:
        summary = calendar.run(ctx, until=until)
        for line in summary.lines():
            print(line)
        done = rollout.resume(ctx)
        if done is not None and done["checked"]:
            print(
                f"rules roll-out {done['id']} ({done['status']}): {done['checked']} families checked, "
                f"{done['changed']} changed, {done['applied']} applied, {done['reviews_opened']} reviews opened"
            )
    finally:
        ctx.db.dispose()
    return 0
