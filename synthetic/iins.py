"""Collision-free IINs for a whole synthetic population, in vectors.

Digits 1-6 are the birth date and digit 7 the century and sex, as the 2007 rules have it
(reference §1.1), so `engine.iin.consistency_problem` accepts every number. Digits 8-11 are a
serial that only has to be unique among people with the same birth date and sex. The serial is
derived from the person's rank in that group, and a counter per (birth date, sex) carried from one
chunk to the next hands out ranks, so numbers are unique without remembering any of them.

Rank r maps to block q = r // 9 and position j = r % 9. A block is ten serials sharing digits 8-10.
Digit 11 has weight 11 = 0 (mod 11) in the first weight vector, so the first checksum is the same
across the block; only when it is 10 does the second checksum decide, and it moves by 2 (mod 11)
per step of digit 11, so at most one serial of the ten can never be issued. Skipping it leaves
nine issuable serials per block, always: 8,991 people per birth date and sex. Blocks are spread
over 001-999 by a fixed permutation so serials do not all start at 0010.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy.typing as npt
import polars as pl

from engine import iin as iin_mod
from synthetic import dates

PER_BLOCK = 9
BLOCKS = 999
CAPACITY = PER_BLOCK * BLOCKS
_SPREAD = 389  # coprime with 999: q -> 1 + (q * 389) % 999 visits every block once
_EPOCH_1800 = -62_091  # days from 1970-01-01 back to 1800-01-01
_KEY_DAYS = 120_000  # 1800-01-01 .. 2128: more than any birth date the generator makes

Int64s = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]


class CapacityError(RuntimeError):
    """More people share a birth date and sex than the serial space can number."""


class SerialCounter:
    """How many serials each (birth date, sex) has used so far; carried across chunks."""

    def __init__(self) -> None:
        self._used = np.zeros(2 * _KEY_DAYS, dtype=np.int64)

    def ranks(self, birth_days: Int64s, male: Bools) -> Int64s:
        """The next free rank for each person (days since 1970-01-01), updating the counter."""
        keys = (np.asarray(birth_days, dtype=np.int64) - _EPOCH_1800) * 2 + (~np.asarray(male, dtype=bool))
        if len(keys) == 0:
            return np.zeros(0, dtype=np.int64)
        order = np.argsort(keys, kind="stable")
        sorted_keys = keys[order]
        starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
        run_lengths = np.diff(np.r_[starts, len(sorted_keys)])
        within = np.arange(len(sorted_keys)) - np.repeat(starts, run_lengths)
        out = np.empty(len(keys), dtype=np.int64)
        out[order] = self._used[sorted_keys] + within
        np.add.at(self._used, sorted_keys[starts], run_lengths)
        if len(out) and int(out.max()) >= CAPACITY:
            raise CapacityError(f"more than {CAPACITY} people share one birth date and sex")
        return out

    def issue(self, birth_date: dt.date, sex: str) -> str:
        """One new IIN for a person (e.g. a newborn on the bus), unique within this counter."""
        days = np.array([dates.day_number(birth_date)], dtype=np.int64)
        male = np.array([sex == "male"])
        return str(to_strings(numbers(days, male, self.ranks(days, male)))[0])


def numbers(birth_days: Int64s, male: Bools, ranks: Int64s) -> Int64s:
    """The 12-digit IINs, as integers, for people with these birth days, sexes and ranks."""
    years, month, day = dates.civil(birth_days)
    century = years // 100
    if np.any((century < 18) | (century > 20)):
        raise ValueError("birth years must lie in 1800-2099 to have an IIN century digit")
    c7 = 1 + 2 * (century - 18) + (~np.asarray(male)).astype(np.int64)
    yy = years % 100
    q, j = np.divmod(np.asarray(ranks, dtype=np.int64), PER_BLOCK)
    block = 1 + (q * _SPREAD) % BLOCKS
    digits10 = (yy // 10, yy % 10, month // 10, month % 10, day // 10, day % 10, c7,
                block // 100, (block // 10) % 10, block % 10)  # fmt: skip
    a = sum(d * w for d, w in zip(digits10, iin_mod.W1, strict=False)) % 11
    b0 = sum(d * w for d, w in zip(digits10, iin_mod.W2, strict=False)) % 11
    unissuable = ((10 - b0) * 6) % 11  # the d11 with b0 + 2*d11 = 10 (mod 11); 6 = 1/2 mod 11
    d11 = np.where(a != 10, j, j + (j >= unissuable))
    check = np.where(a != 10, a, (b0 + 2 * d11) % 11)
    prefix = yy * 10_000 + month * 100 + day
    return np.asarray(((prefix * 10 + c7) * 1000 + block) * 100 + d11 * 10 + check, dtype=np.int64)


def to_strings(values: Int64s) -> pl.Series:
    """IIN integers as 12-character strings with their leading zeros."""
    return pl.Series("iin", values, dtype=pl.Int64).cast(pl.Utf8).str.zfill(12)
