"""Python's float arithmetic reproduced over arrays, so vectorised indicators agree to the bit.

`engine.indicators` rounds money with `round(x, 2)` on doubles and adds incomes with `sum()`.
Both have exact, documented semantics that a naive `np.round` or a SIMD group sum do not share:

- `round(x, 2)` rounds the exact binary value of `x` half-to-even (`round(2.675, 2) == 2.67`,
  `round(0.125, 2) == 0.12`). Here `x * 100` is formed exactly in 80-bit extended precision
  (a 53-bit mantissa times 25 needs 58 bits; times 625 for 4 digits, 63) and rounded from there.
- `sum()` adds left to right from the integer 0 (CPython 3.11); CPython 3.12 added Neumaier
  compensation, reproduced when running there.

The result of a money rounding is kept as an integer count of tiyn (hundredths): the decimal that
`compiler.env_value` gives the expression evaluator (`Decimal(repr(x))`) is exactly that count.
"""

from __future__ import annotations

import sys

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

_EXTENDED = np.finfo(np.longdouble).nmant >= 63
COMPENSATED_SUM = sys.version_info >= (3, 12)


def round_scaled(x: Floats, ndigits: int) -> Ints:
    """The integer n with `round(v, ndigits) == n / 10**ndigits` for each v (Python's semantics)."""
    if ndigits not in (2, 4):
        raise ValueError("exact rounding is implemented for 2 and 4 decimals")
    x = np.asarray(x, dtype=np.float64)
    # Fast path in doubles: x * 10**n is off the exact product by at most half an ulp, which
    # matters only when the product sits within a few ulps of a tie (k + 0.5); those rows, if any,
    # are redone exactly below.
    y = x * float(10**ndigits)
    floor = np.floor(y)
    frac = y - floor
    out = floor.astype(np.int64) + (frac > 0.5).astype(np.int64)
    near = np.abs(frac - 0.5) <= 4 * np.spacing(np.abs(y))
    if near.any():
        out[near] = _round_exact(x[near], ndigits)
    return out


def _round_exact(x: Floats, ndigits: int) -> Ints:
    """round_scaled for values whose scaled product is near a tie."""
    if not _EXTENDED:  # no 80-bit long double on this platform: ask Python itself
        from decimal import Decimal

        return np.fromiter((int(Decimal(repr(round(float(v), ndigits))).scaleb(ndigits)) for v in x),
                           np.int64, len(x))
    scaled = x.astype(np.longdouble) * np.longdouble(10**ndigits)  # exact: see the module docstring
    floor = np.floor(scaled)
    frac = scaled - floor
    f = floor.astype(np.int64)
    up = (frac > 0.5) | ((frac == 0.5) & (f % 2 == 1))
    return np.asarray(f + up.astype(np.int64), dtype=np.int64)


def group_sum(group: Ints, values: Floats, n_groups: int) -> Floats:
    """`sum()` of each group's values taken in row order, as the running CPython computes it.

    `group` holds each row's group number; rows of a group appear in the order `sum()` sees them
    (they need not be contiguous). Groups without rows sum to 0.0.
    """
    group = np.asarray(group, dtype=np.int64)
    values = np.asarray(values, dtype=np.float64)
    acc = np.zeros(n_groups, dtype=np.float64)
    if len(group) == 0:
        return acc
    order = np.argsort(group, kind="stable")
    g_sorted = group[order]
    starts = np.flatnonzero(np.r_[True, g_sorted[1:] != g_sorted[:-1]])
    lengths = np.diff(np.r_[starts, len(g_sorted)])
    rank = np.arange(len(g_sorted)) - np.repeat(starts, lengths)
    by_rank = np.argsort(rank, kind="stable")
    bounds = np.searchsorted(rank[by_rank], np.arange(rank.max() + 2))
    comp = np.zeros(n_groups, dtype=np.float64)
    for r in range(len(bounds) - 1):
        rows = order[by_rank[bounds[r]:bounds[r + 1]]]
        g, x = group[rows], values[rows]
        if r == 0:
            acc[g] = 0.0 + x  # sum() starts from the integer 0
            continue
        s = acc[g]
        t = s + x
        if COMPENSATED_SUM:
            big = np.abs(s) >= np.abs(x)
            comp[g] += np.where(big, (s - t) + x, (x - t) + s)
        acc[g] = t
    if COMPENSATED_SUM:
        fix = (comp != 0) & np.isfinite(comp)
        acc[fix] += comp[fix]
    return acc
