"""`familycard serve`: the API under uvicorn with uvloop and httptools.

uvloop matters: with the plain asyncio loop and several workers, every keep-alive request stalls
about 40 ms (the socket the supervisor binds has no TCP_NODELAY; uvicorn issue 3149), uvloop
does not. The schema is migrated once here, before any worker starts, so workers never race to
create a fresh database.
"""

from __future__ import annotations

import argparse
import os
import tempfile

import uvicorn

from service import logs
from service.settings import Settings
from service.store import db, migrate


def serve_command(args: argparse.Namespace) -> int:
    """Run the API until interrupted; the settings come from the FAMILYCARD_* environment."""
    settings = Settings()
    logs.configure(settings.log_level)
    engine = db.create_engine(settings.database_url)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()
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
