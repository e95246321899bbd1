"""`make run`: the API on a fresh development database, fed by the simulated e-gov bus.

It writes development tokens (printed, and marked as such so a production start refuses them),
prepares a small synthetic population under `var/`, starts `familycard serve` and, once
`/healthz` answers, runs `familycard bus` against it with duplicates and reordering on and a
verification at the end. The API then keeps running for a developer to explore until Ctrl-C,
which stops the bus (if still running) and then the server. Both run in their own process
groups, so the interrupt reaches this supervisor only and the order of shutdown is ours.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from service import localserver

VAR = Path("var")
TOKENS_FILE = VAR / "dev-tokens.json"
DATABASE = VAR / "familycard.db"
SERVER_LOG = VAR / "server.log"
ROLES = ("bus", "reviewer", "analyst", "auditor")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The options `make run` passes (HOST, PORT, FAMILIES, EVENTS) and a few for scripts."""
    parser = argparse.ArgumentParser(prog="python -m service.devrun", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--families", type=int, default=2000)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--keep-db", action="store_true", help="serve the last run's database; no bus")
    parser.add_argument("--exit-after-bus", action="store_true", help="stop the server once the bus is done")
    parser.add_argument("--startup-timeout", type=float, default=60.0)
    return parser.parse_args(argv)


def write_dev_tokens(path: Path = TOKENS_FILE) -> dict[str, str]:
    """Fresh random tokens, one per role, in the tokens-file format with the development marker."""
    tokens = {role: secrets.token_urlsafe(24) for role in ROLES}
    document = {
        "development": True,
        "tokens": [{"name": f"{role}-dev", "role": role, "token": token} for role, token in tokens.items()],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    path.chmod(0o600)
    return tokens


def fresh_database(path: Path = DATABASE) -> None:
    """Remove the SQLite file and its WAL side files, so every `make run` starts clean."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def service_env(tokens: dict[str, str]) -> dict[str, str]:
    """The environment of the server and the bus."""
    env = dict(os.environ)
    env.update(
        FAMILYCARD_ENV="development",
        FAMILYCARD_TOKENS_FILE=str(TOKENS_FILE),
        FAMILYCARD_DATABASE_URL=f"sqlite:///{DATABASE}",
        FAMILYCARD_BUS_TOKEN=tokens["bus"],
        FAMILYCARD_AUDITOR_TOKEN=tokens["auditor"],
        PYTHONUNBUFFERED="1",
    )
    return env


def cli(*args: str) -> list[str]:
    """A `familycard` command line run with this interpreter."""
    return [sys.executable, "-m", "service.cli", *args]


def prepare_population(families: int, seed: int, env: dict[str, str]) -> Path:
    """A JSONL population under var/, generated once per (families, seed) and then reused."""
    path = VAR / f"population-{families}-s{seed}.jsonl"
    if path.exists() and path.stat().st_size > 0:
        print(f"population: reusing {path}")
        return path
    partial = path.with_suffix(".partial.jsonl")
    log = VAR / "synth.log"
    with log.open("wb") as out:
        subprocess.run(
            cli("synth", "--families", str(families), "--seed", str(seed), "--out", str(partial)),
            env=env,
            check=True,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    partial.replace(path)
    print(f"population: {families} synthetic families in {path} (calibration report in {log})")
    return path


def stop(process: subprocess.Popen[bytes] | None, name: str, grace: float = 10.0) -> None:
    """Stop a child process group (SIGTERM, then SIGKILL), saying so."""
    if process is None or process.poll() is not None:
        return
    print(f"stopping the {name} (pid {process.pid})")
    localserver.stop(process, grace=grace)


def print_tokens(tokens: dict[str, str]) -> None:
    """Show the development tokens, as the contract asks `make run` to."""
    print(f"development tokens (also in {TOKENS_FILE}; refused outside FAMILYCARD_ENV=development):")
    for role, token in tokens.items():
        print(f"  {role:<9} {token}")


def where_to_look(url: str, tokens: dict[str, str], population: Path | None) -> None:
    """Two lines for a newcomer: the console with the reviewer token, the API docs and one family."""
    family = "FAM-0000001"
    if population is not None and population.exists():
        with population.open(encoding="utf-8") as first:
            record = json.loads(first.readline())
            family = str(record.get("snapshot", record).get("family_id", family))
    print(f"next: the caseworkers' console {url}/console (sign in with the reviewer token {tokens['reviewer']}); "
          f"the API docs {url}/docs (any token)")
    print(f"      curl -s -H 'Authorization: Bearer {tokens['auditor']}' {url}/v1/families/{family}")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Run the development stack until Ctrl-C (or until the bus is done, with --exit-after-bus)."""
    args = parse_args(argv)
    # Ctrl-C and `kill` both end the run through the same clean path, even when a non-interactive
    # shell started us with SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)
    url = f"http://{args.host}:{args.port}"
    VAR.mkdir(exist_ok=True)
    tokens = write_dev_tokens()
    print_tokens(tokens)
    env = service_env(tokens)
    server: subprocess.Popen[bytes] | None = None
    bus: subprocess.Popen[bytes] | None = None
    try:
        population = None if args.keep_db else prepare_population(args.families, args.seed, env)
        if not args.keep_db:
            fresh_database()
        with SERVER_LOG.open("ab") as log:
            server = subprocess.Popen(
                cli("serve", "--host", args.host, "--port", str(args.port)),
                env=env,
                start_new_session=True,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        localserver.wait_healthy(url, server, timeout=args.startup_timeout, log=SERVER_LOG)
        print(f"API: {url} (OpenAPI at {url}/docs); database {DATABASE}; server log {SERVER_LOG}")
        bus_code = 0
        if population is not None:
            bus = subprocess.Popen(
                cli(
                    "bus",
                    "--url",
                    url,
                    "--events",
                    str(args.events),
                    "--seed",
                    str(args.seed),
                    "--population",
                    str(population),
                    "--concurrency",
                    str(args.concurrency),
                    "--ledger",
                    str(VAR / "bus-ledger.jsonl"),
                    "--verify",
                    "--progress",
                ),
                env=env,
                start_new_session=True,
            )
            bus_code = bus.wait()
            print(f"bus finished with exit code {bus_code}; ledger in {VAR / 'bus-ledger.jsonl'}")
        where_to_look(url, tokens, population)
        if args.exit_after_bus:
            return bus_code
        print(f"the API keeps running on {url}; Ctrl-C stops it")
        return server.wait()
    except KeyboardInterrupt:
        print("\ninterrupted")
        return 130
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        print(f"make run: {exc}", file=sys.stderr)
        return 1
    finally:
        stop(bus, "bus")
        stop(server, "server")


if __name__ == "__main__":
    sys.exit(main())
