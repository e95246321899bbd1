"""Compile a rulebook for one epoch: parameters folded in, lets inlined, and a durable-rules ruleset.

An epoch is a stretch of dates over which no parameter value and no benefit version changes (the
1 January re-indexation starts a new one). Within an epoch every parameter is a constant, so each
benefit's conditions fold down to comparisons of indicators with constants: exactly what a RETE
network matches well. The rare comparison that still needs arithmetic on indicators (the АСП
poverty line, a maximum of two terms) becomes a derived term computed once per family and compared
with zero, so the logic itself stays inside durable-rules.

Numeric literals in conditions are normalised to the nearest double: durable-rules compares JSON
doubles, and the explanation and vectorised paths must compare the very same numbers. Amount
formulas keep exact decimals; they are evaluated outside the matcher.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from engine import expr, indicators, rulefile
from engine.errors import EvaluationError
from engine.rulefile import Benefit, DeprivationRule, Rulebook, Version, WellbeingModel

MIN_DATE = dt.date(1900, 1, 1)
_OPS = {"<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte", "!=": "$neq"}
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}
_NEGATE = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}


@dataclass(frozen=True)
class CompiledCase:
    """An amount band with its condition (normalised) and formula (exact)."""

    id: str
    when: expr.Node | None
    formula: expr.Node
    formula_source: str
    when_fn: expr.Compiled | None = None
    formula_fn: expr.Compiled | None = None
    # The arithmetic as text with this epoch's parameter values in it and a placeholder per indicator
    # (and per region-keyed parameter, filled with the family's region's value).
    arithmetic: tuple[str, tuple[str, ...]] = ("", ())
    regional: dict[str, tuple[expr.Value, tuple[tuple[str, expr.Value], ...]]] = field(default_factory=dict)


Scalar = int | float | str | bool | None


class ShownName(NamedTuple):
    """Where an explanation finds a name a condition shows, when the family's indicators lack it."""

    name: str
    let_fn: expr.Compiled | None  # the let's compiled value, when the name is a let
    param: Scalar  # the parameter as JSON shows it, when `is_param`
    is_param: bool


class ExplainedCondition(NamedTuple):
    """A condition as its explanation shows it: the rule's text, its compiled test, the names shown."""

    text: str
    fn: expr.Compiled
    shown: tuple[ShownName, ...]


@dataclass
class CompiledBenefit:
    """One benefit as it stands in this epoch."""

    benefit: Benefit
    version: Version | None
    conditions: list[expr.Node] = field(default_factory=list)
    cases: list[CompiledCase] = field(default_factory=list)
    triggers: list[tuple[str, expr.Node]] = field(default_factory=list)
    lets: dict[str, expr.Node] = field(default_factory=dict)
    params_used: dict[str, tuple[expr.Value, dt.date]] = field(default_factory=dict)
    # Precomputed for explanations, which run on every decision: the names each condition shows,
    # and the parameters with the dates they took effect.
    shown: list[tuple[str, ...]] = field(default_factory=list)
    name_view: dict[str, str] = field(default_factory=dict)
    param_view: dict[str, Scalar] = field(default_factory=dict)
    param_dates: dict[str, str] = field(default_factory=dict)
    cond_fns: list[expr.Compiled] = field(default_factory=list)
    trigger_fns: list[expr.Compiled] = field(default_factory=list)
    let_fns: dict[str, expr.Compiled] = field(default_factory=dict)
    # The same, resolved once so that explaining a decision only looks up what varies by family.
    explained: list[ExplainedCondition] = field(default_factory=list)
    requires: tuple[str, ...] = ()
    trigger_reasons: tuple[str, ...] = ()
    # Summaries already written, by outcome and the values they show: families share most of them, and a shared
    # string costs nothing to build and less to serialise (see `explain`). Bounded by `explain`.
    summaries: dict[tuple[Any, ...], tuple[str, ...]] = field(default_factory=dict, compare=False, repr=False)
    # Whole explained decisions already written, by outcome and the values of every indicator the
    # benefit reads (see `assessment.Assessment.decision`), with the lookups and hits so far.
    decisions: dict[tuple[Any, ...], dict[str, Any]] = field(default_factory=dict, compare=False, repr=False)
    decision_lookups: list[int] = field(default_factory=lambda: [0, 0], compare=False, repr=False)
    # The unit of every name the version's citizen-facing texts show (KZT, share, persons, ...).
    units: dict[str, str] = field(default_factory=dict)
    # The same decisions without their trace, in the languages asked for (`Assessment.brief`).
    briefs: dict[tuple[Any, ...], dict[str, Any]] = field(default_factory=dict, compare=False, repr=False)

    @functools.cached_property
    def reads(self) -> tuple[str, ...]:
        """Every indicator a decision on this benefit depends on (through lets, too), sorted."""
        nodes: list[expr.Node] = [*self.conditions, *(node for _, node in self.triggers), *self.lets.values()]
        for case in self.cases:
            nodes.append(case.formula)
            if case.when is not None:
                nodes.append(case.when)
        found: set[str] = set(self.requires)
        for node in nodes:
            found |= expr.names(node)
        # What the explanation shows, from the conditions as written (folding may have dropped a
        # name, e.g. behind a parameter that is false in this epoch) and the amount arithmetic.
        for shown in self.shown:
            found.update(shown)
        # ... and every indicator a citizen-facing text shows (folding never drops those).
        found.update(n for n in self.units if n in indicators.REGISTRY)
        for case in self.cases:
            found.update(case.arithmetic[1])
        return tuple(sorted(found - set(self.lets)))


