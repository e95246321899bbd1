"""The engine's subcommands: evaluate a snapshot, lint and test the rule files, print the catalogue."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from pydantic import ValidationError

from engine import casefile, expr, indicators, model, rulefile
from engine.api import Engine, default_rules_dir
from engine.errors import EngineError, RuleErrors


def _rules_dir(value: str | None) -> Path:
    return Path(value) if value else default_rules_dir()


def evaluate_command(args: argparse.Namespace) -> int:
    """`familycard evaluate FILE.json [--as-of DATE]`: print the eligibility response."""
    if getattr(args, "jsonl", False):
        return _evaluate_lines(args)
    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
        family = model.Family.model_validate_json(text)
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    except ValidationError as exc:
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            print(f"error: {args.file}: {loc}: {err['msg']}", file=sys.stderr)
        return 2
    as_of = dt.date.fromisoformat(args.as_of) if args.as_of else dt.date.today()
    try:
        engine = Engine.load(_rules_dir(args.rules))
        response = engine.evaluate(family, as_of, args.engine)
    except RuleErrors as exc:
        print(exc, file=sys.stderr)
        return 2
    except EngineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(response.model_dump(mode="json"), ensure_ascii=False, indent=2))
    return 0


def _evaluate_lines(args: argparse.Namespace) -> int:
    """`familycard evaluate FILE.jsonl --jsonl`: one compact response per snapshot line, in order.

    For many families at once (the rules are loaded once): a line that is not a valid snapshot is
    reported on standard error with its line number and skipped, and the exit status is then 2.
    """
    as_of = dt.date.fromisoformat(args.as_of) if args.as_of else dt.date.today()
    try:
        engine = Engine.load(_rules_dir(args.rules))
        stream = sys.stdin if args.file == "-" else Path(args.file).open(encoding="utf-8")  # noqa: SIM115 (closed below)
    except RuleErrors as exc:
        print(exc, file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    status = 0
    with stream:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                family = model.Family.model_validate_json(line)
                response = engine.evaluate(family, as_of, args.engine)
            except ValidationError as exc:
                for err in exc.errors():
                    loc = ".".join(str(p) for p in err["loc"])
                    print(f"error: {args.file}:{number}: {loc}: {err['msg']}", file=sys.stderr)
                status = 2
                continue
            except EngineError as exc:
                print(f"error: {args.file}:{number}: {exc}", file=sys.stderr)
                status = 2
                continue
            print(json.dumps(response.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":")))
    return status


def lint_command(args: argparse.Namespace) -> int:
    """`familycard rules lint [DIR]`: every problem with file and line; exit 1 on any."""
    root = _rules_dir(args.dir)
    errors = Engine.check(root)
    test_errors = []
    for path in casefile.test_files(root):
        test_errors.extend(casefile.load(path, casefile.display(path, root))[1])
    for e in [*errors, *sorted(test_errors)]:
        print(e)
    if errors or test_errors:
        print(f"{len(errors) + len(test_errors)} error(s)", file=sys.stderr)
        return 1
    engine = Engine.load(root)
    for name in unread_indicators(engine.book):
        print(f"warning: indicator '{name}' is read by no rule (engine/indicators.py) [unread-indicator]")
    print(
        f"ok: {len(engine.benefits())} benefits, {len(engine.book.params.params)} parameters, "
        f"{len(indicators.REGISTRY)} indicators; ruleset {engine.version}"
    )
    return 0


def unread_indicators(book: rulefile.Rulebook) -> list[str]:
    """Registered indicators that no benefit version, review trigger or deprivation reads
    (other than those `indicators.DESCRIPTIVE` keeps for the family record on purpose).

    An indicator nobody reads is either a rule not yet written or one forgotten: computed for
    every family for nothing, and shown in the catalogue as if it mattered.
    """
    read: set[str] = set()
    for b in book.benefits:
        for v in b.versions:
            read.update(v.requires)
            for src in v.sources():
                read |= expr.names(src.node)
    for d in book.wellbeing.deprivations:
        read |= expr.names(d.when.node)
    # A region-keyed parameter reads the family's region.
    if any(e.by_region for n in read if (p := book.params.params.get(n)) is not None for e in p.entries):
        read.add("region")
    return [n for n in indicators.REGISTRY if n not in read and n not in indicators.DESCRIPTIVE]


def test_command(args: argparse.Namespace) -> int:
    """`familycard rules test [DIR]`: run the analysts' cases; exit 1 on any failure."""
    root = _rules_dir(args.dir)
    try:
        engine = Engine.load(root)
    except RuleErrors as exc:
        print(exc, file=sys.stderr)
        return 1
    total = failed = 0
    for path in casefile.test_files(root):
        cases, errors = casefile.load(path, casefile.display(path, root))
        for e in errors:
            print(e)
            failed += 1
        for case in cases:
            total += 1
            problems = casefile.run_case(engine, case, args.engine)
            if problems:
                failed += 1
                for p in problems:
                    print(f"FAIL {p}")
    print(f"{total - failed} passed, {failed} failed")
    return 1 if failed else 0


def catalogue_command(args: argparse.Namespace) -> int:
    """`familycard rules catalogue`: the indicator catalogue as Markdown."""
    sys.stdout.write(indicators.catalogue_markdown())
    return 0
