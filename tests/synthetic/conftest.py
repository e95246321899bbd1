"""Shared populations for the synthetic tests: one 100 k-family Parquet run through the CLI."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from synthetic import cli

AS_OF = dt.date(2026, 3, 1)
FAMILIES = 100_000
SEED = 11


def synth(out: Path, families: int = FAMILIES, seed: int = SEED, fmt: str = "auto") -> int:
    """Run `familycard synth` as service/cli.py would call it."""
    args = argparse.Namespace(families=families, seed=seed, out=str(out), format=fmt, as_of=AS_OF.isoformat())
    return cli.synth_command(args)


class Population:
    """A written Parquet population and its three tables."""

    def __init__(self, path: Path):
        self.path = path
        self.families = pl.read_parquet(path / "families.parquet")
        self.members = pl.read_parquet(path / "members.parquet")
        self.deceased = pl.read_parquet(path / "deceased.parquet")


@pytest.fixture(scope="session")
def population(tmp_path_factory: pytest.TempPathFactory) -> Population:
    out = tmp_path_factory.mktemp("synth") / "pop"
    assert synth(out) == 0
    return Population(out)
