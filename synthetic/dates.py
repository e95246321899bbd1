"""Calendar arithmetic on arrays of days since 1970-01-01, without datetime objects.

IINs need the year, month and day of millions of birth dates, and ages need completed years;
numpy's datetime64 casts do it but slowly, so this uses Howard Hinnant's `civil_from_days`
integer algorithm (the proleptic Gregorian calendar, exact for every date).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy.typing as npt

Ints = npt.NDArray[np.int64]
EPOCH = dt.date(1970, 1, 1)


def day_number(date: dt.date) -> int:
    """Days since 1970-01-01."""
    return (date - EPOCH).days


def civil(days: Ints) -> tuple[Ints, Ints, Ints]:
    """(year, month, day) for each day number."""
    z = np.asarray(days, dtype=np.int64) + 719_468
    era = np.floor_divide(z, 146_097)
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    return year, month, day


def completed_years(birth_days: Ints, as_of: dt.date) -> Ints:
    """Age in completed years on `as_of` of people born on these days."""
    year, month, day = civil(birth_days)
    before = (month > as_of.month) | ((month == as_of.month) & (day > as_of.day))
    return np.asarray(as_of.year - year - before, dtype=np.int64)
