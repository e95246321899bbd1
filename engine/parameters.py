"""Dated parameters: MRP, the subsistence minimum, coefficients, each value with its source.

Parameters are data, as in OpenFisca: each has a description, a unit and `values` keyed by the
date from which a value is in force, each value with its own legal or statistical reference.
Code asks for the value in force on a date: the latest entry on or before it. A `value: null`
ends a parameter. No tenge figure lives in code; they all come from here.

Two keyings beyond the date, for values the law sets per region and per quarter (the regional
quarterly subsistence minimum of АСП, the maslikhats' housing-assistance shares):

- `by_region: {KZ-43: 0.07, ...}` next to `value`: the value for the regions listed, `value` for every
  other region. The rules read the parameter by name as before; the compiler turns it into a choice
  on the family's `region`.
- `period: quarter` on the parameter: every date key must start a quarter (1 January, April, July,
  October), so a quarterly series cannot drift off its quarters by a typo.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from engine import expr, yamlpos
from engine.errors import RuleError

PARAM_KEYS = {"description", "unit", "values", "reference", "note", "period"}
VALUE_KEYS = {"value", "reference", "note", "unconfirmed", "by_region"}
PERIODS = ("quarter",)
UNITS = {"KZT", "coefficient", "share", "years", "months", "days", "flag", "text", "count", "percent"}


@dataclass(frozen=True)
class Entry:
    """One dated value of a parameter."""

    start: dt.date
    value: expr.Value | None
    reference: str
    unconfirmed: bool = False
    by_region: tuple[tuple[str, expr.Value], ...] = ()


@dataclass
class Parameter:
    """A parameter: its dated values in order, and where it was defined."""

    name: str
    description: str
    unit: str
    type: expr.Type
    entries: list[Entry]
    path: str
    line: int

    def entry_at(self, when: dt.date) -> Entry | None:
        """The entry in force on `when`, or None before the first or after an ending null."""
        starts = [e.start for e in self.entries]
        i = bisect.bisect_right(starts, when) - 1
        if i < 0 or self.entries[i].value is None:
            return None
        return self.entries[i]

    def gap_in(self, start: dt.date, end: dt.date | None) -> dt.date | None:
        """The first date in [start, end] with no value in force, or None when covered."""
        if self.entry_at(start) is None:
            return start
        for e in self.entries:
            if e.start > start and (end is None or e.start <= end) and e.value is None:
                return e.start
        return None


@dataclass
class ParameterSet:
    """Every parameter of a rule directory."""

    params: dict[str, Parameter] = field(default_factory=dict)

    def types(self) -> dict[str, expr.Type]:
        """Name → type, for the expression type checker."""
        return {n: p.type for n, p in self.params.items()}

    def change_dates(self) -> set[dt.date]:
        """Every date on which some parameter value changes."""
        return {e.start for p in self.params.values() for e in p.entries}

    def regional_at(self, when: dt.date) -> dict[str, tuple[tuple[str, expr.Value], ...]]:
        """The region-keyed values in force on `when` (name -> (region, value) pairs), where any."""
        out: dict[str, tuple[tuple[str, expr.Value], ...]] = {}
        for name, p in self.params.items():
            e = p.entry_at(when)
            if e is not None and e.by_region:
                out[name] = e.by_region
        return out

    def values_at(self, when: dt.date) -> dict[str, tuple[expr.Value, dt.date]]:
        """Every parameter in force on `when`, with the date its value took effect."""
        out: dict[str, tuple[expr.Value, dt.date]] = {}
        for name, p in self.params.items():
            e = p.entry_at(when)
            if e is not None and e.value is not None:
                out[name] = (e.value, e.start)
        return out


def _typed(raw: object) -> tuple[expr.Value, expr.Type] | None:
    if isinstance(raw, bool):
        return raw, "bool"
    if isinstance(raw, int | float):
        return Decimal(str(raw)), "number"
    if isinstance(raw, str):
        return raw, "str"
    return None


def load_dir(directory: Path, root: Path) -> tuple[ParameterSet, list[RuleError]]:
    """Load every `*.yaml` under `directory`; all errors are collected, none raised."""
    out = ParameterSet()
    errors: list[RuleError] = []
    for path in sorted(directory.rglob("*.yaml")):
        doc = yamlpos.load(path, _display(path, root))
        errors.extend(doc.errors)
        if doc.errors:
            continue
        if not isinstance(doc.data, dict):
            errors.append(doc.error((), "schema", "a parameter file is a mapping of parameter names"))
            continue
        for name, body in doc.data.items():
            errors.extend(_load_one(doc, str(name), body, out))
    return out, errors


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


def _load_one(doc: yamlpos.Located, name: str, body: object, out: ParameterSet) -> list[RuleError]:
    errors: list[RuleError] = []
    key: yamlpos.PathKey = (name,)
    if any(w in name.lower() for w in expr.FORBIDDEN_WORDS):
        return [doc.error(key, "prohibited-attribute", f"parameter '{name}' names a prohibited attribute")]
    if name in out.params:
        first = out.params[name]
        return [doc.error(key, "duplicate-id", f"parameter '{name}' is already defined at {first.path}:{first.line}")]
    if not isinstance(body, dict):
        return [doc.error(key, "schema", f"parameter '{name}' must be a mapping with description, unit, values")]
    errors.extend(yamlpos.unknown_keys(doc, key, body, PARAM_KEYS, f"parameter '{name}'"))
    for required in ("description", "unit", "values"):
        if required not in body:
            errors.append(doc.error(key, "missing-key", f"parameter '{name}' needs '{required}'"))
    unit = body.get("unit")
    if unit is not None and unit not in UNITS:
        errors.append(
            doc.error((*key, "unit"), "unit", f"unknown unit '{unit}'", expr.suggest(str(unit), sorted(UNITS)))
        )
    period = body.get("period")
    if period is not None and period not in PERIODS:
        errors.append(doc.error((*key, "period"), "period", f"period must be one of {', '.join(PERIODS)}"))
    values = body.get("values")
    if values is not None and not isinstance(values, dict):
        errors.append(doc.error((*key, "values"), "schema", "'values' maps dates (YYYY-MM-DD) to {value, reference}"))
        values = None
    entries: list[Entry] = []
    ptype: expr.Type | None = None
    for date_key, item in (values or {}).items():
        vkey = (*key, "values", date_key)
        try:
            start = dt.date.fromisoformat(str(date_key))
        except ValueError:
            errors.append(doc.error(vkey, "date", f"'{date_key}' is not a date (YYYY-MM-DD)"))
            continue
        if not isinstance(item, dict):
            errors.append(doc.error(vkey, "schema", "each dated value is {value: ..., reference: ...}"))
            continue
        if period == "quarter" and (start.day != 1 or start.month not in (1, 4, 7, 10)):
            errors.append(doc.error(vkey, "period", f"{start} does not start a quarter (this parameter is quarterly)"))
        errors.extend(yamlpos.unknown_keys(doc, vkey, item, VALUE_KEYS, "a dated value"))
        if "value" not in item:
            errors.append(doc.error(vkey, "missing-key", "a dated value needs 'value' (null ends the parameter)"))
            continue
        if item["value"] is not None and not item.get("reference"):
            errors.append(doc.error(vkey, "missing-reference", "every value needs a 'reference' (its legal source)"))
        typed = None if item["value"] is None else _typed(item["value"])
        if item["value"] is not None and typed is None:
            errors.append(doc.error((*vkey, "value"), "type", "a value is a number, true/false or text"))
            continue
        if typed is not None:
            if ptype is not None and typed[1] != ptype:
                errors.append(
                    doc.error((*vkey, "value"), "type-mismatch", f"value is a {typed[1]}, earlier ones are {ptype}s")
                )
            ptype = ptype or typed[1]
        regional: list[tuple[str, expr.Value]] = []
        raw_regions = item.get("by_region")
        if raw_regions is not None:
            from engine.model import REGIONS  # the snapshot's region codes (ISO 3166-2:KZ)

            if not isinstance(raw_regions, dict) or not raw_regions:
                errors.append(doc.error((*vkey, "by_region"), "schema", "'by_region' maps region codes to values"))
                raw_regions = {}
            for code, rv in raw_regions.items():
                if code not in REGIONS:
                    errors.append(doc.error((*vkey, "by_region", code), "unknown-value",
                                            f"'{code}' is not a region code", expr.suggest(str(code), list(REGIONS))))
                    continue
                rt = _typed(rv)
                if rt is None or typed is None or rt[1] != typed[1]:
                    errors.append(doc.error((*vkey, "by_region", code), "type-mismatch",
                                            "a regional value has the type of 'value'"))
                    continue
                regional.append((str(code), rt[0]))
        entries.append(
            Entry(
                start,
                typed[0] if typed else None,
                str(item.get("reference", "")),
                bool(item.get("unconfirmed", False)),
                tuple(sorted(regional)),
            )
        )
    if not entries and values is not None:
        errors.append(doc.error((*key, "values"), "empty", f"parameter '{name}' has no values"))
    if errors:
        return errors
    entries.sort(key=lambda e: e.start)
    line = doc.pos(key)[0]
    out.params[name] = Parameter(name, str(body["description"]), str(unit), ptype or "number", entries, doc.path, line)
    return []
