"""The `familycard` command: one entry point for operators, analysts and load testers.

Each subcommand parses its options here and hands them to the module that owns the work, imported
only when that subcommand runs, so `familycard rules lint` starts without loading the web stack.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

Handler = Callable[[argparse.Namespace], int]


def _lazy(target: str) -> Handler:
    """A handler that imports 'package.module:function' when the subcommand runs."""

    def run(args: argparse.Namespace) -> int:
        module_name, func_name = target.split(":")
        func: Handler = getattr(importlib.import_module(module_name), func_name)
        return func(args)

    return run


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand of the contract."""
    parser = argparse.ArgumentParser(prog="familycard", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("serve", help="run the HTTP API (uvicorn, uvloop, httptools)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1)
    p.set_defaults(func=_lazy("service.server:serve_command"))

    p = sub.add_parser("evaluate", help="evaluate one family snapshot and print the eligibility response")
    p.add_argument("file", help="a JSON family snapshot ('-' for standard input)")
    p.add_argument("--as-of", dest="as_of", default=None, help="evaluation date, YYYY-MM-DD (default: today)")
    p.add_argument("--rules", default=None, help="rules directory (default: $FAMILYCARD_RULES_DIR or rules/)")
    p.add_argument("--engine", choices=["durable", "explain"], default="durable")
    p.set_defaults(func=_lazy("engine.commands:evaluate_command"))

    rules = sub.add_parser("rules", help="lint, test and document the rule files").add_subparsers(
        dest="rules_command", required=True
    )
    p = rules.add_parser("lint", help="validate the rule files; non-zero exit on any error")
    p.add_argument("dir", nargs="?", default=None)
    p.set_defaults(func=_lazy("engine.commands:lint_command"))
    p = rules.add_parser("test", help="run the analysts' YAML test cases; non-zero exit on any failure")
    p.add_argument("dir", nargs="?", default=None)
    p.add_argument("--engine", choices=["durable", "explain"], default="durable")
    p.set_defaults(func=_lazy("engine.commands:test_command"))
    p = rules.add_parser("catalogue", help="print the indicator catalogue as Markdown")
    p.set_defaults(func=_lazy("engine.commands:catalogue_command"))

    p = sub.add_parser("synth", help="write a synthetic population")
    p.add_argument("--families", type=int, required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", required=True, help="a .jsonl file (rich records) or a directory (Parquet)")
    p.add_argument("--format", choices=["auto", "jsonl", "parquet"], default="auto")
    p.add_argument("--as-of", dest="as_of", default="2026-03-01")
    p.set_defaults(func=_lazy("synthetic.cli:synth_command"))

    p = sub.add_parser("bus", help="the simulated e-gov bus: post life events to a running API")
    p.add_argument("--url", required=True)
    p.add_argument("--events", type=int, required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--population", default=None, help="a JSONL population from `familycard synth`")
    p.add_argument("--families", type=int, default=200, help="families to register when no population")
    p.add_argument("--token", default=None, help="bus bearer token (default: $FAMILYCARD_BUS_TOKEN)")
    p.add_argument("--concurrency", type=int, default=8)
    p.add_argument("--duplicates", type=float, default=0.05, help="share of events delivered twice")
    p.add_argument("--reorder", type=float, default=0.05, help="share of events delivered out of order")
    p.add_argument("--rate", type=float, default=0.0, help="events per second (0: as fast as possible)")
    p.add_argument("--duration", type=float, default=0.0, help="seconds to run at --rate (0: until --events)")
    p.add_argument("--ledger", default="var/bus-ledger.jsonl")
    p.add_argument(
        "--verify", action="store_true", help="check through the API that every acked event took effect once"
    )
    p.set_defaults(func=_lazy("synthetic.bus:bus_command"))

    pop = sub.add_parser("population", help="population-scale evaluation").add_subparsers(
        dest="population_command", required=True
    )
    p = pop.add_parser("run", help="evaluate a Parquet population as of a date")
    p.add_argument("--population", required=True)
    p.add_argument("--as-of", dest="as_of", required=True)
    p.add_argument("--rules", default=None)
    p.add_argument("--out", required=True)
    p.add_argument("--partitions", type=int, default=1)
    p.add_argument("--scheduler", default=None, help="Dask distributed scheduler address")
    p.set_defaults(func=_lazy("engine.population:run_command"))

    reform = sub.add_parser("reform", help="reform what-if").add_subparsers(dest="reform_command", required=True)
    p = reform.add_parser("compare", help="the same population under two rule sets or two dates")
    p.add_argument("--population", required=True)
    p.add_argument("--baseline", default=None, help="baseline rules directory")
    p.add_argument("--reform", default=None, help="reform rules directory")
    p.add_argument("--as-of", dest="as_of", required=True)
    p.add_argument("--reform-as-of", dest="reform_as_of", default=None)
    p.add_argument("--out", required=True, help="output directory for report.json and report.html")
    p.add_argument("--partitions", type=int, default=1)
    p.add_argument("--scheduler", default=None)
    p.set_defaults(func=_lazy("engine.reform:compare_command"))

    cal = sub.add_parser("calendar", help="changes due by the passage of time").add_subparsers(
        dest="calendar_command", required=True)
    p = cal.add_parser("run", help="apply every change due by time up to a date (default today) to the stored families")
    p.add_argument("--until", default=None, help="YYYY-MM-DD (default: today in Kazakhstan)")
    p.add_argument("--database-url", dest="database_url", default=None)
    p.set_defaults(func=_lazy("service.calendar_cli:run_command"))

    audit = sub.add_parser("audit", help="the audit log").add_subparsers(dest="audit_command", required=True)
    p = audit.add_parser("verify", help="check the hash chain of the audit log")
    p.add_argument("--database-url", dest="database_url", default=None)
    p.set_defaults(func=_lazy("service.audit_cli:verify_command"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand and return its exit code."""
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
