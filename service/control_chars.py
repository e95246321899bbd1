"""Control characters in received text: refused with a 422 naming the field, on every database.

A NUL character is valid JSON (`"\\u0000"`) but PostgreSQL's text and JSONB cannot store it, so
before this check it answered 500 there and 200 on SQLite. No field the service takes has a use
for control characters (C0, DEL, C1); free-text fields (a reviewer's reason) may keep tab and
line breaks. Pure: no web or database imports.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

Loc = list[str | int]

# Every control character: C0, DEL and C1.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LAYOUT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# A quick look at raw JSON bytes: how a control character can appear in valid JSON (escaped as
# \u00XX or \b \f \n \r \t, or DEL and C1 written raw). A hit only means "walk the parsed data".
_MAYBE_IN_JSON = re.compile(
    rb"\\u00[0-1][0-9A-Fa-f]|\\u007[Ff]|\\u008[0-9A-Fa-f]|\\u009[0-9A-Fa-f]|\\[bfnrt]"
    rb"|\x7f|\xc2[\x80-\x9f]|\x00"
)


def maybe_present(raw: bytes) -> bool:
    """Whether raw JSON may hold a control character inside a string (False: it certainly does not)."""
    return _MAYBE_IN_JSON.search(raw) is not None


def found(value: Any, loc: Sequence[str | int], *, layout: bool = False) -> list[dict[str, Any]]:
    """An error entry for every string (or key) in JSON data holding a control character.

    `layout`: tab, line feed and carriage return are allowed (free text). The character is named
    by its code point; the text around it is not echoed.
    """
    pattern = _CONTROL_BUT_LAYOUT if layout else _CONTROL
    errors: list[dict[str, Any]] = []
    _walk(value, list(loc), pattern, errors)
    return errors


def _walk(value: Any, loc: Loc, pattern: re.Pattern[str], errors: list[dict[str, Any]]) -> None:
    if len(errors) >= 20:
        return
    if isinstance(value, str):
        hit = pattern.search(value)
        if hit is not None:
            name = ".".join(str(p) for p in loc[1:]) or (str(loc[0]) if loc else "body")
            errors.append(
                {
                    "loc": loc,
                    "msg": f"{name} holds the control character U+{ord(hit.group()):04X}; text fields take no "
                    "control characters (remove it at the source)",
                    "type": "control_character",
                }
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and pattern.search(key):
                errors.append(
                    {"loc": loc, "msg": "a field name holds a control character", "type": "control_character"}
                )
                continue
            _walk(item, [*loc, key], pattern, errors)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _walk(item, [*loc, i], pattern, errors)
