"""`familycard audit verify`: walk the audit hash chain and check it against the keyed checkpoints."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from service import audit_checkpoint
from service.settings import Settings
from service.store import db, uow


def checkpoint_file(settings: Settings, path: Path | None = None) -> audit_checkpoint.File | None:
    """The configured checkpoint file with its key, or None when checkpoints are not configured."""
    path = path or settings.audit_checkpoint_file
    if path is None:
        return None
    key = audit_checkpoint.read_key(
        key=settings.audit_key.get_secret_value() if settings.audit_key else None, key_file=settings.audit_key_file
    )
    return audit_checkpoint.File(Path(path), key)


def verify_command(args: argparse.Namespace) -> int:
    """Exit 0 and print OK when every link holds and agrees with the checkpoints; else exit 1 saying what broke."""
    settings = Settings()
    url = getattr(args, "database_url", None) or settings.database_url
    given = getattr(args, "checkpoints", None)
    try:
        checkpoints = checkpoint_file(settings, Path(given) if given else None)
    except audit_checkpoint.CheckpointConfigError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    engine = db.create_engine(url)
    try:
        with uow.UnitOfWork(engine, write=False) as work:
            report = audit_checkpoint.verify(work.conn, checkpoints)
    finally:
        engine.dispose()
    result = report.chain
    if not result.ok:
        print(
            f"BROKEN: audit entry {result.broken_seq}: {result.problem} ({result.checked} entries before it verified)"
        )
    for problem in report.problems:
        print(f"BROKEN: {problem}")
    if not report.ok:
        return 1
    if checkpoints is None:
        print(
            f"OK: {result.checked} audit entries, hash chain intact (no checkpoints configured: a truncated "
            "or recomputed chain cannot be told from an intact one; set FAMILYCARD_AUDIT_CHECKPOINT_FILE)"
        )
    elif report.latest is None:
        print(f"OK: {result.checked} audit entries, hash chain intact (no checkpoint written yet)")
    else:
        print(
            f"OK: {result.checked} audit entries, hash chain intact, agrees with {report.checkpoints} "
            f"checkpoint(s), the latest at entry {report.latest.seq} ({report.latest.at})"
        )
    return 0


def grants_command(args: argparse.Namespace) -> int:
    """Print the SQL that lets `--role` add to the audit log but never change it (run it as the owner)."""
    try:
        statements = audit_checkpoint.service_role_grants(str(args.role))
    except ValueError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    for statement in statements:
        print(statement + ";")
    return 0
