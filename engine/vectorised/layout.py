"""Members laid out contiguously per family, in the order of the families table.

Every per-family aggregation in `vectorised.indicators` reduces over contiguous segments of the
members table, which is how `familycard synth` writes it (members of a family together, families
in order). Any other order is sorted into it (by family, then by the member's row in the file, so
the snapshot's member order is kept); unknown and memberless families are refused here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from engine.vectorised.tables import PopulationError, Tables

Ints = npt.NDArray[np.int64]


@dataclass
class Layout:
    """Members contiguous per family, families in table order: `fidx` per member, `starts` per family."""

    members: pl.DataFrame
    fidx: Ints
    starts: Ints
    sizes: Ints

    def segment_sum(self, values: npt.NDArray[np.uint64] | Ints) -> Ints:
        """Per-family sums of an integer column (exact, modulo 2**64 for packed words)."""
        cs = np.cumsum(values, dtype=values.dtype)
        before = cs[self.starts - 1]
        before[0] = 0  # the first family starts at row 0
        return np.asarray(cs[self.starts + self.sizes - 1] - before)

    def spread(self, rows: Ints, values: npt.ArrayLike, default: int) -> Ints:
        """A per-family array: `values` at the families of member `rows`, `default` elsewhere."""
        out = np.full(len(self.starts), default, dtype=np.int64)
        out[self.fidx[rows]] = values
        return out


def layout(t: Tables) -> Layout:
    """Lay members out contiguously per family in the order of `t.families` (usually a no-op)."""
    mem = t.members
    n = t.families.height
    fid = mem.get_column("family_id")
    new = (fid != fid.shift(1)).fill_null(True).to_numpy()
    run_start = np.flatnonzero(new)
    run_ids = fid.gather(run_start)
    families = t.families.get_column("family_id")
    pos = mem.get_column("pos").to_numpy()
    in_order = bool((new[1:] | (pos[1:] > pos[:-1])).all())  # members of a family in snapshot order
    if in_order and len(run_ids) == n and bool((run_ids == families).all()):
        fidx = np.cumsum(new, dtype=np.int64) - 1
    else:
        keys = pl.DataFrame({"family_id": families}).with_row_index("fidx")
        if keys.get_column("family_id").is_duplicated().any():
            dup = keys.filter(pl.col("family_id").is_duplicated()).get_column("family_id")[0]
            raise PopulationError(f"families.family_id: duplicate id {dup!r}")
        runs = pl.DataFrame({"family_id": run_ids}).join(keys, on="family_id", how="left", maintain_order="left")
        run_fidx = runs.get_column("fidx")
        if run_fidx.null_count():
            bad = runs.filter(pl.col("fidx").is_null()).get_column("family_id")[0]
            raise PopulationError(f"members.family_id: member of unknown family {bad!r}")
        lengths = np.diff(np.r_[run_start, mem.height])
        fidx = np.repeat(run_fidx.cast(pl.Int64).to_numpy(), lengths)
        if not in_order or (np.diff(fidx) < 0).any():
            order = np.lexsort((pos, fidx))
            mem, fidx = mem[order], fidx[order]
    sizes = np.bincount(fidx, minlength=n).astype(np.int64)
    if (sizes == 0).any():
        bad = families[int(np.flatnonzero(sizes == 0)[0])]
        raise PopulationError(f"families: family {bad!r} has no members")
    starts = np.r_[0, np.cumsum(sizes)[:-1]].astype(np.int64)
    return Layout(mem, fidx, starts, sizes)


def family_index(families: pl.Series, ids: pl.Series) -> pl.Series:
    """The position of each id in `families` (null when absent); a binary search when sorted."""
    if len(ids) == 0:
        return pl.Series("fidx", [], dtype=pl.Int64)
    if families.is_sorted():
        pos = families.search_sorted(ids).cast(pl.Int64).clip(0, max(len(families) - 1, 0))
        found = families.gather(pos) == ids
        return pos.set(~found, None).rename("fidx") if not found.all() else pos.rename("fidx")
    keys = pl.DataFrame({"family_id": families}).with_row_index("fidx")
    return (pl.DataFrame({"family_id": ids}).join(keys, on="family_id", how="left", maintain_order="left")
            .get_column("fidx").cast(pl.Int64))
