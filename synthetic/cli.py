"""`familycard synth`: write a synthetic population as JSONL snapshots or as Parquet tables.

`--format auto` writes JSONL (one contract snapshot per line, the rich path) when `--out` ends in
`.jsonl`, and otherwise a Parquet directory (the vectorised path, with names). Either way it
prints how the population compares with the calibration targets.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import orjson
from tqdm import tqdm

from engine import model
from synthetic import chunk, snapshots, stats, vectorised


def _format(out: Path, requested: str) -> str:
    if requested != "auto":
        return requested
    return "jsonl" if out.suffix == ".jsonl" else "parquet"


def write_jsonl(n_families: int, seed: int, as_of_text: str, out: Path, progress: bool = True) -> vectorised.Summary:
    """Write `n_families` snapshots to `out`, one JSON object per line."""
    as_of = model.parse_date(as_of_text)
    started = time.perf_counter()
    out.parent.mkdir(parents=True, exist_ok=True)
    tally = stats.Tally()
    bar = tqdm(total=n_families, unit="families", unit_scale=True, disable=not progress, desc="synth")
    with out.open("wb") as fh, bar:
        for part in chunk.iter_chunks(n_families, seed, as_of, with_names=False):
            tally.add(stats.chunk_counts(part.families, part.members, part.deceased, as_of))
            for snap in snapshots.frames_to_snapshots(part.families, part.members, part.deceased):
                fh.write(orjson.dumps(snap) + b"\n")
            bar.update(part.families.height)
    return vectorised.Summary(
        families=tally.counts.get("families", 0),
        people=tally.counts.get("people", 0),
        deceased=tally.counts.get("deceased", 0),
        elapsed_s=time.perf_counter() - started,
        peak_rss_mb=vectorised.peak_rss_mb(),
        tally=tally,
        out=out,
    )


def synth_command(args: argparse.Namespace) -> int:
    """Run `familycard synth` with the options parsed by `service/cli.py`."""
    if args.families <= 0:
        print(f"familycard synth: --families must be a positive number, got {args.families}", file=sys.stderr)
        return 2
    try:
        as_of = model.parse_date(args.as_of)
    except ValueError:
        print(f"familycard synth: --as-of must be a date YYYY-MM-DD, got {args.as_of!r}", file=sys.stderr)
        return 2
    out = Path(args.out)
    fmt = _format(out, args.format)
    progress = sys.stderr.isatty()
    if fmt == "jsonl":
        summary = write_jsonl(args.families, args.seed, as_of.isoformat(), out, progress=progress)
    else:
        if out.exists() and not out.is_dir():
            print(f"familycard synth: --out {out} exists and is not a directory (Parquet needs one)", file=sys.stderr)
            return 2
        summary = vectorised.generate(args.families, args.seed, as_of, out, progress=progress)
    print(f"familycard synth: {fmt}, seed {args.seed}, as of {as_of.isoformat()}")
    print("\n".join(summary.lines()))
    return 0
