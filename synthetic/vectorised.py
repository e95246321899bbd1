"""The population at scale: millions of families written to Parquet, chunk by chunk.

Chunks come from `chunk.iter_chunks`. Members, the large table, stream straight into
`members.parquet`: polars pulls each chunk from a Python source while its sink encodes the
previous one, so the full table is never in memory at once and no part files are merged
afterwards. Families and deceased are a few bytes a family and are written at the end. The
directory then holds `families.parquet`, `members.parquet` and `deceased.parquet`
(schemas in `chunk`); members are contiguous per family and families sorted by `family_id`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import resource
import time
from collections.abc import Iterator
from pathlib import Path

import polars as pl
from polars.io.plugins import register_io_source
from tqdm import tqdm

from synthetic import chunk, stats


@dataclasses.dataclass
class Summary:
    """What a generation produced, how long it took, and how it compares with the targets."""

    families: int
    people: int
    deceased: int
    elapsed_s: float
    peak_rss_mb: float
    tally: stats.Tally
    out: Path

    def lines(self) -> list[str]:
        """The report printed by `familycard synth`."""
        rate = self.people / self.elapsed_s if self.elapsed_s > 0 else 0.0
        return [
            f"wrote {self.out}",
            f"elapsed {self.elapsed_s:.1f} s, {rate:,.0f} people/s, peak RSS {self.peak_rss_mb:,.0f} MB",
            *self.tally.lines(),
        ]


def peak_rss_mb() -> float:
    """The process's peak resident set size so far, in MB (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(
    n_families: int,
    seed: int,
    as_of: dt.date,
    out_dir: Path,
    progress: bool = True,
    chunk_families: int = chunk.CHUNK_FAMILIES,
) -> Summary:
    """Write a population of `n_families` families to `out_dir` as three Parquet files."""
    if n_families <= 0:
        raise ValueError("n_families must be a positive number of families")
    started = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tally = stats.Tally()
    families: list[pl.DataFrame] = []
    deceased: list[pl.DataFrame] = []
    bar = tqdm(total=n_families, unit="families", unit_scale=True, disable=not progress, desc="synth")

    def members_source(
        with_columns: list[str] | None, predicate: pl.Expr | None, n_rows: int | None, batch_size: int | None
    ) -> Iterator[pl.DataFrame]:
        for part in chunk.iter_chunks(n_families, seed, as_of, chunk_families):
            tally.add(stats.chunk_counts(part.families, part.members, part.deceased, as_of))
            families.append(part.families)
            deceased.append(part.deceased)
            bar.update(part.families.height)
            yield part.members

    try:
        members = register_io_source(members_source, schema=chunk.MEMBER_SCHEMA)
        members.sink_parquet(out_dir / "members.parquet")
        pl.concat(families).write_parquet(out_dir / "families.parquet")
        pl.concat(deceased).write_parquet(out_dir / "deceased.parquet")
    finally:
        bar.close()
    return Summary(
        families=tally.counts.get("families", 0),
        people=tally.counts.get("people", 0),
        deceased=tally.counts.get("deceased", 0),
        elapsed_s=time.perf_counter() - started,
        peak_rss_mb=peak_rss_mb(),
        tally=tally,
        out=out_dir,
    )
