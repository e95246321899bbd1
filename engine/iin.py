"""The Kazakh individual identification number (IIN, ЖСН): check digit, validation, generation.

The 2007 formation rules put the birth date (YYMMDD) in digits 1-6 and a century/sex digit in
digit 7; a decree of 2013 unbound the digits from personal data, and the IIN law keeps a number
when the birth date or sex is corrected. So a snapshot is refused only for a wrong check digit or an
impossible structure (`structure_problem`); digits that disagree with the registry
(`consistency_problem`) are a data-quality finding. Eligibility never reads a date or sex from an IIN.
"""

from __future__ import annotations

import datetime as dt
import operator

import numpy as np
import numpy.typing as npt

W1 = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
W2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
# Every member of every snapshot is checked, so ASCII digits are weighed as bytes: the sum of the
# weighted character codes less 48 ('0') times the sum of the weights is the sum of weighted digits.
_ZERO_W1 = ord("0") * sum(W1)
_ZERO_W2 = ord("0") * sum(W2)
_CENTURY_BASE = {18: 1, 19: 3, 20: 5}
_TWO_DIGITS = tuple(f"{i:02d}" for i in range(100))


def _check_of_codes(codes: bytes) -> int | None:
    """`check_digit` of the first eleven bytes of ASCII digits (a twelfth, if any, is ignored)."""
    a: int = (sum(map(operator.mul, codes, W1)) - _ZERO_W1) % 11
    if a != 10:
        return a
    b: int = (sum(map(operator.mul, codes, W2)) - _ZERO_W2) % 11
    return None if b == 10 else b


def check_digit(first11: str) -> int | None:
    """The 12th digit for eleven digits, or None when the number can never be issued."""
    if len(first11) == 11 and first11.isascii() and first11.isdigit():
        return _check_of_codes(first11.encode("ascii"))
    # Other digits (Unicode ones pass `isdigit`), or a wrong length: refused or weighed as before.
    digits = [int(c) for c in first11]
    a = sum(d * w for d, w in zip(digits, W1, strict=True)) % 11
    if a != 10:
        return a
    b = sum(d * w for d, w in zip(digits, W2, strict=True)) % 11
    return None if b == 10 else b


def is_valid(iin: str) -> bool:
    """Twelve digits whose last is the check digit of the first eleven."""
    if len(iin) != 12 or not iin.isdigit():
        return False
    if iin.isascii():
        codes = iin.encode("ascii")
        return _check_of_codes(codes) == codes[11] - 48
    return check_digit(iin[:11]) == int(iin[11])


def century_sex_digit(birth_date: dt.date, sex: str) -> int:
    """Digit 7: 1/2 for the 19th century, 3/4 for the 20th, 5/6 for the 21st; odd is male."""
    # Years 1800-1899 count as the 19th century in the IIN sense, 1900-1999 the 20th, 2000-2099 the 21st.
    base = _CENTURY_BASE[birth_date.year // 100]
    return base + (0 if sex == "male" else 1)


def structure_problem(iin: str) -> str | None:
    """Why an IIN can never have been issued (check digit, a real date in digits 1-6, digit 7 in 1-6), or None."""
    if not iin.isascii() or not is_valid(iin):
        return "check digit does not match (or not 12 digits)" if iin.isascii() else "not 12 ASCII digits"
    century = int(iin[6])
    if not 1 <= century <= 6:
        # Messages name no digit: they end up in dead-letter reasons and logs (issue 11).
        return "digit 7 is not a century/sex digit (1-6)"
    year = {1: 1800, 2: 1800, 3: 1900, 4: 1900, 5: 2000, 6: 2000}[century] + int(iin[:2])
    try:
        dt.date(year, int(iin[2:4]), int(iin[4:6]))
    except ValueError:
        return "digits 1-6 are not a date"
    return None


def implied(iin: str) -> tuple[dt.date, str] | None:
    """The birth date and sex an IIN's digits state, or None when its structure is impossible."""
    if structure_problem(iin) is not None:
        return None
    century = int(iin[6])
    year = {1: 1800, 2: 1800, 3: 1900, 4: 1900, 5: 2000, 6: 2000}[century] + int(iin[:2])
    return dt.date(year, int(iin[2:4]), int(iin[4:6])), ("male" if century % 2 else "female")


def consistency_problem(iin: str, birth_date: dt.date, sex: str) -> str | None:
    """Why the IIN disagrees with the registry's birth date and sex, or None when it agrees."""
    if not is_valid(iin):
        return "check digit does not match (or not 12 digits)"
    # `birth_date.strftime("%y%m%d")`, at a tenth of the cost.
    if iin[:6] != _TWO_DIGITS[birth_date.year % 100] + _TWO_DIGITS[birth_date.month] + _TWO_DIGITS[birth_date.day]:
        # The message names no digit and no date: it ends up in dead-letter reasons and logs (issue 11).
        return "digits 1-6 do not match birth_date"
    if int(iin[6]) != century_sex_digit(birth_date, sex):
        return "digit 7 does not match the century of birth and the sex"
    return None


def make(birth_date: dt.date, sex: str, serial: int) -> str:
    """An issuable IIN for a person; bumps the serial past numbers that can never be issued."""
    prefix = birth_date.strftime("%y%m%d") + str(century_sex_digit(birth_date, sex))
    while True:
        first11 = f"{prefix}{serial % 10000:04d}"
        digit = check_digit(first11)
        if digit is not None:
            return first11 + str(digit)
        serial += 1


def check_digits_vectorised(first11: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Check digits for an (n, 11) digit array; -1 where the number can never be issued."""
    a = (first11 * np.array(W1)).sum(axis=1) % 11
    b = (first11 * np.array(W2)).sum(axis=1) % 11
    out = np.where(a != 10, a, np.where(b != 10, b, -1))
    return out.astype(np.int64)
