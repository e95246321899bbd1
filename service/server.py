"""`familycard serve`: the API under uvicorn with uvloop and httptools.

uvloop matters: with the plain asyncio loop and several workers, every keep-alive request stalls
about 40 ms (the socket the supervisor binds has no TCP_NODELAY; uvicorn issue 3149), uvloop
does not. The schema is migrated once here, before any worker starts, so workers never race to
create a fresh database.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import pydantic
import sqlalchemy as sa
import uvicorn
from sqlalchemy.engine import make_url

from service import audit_checkpoint, audit_cli, auth, logs
from service.settings import Settings
from service.store import db, migrate


class StartError(Exception):
    """The service cannot start; the message is the one line an operator needs."""


def database_problem(url: str) -> str | None:
    """Why a SQLite database cannot be written where it is configured (None: it can, or not SQLite)."""
    parsed = make_url(db.normalise_url(url))
    if not parsed.drivername.startswith("sqlite") or not parsed.database or parsed.database == ":memory:":
        return None
    path = Path(parsed.database)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        return f"the database directory {folder} does not exist"
    if not os.access(folder, os.W_OK | os.X_OK):
        return f"the database directory {folder} is not writable (SQLite writes its journal beside the file)"
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        return f"the database file {path} is not readable and writable"
    return None


def prepare(settings: Settings) -> None:
    """Check what start-up needs and migrate the schema once; `StartError` with one line on any problem."""
    problem = database_problem(settings.database_url)
    if problem:
        raise StartError(f"cannot open the database: {problem}")
    try:
        auth.load(settings.tokens_file)
        audit_cli.checkpoint_file(settings)
    except (auth.TokenFileError, audit_checkpoint.CheckpointConfigError) as exc:
        raise StartError(str(exc)) from exc
    engine = db.create_engine(settings.database_url)
    try:
        migrate.upgrade(engine)
    except (sa.exc.OperationalError, sa.exc.InterfaceError, OSError) as exc:
        cause = getattr(exc, "orig", None) or exc
        raise StartError(f"cannot open the database {make_url(db.normalise_url(settings.database_url))!r}: "
                         f"{str(cause).splitlines()[0]}") from exc
    finally:
        engine.dispose()


def serve_command(args: argparse.Namespace) -> int:
    """Run the API until interrupted; the settings come from the FAMILYCARD_* environment."""
    try:
        settings = Settings()
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        print(f"familycard serve: FAMILYCARD_{str(first['loc'][0]).upper() if first['loc'] else ''}: "
              f"{first['msg']}", file=sys.stderr)
        return 2
    logs.configure(settings.log_level)
    try:
        prepare(settings)
    except StartError as exc:
        print(f"familycard serve: {exc}", file=sys.stderr)
        return 2
    workers = max(1, int(args.workers))
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Each worker writes its samples here; /metrics in any worker adds them up.
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="familycard-metrics-")
    uvicorn.run(
        "service.server:app_factory",
        factory=True,
        host=args.host,
        port=int(args.port),
        workers=workers,
        loop="uvloop",
        http="httptools",
        log_config=logs.config(settings.log_level),
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=10,
    )
    return 0


def app_factory() -> object:
    """The application for one worker process (uvicorn imports this in each worker)."""
    from service.app import create_app

    return create_app(Settings())