@dataclass(frozen=True)
class Term:
    """A derived value put in the fact: a numeric difference or a boolean the matcher cannot form."""

    name: str
    node: expr.Node
    kind: str  # "number" | "bool"
    fn: expr.Compiled


@dataclass
class Program:
    """Everything the evaluators need for dates within [start, end]."""

    start: dt.date
    end: dt.date
    version: str
    benefits: list[CompiledBenefit]
    wellbeing: list[tuple[DeprivationRule, expr.Node]]
    indicator_names: list[str]
    terms: list[Term]
    durable: dict[str, Any]
    rule_meta: dict[str, tuple[int, str, int]]
    rounding: str
    params: dict[str, tuple[expr.Value, dt.date]]
    wellbeing_fns: list[expr.Compiled] = field(default_factory=list)
    # The completeness flags of the fact: (`_ok<i>`, the indicators benefit i requires).
    requires_flags: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    # Each deprivation as the answer shows it whether or not it holds: id, dimension, weight.
    wellbeing_shown: list[tuple[str, str, float]] = field(default_factory=list)
    # The well-being level, label and score by which deprivations hold, with the model they were
    # read from (filled by `explain`; at most one entry per combination of deprivations).
    wellbeing_levels: dict[tuple[bool, ...], tuple[WellbeingModel, int, str, float]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @functools.cached_property
    def ruleset_name(self) -> str:
        """A durable-rules ruleset name unique to this rulebook version and epoch (asked twice per family)."""
        return f"fc_{self.version.split(':')[-1]}_{self.start.strftime('%Y%m%d')}"


def _normalise(node: expr.Node) -> expr.Node:
    """Replace every numeric literal by the decimal of its nearest double."""

    def norm(n: expr.Node) -> expr.Node:
        if isinstance(n, expr.Num):
            return expr.Num(Decimal(repr(float(n.value))), n.offset)
        return n

    def walk(n: expr.Node) -> expr.Node:
        if isinstance(n, expr.Num):
            return norm(n)
        kids = [walk(c) for c in expr.children(n)]
        return expr._rebuild(n, kids) if kids else n

    return walk(node)


class _Folder:
    """Inlines lets and folds the parameters in force in one epoch."""

    def __init__(self, params: dict[str, tuple[expr.Value, dt.date]], lets: dict[str, expr.Node],
                 regional: dict[str, tuple[tuple[str, expr.Value], ...]] | None = None):
        self.params = params
        self.lets = lets
        self.regional = regional or {}
        self.used: dict[str, tuple[expr.Value, dt.date]] = {}

    def __call__(self, node: expr.Node) -> expr.Node:
        return expr.fold(expr.substitute(node, self._replace))

    def inline_only(self, name: expr.Name) -> expr.Node | None:
        """Inline lets but leave parameter names in place."""
        if name.name in self.lets:
            return expr.substitute(self.lets[name.name], self.inline_only)
        return None

    def _replace(self, name: expr.Name) -> expr.Node | None:
        if name.name in self.lets:
            return expr.substitute(self.lets[name.name], self._replace)
        if name.name in self.params:
            value, since = self.params[name.name]
            self.used[name.name] = (value, since)
            return param_node(value, self.regional.get(name.name, ()))
        return None


def param_node(value: expr.Value, by_region: tuple[tuple[str, expr.Value], ...]) -> expr.Node:
    """A parameter's value in this epoch: a constant, or a choice on the family's region."""
    node = expr.literal(value)
    for code, v in reversed(by_region):
        node = expr.IfExp(expr.Cmp("==", expr.Name("region"), expr.Str(code)), expr.literal(v), node)
    return node


def change_points(book: Rulebook) -> list[dt.date]:
    """Sorted dates on which some parameter value or benefit version starts or stops."""
    points = {MIN_DATE, *book.params.change_dates()}
    for b in book.benefits:
        for v in b.versions:
            points.add(v.start)
            if v.end < dt.date.max - dt.timedelta(days=1):
                points.add(v.end + dt.timedelta(days=1))
    return sorted(points)


def epoch_of(points: list[dt.date], when: dt.date) -> tuple[dt.date, dt.date]:
    """The epoch [start, end] containing `when`."""
    i = bisect.bisect_right(points, when) - 1
    start = points[max(i, 0)]
    end = points[i + 1] - dt.timedelta(days=1) if i + 1 < len(points) else dt.date.max
    return start, end


def compile_epoch(book: Rulebook, start: dt.date, end: dt.date) -> Program:
    """Compile the rulebook for the epoch [start, end]."""
    params = book.params.values_at(start)
    regional = book.params.regional_at(start)
    compiled: list[CompiledBenefit] = []
    names: set[str] = set()
    for b in book.benefits:
        v = b.version_at(start)
        cb = CompiledBenefit(b, v, name_view=b.name.model_dump())
        if v is not None:
            raw_lets = {k: s.node for k, s in v.lets.items()}
            folder = _Folder(params, raw_lets, regional)
            cb.lets = {k: folder(n) for k, n in raw_lets.items()}
            cb.conditions = [_normalise(folder(c.node)) for c in v.conditions]
            cases = []
            for c in v.cases:
                when = _normalise(folder(c.when.node)) if c.when else None
                formula = folder(c.formula.node)
                raw = expr.substitute(c.formula.node, folder.inline_only)
                with_params = expr.substitute(
                    raw, lambda n: expr.literal(params[n.name][0]) if n.name in params and n.name not in regional
                    else None,
                )
                shown_regional = {
                    n: (params[n][0], regional[n]) for n in expr.names(raw) if n in regional and n in params
                }
                cases.append(
                    CompiledCase(
                        c.id,
                        when,
                        formula,
                        c.formula.text,
                        expr.compile_fn(when) if when is not None else None,
                        expr.compile_fn(formula),
                        expr.text_template(with_params, set(indicators.REGISTRY) | set(shown_regional)),
                        shown_regional,
                    )
                )
            cb.cases = cases
            cb.triggers = [(t.reason, _normalise(folder(t.when.node))) for t in v.triggers]
            cb.params_used = dict(sorted(folder.used.items()))
            cb.cond_fns = [expr.compile_fn(c) for c in cb.conditions]
            cb.trigger_fns = [expr.compile_fn(n) for _, n in cb.triggers]
            cb.let_fns = {k: expr.compile_fn(n) for k, n in cb.lets.items()}
            cb.shown = [tuple(sorted(expr.names(c.node))) for c in v.conditions]
            cb.param_view = {k: scalar(val) for k, (val, _) in cb.params_used.items()}
            cb.param_dates = {k: d.isoformat() for k, (_, d) in cb.params_used.items()}
            cb.explained = [
                ExplainedCondition(c.text, fn, tuple(_shown_name(n, cb) for n in names))
                for c, fn, names in zip(v.conditions, cb.cond_fns, cb.shown, strict=True)
            ]
            cb.requires = tuple(v.requires)
            cb.units = text_units(book, v)
            cb.trigger_reasons = tuple(reason for reason, _ in cb.triggers)
            for n in [
                *cb.conditions,
                *(c.formula for c in cb.cases),
                *(c.when for c in cb.cases if c.when),
                *(n for _, n in cb.triggers),
                *cb.lets.values(),
            ]:
                names |= expr.names(n)
            names |= set(v.requires)
            names |= {n for n in cb.units if n in indicators.REGISTRY}
        compiled.append(cb)
    wb_folder = _Folder(params, {}, regional)
    wellbeing = [(d, _normalise(wb_folder(d.when.node))) for d in book.wellbeing.deprivations]
    wellbeing_fns = [expr.compile_fn(n) for _, n in wellbeing]
    for _, n in wellbeing:
        names |= expr.names(n)
    unresolved = sorted(n for n in names if n not in indicators.REGISTRY)
    if unresolved:
        param = book.params.params.get(unresolved[0])
        since = f"from {param.entries[0].start.isoformat()} on" if param else "on that date"
        raise EvaluationError(
            "as_of",
            f"parameter '{unresolved[0]}' has a value only {since}; the rules cannot be applied to an earlier date",
        )
    ind_names = [n for n in indicators.REGISTRY if n in names]
    rounding = str(params.get("amount_rounding", ("half_up", start))[0])
    program = Program(
        start, end, book.version, compiled, wellbeing, ind_names, [], {}, {}, rounding, params, wellbeing_fns
    )
    program.requires_flags = [(f"_ok{i}", cb.requires) for i, cb in enumerate(compiled) if cb.requires]
    program.wellbeing_shown = [(d.id, d.dimension, float(d.weight)) for d, _ in wellbeing]
    _build_durable(program)
    return program


def text_units(book: Rulebook, v: Version) -> dict[str, str]:
    """The unit of each name a version's texts show: the indicator's, the parameter's, or a let's.

    A let has no declared unit: it is an amount in tenge when its expression reads one, else a number.
    """
    texts = [*v.condition_texts, *(c.text for c in v.cases if c.text), *(t.text for t in v.triggers if t.text)]
    names: set[str] = set()
    for t in texts:
        for lang_text in (t.kk, t.ru, t.en):
            names.update(m.group(1) for m in rulefile.PLACEHOLDER.finditer(lang_text))

    def unit(n: str, seen: frozenset[str] = frozenset()) -> str:
        if n in indicators.REGISTRY:
            return indicators.REGISTRY[n].unit
        if n in book.params.params:
            return book.params.params[n].unit
        if n in v.lets and n not in seen:
            inner = [unit(m, seen | {n}) for m in expr.names(v.lets[n].node)]
            return "KZT" if "KZT" in inner else "number"
        return "number"

    return {n: unit(n) for n in sorted(names)}


def _shown_name(name: str, cb: CompiledBenefit) -> ShownName:
    """A shown name's fallbacks, in the order explanations try them after the indicators: let, parameter."""
    if name in cb.lets:
        let = cb.lets[name]
        if isinstance(let, expr.Num | expr.Str | expr.Bool):  # folded to a constant in this epoch
            return ShownName(name, None, scalar(let.value), True)
        return ShownName(name, cb.let_fns[name], None, False)
    if name in cb.param_view:
        return ShownName(name, None, cb.param_view[name], True)
    return ShownName(name, None, None, False)


def scalar(v: expr.Value | indicators.IndicatorValue) -> Scalar:
    """A value as JSON shows it: whole decimals as integers."""
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    return v


# --- durable-rules ruleset -----------------------------------------------------------------------


class _Translator:
    """Turns folded boolean expressions into durable-rules JSON conditions."""

    def __init__(self, program: Program):
        self.program = program
        self.kinds = {n: i.kind for n, i in indicators.REGISTRY.items()}
        self.by_text: dict[str, Term] = {}

    def term(self, node: expr.Node, kind: str) -> str:
        key = kind + ":" + expr.to_text(node)
        if key not in self.by_text:
            t = Term(f"_t{len(self.by_text)}", node, kind, expr.compile_fn(node))
            self.by_text[key] = t
            self.program.terms.append(t)
        return self.by_text[key].name

    def condition(self, node: expr.Node, negate: bool = False) -> dict[str, Any] | bool:
        """A durable condition, or True/False when the expression is constant."""
        if isinstance(node, expr.Bool):
            return node.value != negate
        if isinstance(node, expr.Unary) and node.op == "not":
            return self.condition(node.operand, not negate)
        if isinstance(node, expr.BoolOp):
            op: str = node.op
            if negate:
                op = "or" if op == "and" else "and"
            parts = [self.condition(i, negate) for i in node.items]
            absorbing = op == "or"
            if any(p is absorbing for p in parts):
                return absorbing
            kept = [p for p in parts if not isinstance(p, bool)]
            if not kept:
                return not absorbing
            return kept[0] if len(kept) == 1 else {f"${op}": kept}
        if isinstance(node, expr.Name):  # a bool indicator
            return {node.name: 0 if negate else 1}
        if isinstance(node, expr.Cmp):
            op = _NEGATE[node.op] if negate else node.op
            return self._compare(op, node.left, node.right)
        name = self.term(node, "bool")
        return {name: 0 if negate else 1}

    def _compare(self, op: str, left: expr.Node, right: expr.Node) -> dict[str, Any]:
        if isinstance(right, expr.Name) and isinstance(left, expr.Num | expr.Str | expr.Bool):
            left, right, op = right, left, _FLIP[op]
        if isinstance(left, expr.Name) and isinstance(right, expr.Num | expr.Str | expr.Bool):
            value = _json_value(right)
            return {left.name: value} if op == "==" else {_OPS[op]: {left.name: value}}
        if isinstance(left, expr.Name) and isinstance(right, expr.Name) and op not in ("==", "!="):
            return {_OPS[op]: {left.name: {"$m": right.name}}}
        if op in ("==", "!=") and not self._numeric(left):
            name = self.term(expr.Cmp("==", left, right), "bool")
            return {name: 1 if op == "==" else 0}
        name = self.term(expr.Bin("-", left, right), "number")
        return {name: 0} if op == "==" else {_OPS[op]: {name: 0}}

    def _numeric(self, node: expr.Node) -> bool:
        if isinstance(node, expr.Num | expr.Bin | expr.Call):
            return True
        if isinstance(node, expr.Name):
            return self.kinds.get(node.name) == "number"
        if isinstance(node, expr.Unary):
            return node.op == "-"
        if isinstance(node, expr.IfExp):
            return self._numeric(node.then)
        return False


def _json_value(node: expr.Num | expr.Str | expr.Bool) -> Any:
    if isinstance(node, expr.Bool):
        return 1 if node.value else 0
    if isinstance(node, expr.Num):
        f = float(node.value)
        return int(f) if f.is_integer() and abs(f) < 2**53 else f
    return node.value


def _all(parts: list[dict[str, Any] | bool]) -> dict[str, Any] | bool:
    if any(p is False for p in parts):
        return False
    kept = [p for p in parts if not isinstance(p, bool)]
    if not kept:
        return True
    return kept[0] if len(kept) == 1 else {"$and": kept}


def _build_durable(program: Program) -> None:
    tr = _Translator(program)
    always = {"_one": 1}
    for i, cb in enumerate(program.benefits):
        if cb.version is None:
            continue
        base = [tr.condition(c) for c in cb.conditions]
        if cb.version.requires:
            base.append({f"_ok{i}": 1})
        for k, case in enumerate(cb.cases):
            cond = _all([*base, tr.condition(case.when) if case.when is not None else True])
            if cond is False:
                continue
            name = f"b{i}_c{k}"
            program.durable[name] = {"all": [{"m": always if cond is True else cond}]}
            program.rule_meta[name] = (i, "case", k)
        for k, (_, node) in enumerate(cb.triggers):
            cond = tr.condition(node)
            if cond is False:
                continue
            name = f"b{i}_r{k}"
            program.durable[name] = {"all": [{"m": always if cond is True else cond}]}
            program.rule_meta[name] = (i, "trigger", k)


# --- facts ---------------------------------------------------------------------------------------


def env_value(v: indicators.IndicatorValue) -> expr.Value:
    """An indicator value as the expression evaluator sees it (unknown counts as 0; see requires)."""
    if v is None:
        return Decimal(0)
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return Decimal(v)
    if isinstance(v, float):
        return Decimal(repr(v))
    return v


# Counts, ages and months are small integers: their decimals are made once (a Decimal is immutable).
_SMALL_INTS = {i: Decimal(i) for i in range(-1200, 1200)}
_PLUS_ZERO_FLOAT = Decimal(repr(0.0))


def environment(program: Program, values: dict[str, indicators.IndicatorValue]) -> dict[str, expr.Value]:
    """The evaluation environment for a family's indicators (`env_value` of each)."""
    env: dict[str, expr.Value] = {}
    small = _SMALL_INTS
    for n in program.indicator_names:
        v = values[n]
        # `env_value`, written out for the common types: it runs ~50 times a family.
        if type(v) is int:
            d = small.get(v)
            env[n] = Decimal(v) if d is None else d
        elif type(v) is float:
            env[n] = _PLUS_ZERO_FLOAT if v == 0.0 and math.copysign(1.0, v) > 0 else Decimal(repr(v))
        elif v is True or v is False:
            env[n] = v
        else:
            env[n] = env_value(v)
    return env


def fact(
    program: Program, values: dict[str, indicators.IndicatorValue], env: dict[str, expr.Value], fact_id: int
) -> dict[str, Any]:
    """The durable-rules fact for one family: indicators, derived terms and completeness flags."""
    out: dict[str, Any] = {"id": fact_id, "_one": 1}
    for n in program.indicator_names:
        v = values[n]
        # Booleans as 1/0 (`v is True` is `isinstance(v, bool) and v`: bool has no subclasses).
        if v is True:
            out[n] = 1
        elif v is False or v is None:
            out[n] = 0
        else:
            out[n] = v
    for t in program.terms:
        value = t.fn(env)
        if t.kind == "bool":
            out[t.name] = 1 if value else 0
        else:
            assert isinstance(value, Decimal)
            # The exact difference's sign survives the conversion to a double; no rounding here.
            out[t.name] = float(value)
    for key, requires in program.requires_flags:
        out[key] = 1
        for r in requires:
            if values.get(r) is None:
                out[key] = 0
                break
    return out
