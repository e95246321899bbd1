"""Benchmark: families per second through durable-rules and through the explanation path, one run.

    python -m engine.bench [--families N] [--seed S] [--as-of DATE]

Prints, for the same synthetic families on the same machine in one run:
- durable-rules matching (fact asserted, every rule fired, fact retracted) over prepared facts;
- durable-rules outcomes from indicators (fact building included);
- the clause-by-clause explanation path's outcomes from indicators;
- indicators alone; and full explained decisions (`Engine.evaluate`) through each backend;
- what `POST /v1/eligibility` spends in the engine: the snapshot validated from JSON
  (`Family.model_validate_json`), the default answer as JSON bytes (`Engine.answer_json`: no
  trace, texts in one language) and the trace (`Engine.evaluate_json`, `?explain=full`).
The machine is shared and noisy: read the ratios, not the absolute figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from collections.abc import Callable

import orjson

from engine import compiler, indicators, model
from engine.api import Engine


def _rate(label: str, n: int, fn: Callable[[], object], rows: list[tuple[str, float]]) -> float:
    start = time.perf_counter()
    fn()
    rate = n / (time.perf_counter() - start)
    rows.append((label, rate))
    return rate


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--families", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--as-of", dest="as_of", default="2026-03-01")
    args = parser.parse_args(argv)
    as_of = dt.date.fromisoformat(args.as_of)

    from synthetic import rich

    snapshots = list(rich.generate_families(args.families, args.seed, as_of))
    families = [model.Family.model_validate(s) for s in snapshots]
    engine = Engine.load()
    prog = engine.program(as_of)
    values = [indicators.compute_some(f, as_of, prog.indicator_names) for f in families]
    envs = [compiler.environment(prog, v) for v in values]
    facts = [compiler.fact(prog, v, e, 0) for v, e in zip(values, envs, strict=True)]
    engine.durable_outcomes(prog, values[0], envs[0])  # creates the ruleset outside the timing
    backend = engine._durable  # the benchmark measures the adapter itself
    n = len(families)
    rows: list[tuple[str, float]] = []

    def fire_all() -> None:
        for f in facts:
            f["id"] = backend.next_id()
            backend.fire(prog.ruleset_name, f)

    durable = _rate("durable-rules: match prepared facts (assert, fire all, retract)", n, fire_all, rows)
    _rate(
        "durable-rules: outcomes from indicators (facts built)",
        n,
        lambda: [engine.durable_outcomes(prog, v, e) for v, e in zip(values, envs, strict=True)],
        rows,
    )
    explain = _rate(
        "explanation path: outcomes from indicators",
        n,
        lambda: [engine.python_outcomes(prog, v, e) for v, e in zip(values, envs, strict=True)],
        rows,
    )
    _rate("indicators from snapshots", n, lambda: [indicators.compute_some(f, as_of, prog.indicator_names)
                                                    for f in families], rows)
    sample = families[: max(1, n // 5)]
    _rate("full explained decisions via durable-rules (Engine.evaluate)", len(sample),
          lambda: [engine.evaluate(f, as_of, "durable") for f in sample], rows)
    _rate("full explained decisions via explanation path", len(sample),
          lambda: [engine.evaluate(f, as_of, "explain") for f in sample], rows)
    raw = [orjson.dumps(s) for s in snapshots[: len(sample)]]
    _rate("snapshots validated from JSON (Family.model_validate_json)", len(raw),
          lambda: [model.Family.model_validate_json(r) for r in raw], rows)
    _rate("eligibility traces as JSON via durable-rules (Engine.evaluate_json)", len(sample),
          lambda: [engine.evaluate_json(f, as_of) for f in sample], rows)
    _rate("default eligibility answers as JSON (Engine.answer_json, one language)", len(sample),
          lambda: [engine.answer_json(f, as_of) for f in sample], rows)
    _rate("eligibility traces as JSON, again (the same families, after the default answers)", len(sample),
          lambda: [engine.evaluate_json(f, as_of) for f in sample], rows)

    print(f"{n} synthetic families (seed {args.seed}), as of {as_of}, {len(prog.benefits)} benefits, "
          f"{len(prog.durable)} durable-rules rules, one core")
    width = max(len(label) for label, _ in rows)
    for label, rate in rows:
        print(f"  {label:<{width}}  {rate:>10,.0f} families/s")
    print(f"  ratio durable-rules matching / explanation path: {durable / explain:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
