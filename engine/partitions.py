"""Splitting a population run into independent partitions, and running them here or on Dask.

A partition is a contiguous range of family ids: every family falls in exactly one, and a
partition reads only its own rows (`familycard synth` writes families sorted by id and members
contiguous per family, so Parquet row-group statistics skip the other rows). Range bounds come
from the sorted family ids, so partitions hold equal numbers of families. Each partition task
loads the rules, reads its rows, evaluates them and writes its part of the per-family results;
it returns only small aggregates, so the same tasks run in this process or on a Dask cluster
(`--scheduler ADDRESS`) and give the same results.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

import polars as pl
from tqdm import tqdm

from engine.vectorised.tables import FILES, PopulationError

T = TypeVar("T")
R = TypeVar("R")


CHUNK_FAMILIES = 1_500_000  # a partition this size needs about 2 GB; larger runs are split further


def family_count(population: str | Path) -> int:
    """Families in a population directory (from the Parquet metadata)."""
    path = Path(population) / FILES["families"]
    if not path.exists():
        raise PopulationError(f"{path}: not found (expected the Parquet output of `familycard synth`)")
    return int(pl.scan_parquet(path).select(pl.len()).collect().item())


def partition_count(population: str | Path, requested: int) -> int:
    """The partitions of a run: as requested, or more so that none exceeds `CHUNK_FAMILIES`."""
    return max(requested, -(-family_count(population) // CHUNK_FAMILIES))


def family_ranges(population: str | Path, count: int) -> list[tuple[tuple[str, str], int]]:
    """`count` (or fewer) inclusive family-id ranges holding equal numbers of families, with
    the number of families in each."""
    path = Path(population) / FILES["families"]
    if not path.exists():
        raise PopulationError(f"{path}: not found (expected the Parquet output of `familycard synth`)")
    ids = pl.scan_parquet(path).select(pl.col("family_id").cast(pl.String)).collect().to_series()
    if ids.null_count():
        raise PopulationError("families.family_id: missing family id")
    ids = ids.sort()
    n = len(ids)
    if n == 0:
        raise PopulationError(f"{path}: no families")
    if ids.is_duplicated().any():
        raise PopulationError(f"families.family_id: duplicate id {ids.filter(ids.is_duplicated())[0]!r}")
    count = max(1, min(count, n))
    cuts = [round(i * n / count) for i in range(count + 1)]
    return [((str(ids[cuts[i]]), str(ids[cuts[i + 1] - 1])), cuts[i + 1] - cuts[i])
            for i in range(count) if cuts[i + 1] > cuts[i]]


@contextlib.contextmanager
def _client(address: str) -> Iterator[Any]:
    from dask.distributed import Client

    client = Client(address)  # type: ignore[no-untyped-call]
    try:
        yield client
    finally:
        client.close()  # type: ignore[no-untyped-call]


def execute(fn: Callable[[T], R], tasks: Sequence[T], scheduler: str | None, desc: str,
            progress: bool = True, sizes: Sequence[int] | None = None) -> list[R]:
    """Run `fn` on every task, here one after another or on the Dask scheduler; results in task
    order. The progress bar counts families when `sizes` (families per task) is given."""
    weights = list(sizes) if sizes is not None else [1] * len(tasks)
    bar = tqdm(total=sum(weights), desc=desc, unit="families" if sizes is not None else "partition",
               unit_scale=True, disable=not progress)
    results: list[R | None] = [None] * len(tasks)
    try:
        if scheduler is None:
            for i, task in enumerate(tasks):
                results[i] = fn(task)
                bar.update(weights[i])
        else:
            from dask.distributed import as_completed

            with _client(scheduler) as client:
                futures = client.map(fn, list(tasks), pure=False)
                index = {f.key: i for i, f in enumerate(futures)}
                for future in as_completed(futures):  # type: ignore[no-untyped-call]
                    i = index[future.key]
                    results[i] = future.result()
                    bar.update(weights[i])
    finally:
        bar.close()
    return [r for r in results if r is not None]
