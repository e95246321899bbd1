"""Rule files: benefits and the well-being model, loaded, checked and turned into plain data.

Stages, each returning plain data and every error it finds (sorted by file and line, all in one
pass): YAML with positions → schema (unknown keys refused, with a suggestion) → expressions parsed
→ type-checked against the indicator and parameter catalogues → cross-file checks (duplicate ids,
overlapping or gapped effective periods, parameters missing for part of a benefit's period,
prohibited attributes, sex-dependent conditions without a stated legal basis). A rulebook with any
error is never built, so a bad file can never reach an evaluator.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from engine import expr, indicators, parameters, yamlpos
from engine.decision import Period, Texts
from engine.errors import RuleError

BENEFIT_KEYS = {
    "id", "name", "legal_basis", "sources", "period", "proactive", "sex_basis", "description", "versions", "note",
    "rounding", "currency", "withholding",
}
ROUNDINGS = ("half_up", "half_even", "up", "down")
# Currencies an amount may be stated in: tenge, or US dollars (the National Fund for Children's claims).
CURRENCIES = ("KZT", "USD")
VERSION_KEYS = {"effective", "let", "conditions", "amount", "review", "requires", "missing", "note"}
AMOUNT_KEYS = {"formula", "cases", "text"}
CASE_KEYS = {"id", "when", "formula", "text"}
TRIGGER_KEYS = {"when", "reason", "text", "note"}
CONDITION_KEYS = {"rule", "text", "note"}
WELLBEING_KEYS = {"model_version", "note", "poverty_cutoff", "deprivations", "levels"}
DEPRIVATION_KEYS = {"id", "dimension", "deprived_when", "weight", "note"}
LEVEL_KEYS = {"level", "below", "label"}
PERIODS = ("one_time", "monthly", "quarterly", "notice")
ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")
LANGS = ("kk", "ru", "en")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
# What a citizen-facing text never shows: identifiers (snake_case), operators, Python literals,
# source tags and the analysts' "UNCONFIRMED" marks.
NOT_FOR_CITIZENS = re.compile(r"_|>=|<=|==|!=|\[S\d|\bTrue\b|\bFalse\b|\bNone\b|UNCONFIRMED")
FOREVER = dt.date(9999, 12, 31)


@dataclass(frozen=True)
class Source:
    """An expression with its text and where it sits, for explanations and errors."""

    text: str
    node: expr.Node
    path: str
    line: int
    column: int


@dataclass(frozen=True)
class Case:
    """One amount band: when it applies, its formula, and how it is computed in a family's words."""

    id: str
    when: Source | None
    formula: Source
    text: Texts | None = None


@dataclass(frozen=True)
class Trigger:
    """A per-benefit reason to send a decision to a person, and what the family is told about it."""

    reason: str
    when: Source
    text: Texts | None = None


@dataclass
class Version:
    """A benefit as it stands during one effective period."""

    start: dt.date
    end: dt.date
    lets: dict[str, Source]
    conditions: list[Source]
    cases: list[Case]
    triggers: list[Trigger]
    requires: list[str]
    line: int
    # What a family reads: each condition as a sentence with its values (same order as
    # `conditions`), and what is missing when a required indicator is unknown.
    condition_texts: list[Texts] = field(default_factory=list)
    missing_text: Texts | None = None

    def sources(self) -> list[Source]:
        """Every expression of this version: lets, conditions, amount bands, review triggers."""
        return expressions(self.lets, self.conditions, self.cases, self.triggers)


def expressions(
    lets: dict[str, Source], conditions: list[Source], cases: list[Case], triggers: list[Trigger]
) -> list[Source]:
    """Every expression of a version's parts, in file order (one list for every cross-check)."""
    return [
        *lets.values(),
        *conditions,
        *(c.formula for c in cases),
        *(c.when for c in cases if c.when),
        *(t.when for t in triggers),
    ]


@dataclass
class Benefit:
    """One benefit file."""

    id: str
    name: Texts
    legal_basis: str
    period: Period
    proactive: bool
    sex_basis: str | None
    versions: list[Version]
    path: str
    # The legal basis as a family reads it, per language (`legal_basis` is its English text), and
    # the analysts' source tags ([S6]...), which stay out of every citizen-facing text.
    basis: Texts | None = None
    sources: str = ""
    # How this benefit's amount is rounded (None: the `amount_rounding` parameter), and its currency:
    # a KZT amount is rounded to whole tenge; another currency's to its cents (see `explain.amount`).
    rounding: str | None = None
    currency: str = "KZT"
    # A parameter naming the share withheld from the assigned (gross) amount, shown as a deduction
    # (the 10% pension contribution of the ГФСС working-capacity payment); the amount stays gross.
    withholding: str | None = None

    def version_at(self, when: dt.date) -> Version | None:
        """The version in force on `when`."""
        return next((v for v in self.versions if v.start <= when <= v.end), None)


@dataclass(frozen=True)
class DeprivationRule:
    """One well-being indicator: the family is deprived in it when the expression holds."""

    id: str
    dimension: str
    weight: Decimal
    when: Source


@dataclass(frozen=True)
class Level:
    """A well-being level: deprivation scores below `below` (and above the previous level's)."""

    level: int
    below: Decimal
    label: Texts


@dataclass
class WellbeingModel:
    """The project's documented well-being model (a counting model in the Alkire-Foster style)."""

    model_version: str
    poverty_cutoff: Decimal
    deprivations: list[DeprivationRule]
    levels: list[Level]


@dataclass
class Rulebook:
    """Everything loaded from one rules directory, valid by construction."""

    root: Path
    params: parameters.ParameterSet
    benefits: list[Benefit]
    wellbeing: WellbeingModel
    version: str
    files: list[str] = field(default_factory=list)


# --- loading -------------------------------------------------------------------------------------


class _Ctx:
    """Collects errors and resolves names while one rules directory is loaded."""

    def __init__(self, params: parameters.ParameterSet):
        self.errors: list[RuleError] = []
        self.params = params
        self.types: dict[str, expr.Type] = {n: i.kind for n, i in indicators.REGISTRY.items()}
        for n, t in params.types().items():
            self.types.setdefault(n, t)
        self.enums = {n: i.values for n, i in indicators.REGISTRY.items() if i.values}

    def unknown_keys(
        self, doc: yamlpos.Located, key: yamlpos.PathKey, body: dict[str, Any], allowed: set[str], what: str
    ) -> None:
        self.errors.extend(yamlpos.unknown_keys(doc, key, body, allowed, what))

    def expression(
        self,
        doc: yamlpos.Located,
        key: yamlpos.PathKey,
        text: Any,
        want: expr.Type,
        extra_types: dict[str, expr.Type] | None = None,
    ) -> Source | None:
        line, col, _ = doc.expression_origin(key)
        if isinstance(text, bool | int | float) and not isinstance(text, bool):
            text = str(text)
        elif isinstance(text, bool):
            text = "true" if text else "false"
        if not isinstance(text, str):
            self.errors.append(doc.error(key, "schema", f"expected an expression (text), got {type(text).__name__}"))
            return None
        try:
            node = expr.parse(text)
        except expr.ParseFailure as exc:
            self.errors.append(self._expr_error(doc, key, text, exc.error))
            return None
        types = dict(self.types)
        types.update(extra_types or {})
        got, errs = expr.check(node, types, self.enums)
        for e in errs:
            self.errors.append(self._expr_error(doc, key, text, e))
        if not errs and got is not None and got != want:
            self.errors.append(doc.error(key, "type-mismatch", f"expected a {want} expression, got a {got}"))
        if errs:
            return None
        return Source(text.strip(), node, doc.path, line, col)

    @staticmethod
    def _expr_error(doc: yamlpos.Located, key: yamlpos.PathKey, text: str, e: expr.ExprError) -> RuleError:
        line, col, _ = doc.expression_origin(key)
        lead = len(text) - len(text.lstrip())
        before = text[: e.offset]
        if "\n" in before and doc.scalar_styles.get(key) in ("|", ">"):
            line += before.count("\n")
            col = len(before) - before.rfind("\n")
        else:
            col += e.offset - 0 * lead
        return RuleError(doc.path, line, col, e.code, e.message, e.suggestion)


def _texts(ctx: _Ctx, doc: yamlpos.Located, key: yamlpos.PathKey, raw: Any) -> Texts | None:
    if not isinstance(raw, dict) or not all(
        isinstance(raw.get(lang), str) and raw.get(lang) for lang in ("kk", "ru", "en")
    ):
        missing = [lang for lang in LANGS if not (isinstance(raw, dict) and isinstance(raw.get(lang), str)
                                                 and raw.get(lang))]
        said = f" (the text in '{missing[0]}' is missing)" if isinstance(raw, dict) and missing else ""
        ctx.errors.append(doc.error(key, "schema", f"expected texts in kk, ru and en{said}"))
        return None
    ctx.unknown_keys(doc, key, raw, {"kk", "ru", "en"}, "texts")
    return Texts(kk=raw["kk"], ru=raw["ru"], en=raw["en"])


def _citizen_text(
    ctx: _Ctx, doc: yamlpos.Located, key: yamlpos.PathKey, raw: Any, allowed: dict[str, expr.Type], what: str
) -> Texts | None:
    """A text a family reads, in kk, ru and en, its placeholders checked against the rule's names.

    `{name}` shows the value of a name the rule has (`allowed`: the names of its expression, with
    the lets it uses and their names); a yes/no name cannot be shown (it would read "True"), so the
    sentence has to say it in words. Outside placeholders a text may not carry an identifier, an
    operator or a source tag: that is the trace's business, not the family's.
    """
    if raw is None:
        ctx.errors.append(
            doc.error(key, "missing-text", f"{what} needs '{key[-1]}: {{kk, ru, en}}': the sentence a family reads")
        )
        return None
    if not isinstance(raw, dict):
        ctx.errors.append(doc.error(key, "missing-text", f"{what}: 'text' is {{kk, ru, en}}"))
        return None
    ctx.unknown_keys(doc, key, raw, set(LANGS), "texts")
    out: dict[str, str] = {}
    for lang in LANGS:
        text = raw.get(lang)
        if not isinstance(text, str) or not text.strip():
            ctx.errors.append(doc.error(key, "missing-text", f"{what}: the text in '{lang}' is missing"))
            continue
        text = " ".join(text.split())
        for err in text_problems(text, allowed):
            ctx.errors.append(doc.error((*key, lang), err[0], f"{what} ({lang}): {err[1]}", err[2]))
        out[lang] = text
    if len(out) < len(LANGS):
        return None
    return Texts(**out)


def text_problems(text: str, allowed: dict[str, expr.Type] | None) -> list[tuple[str, str, str | None]]:
    """Why a citizen-facing text is refused: (code, message, suggestion) for each problem.

    `allowed` None skips the placeholder check (texts with no placeholders at all, e.g. a name).
    """
    problems: list[tuple[str, str, str | None]] = []
    for m in PLACEHOLDER.finditer(text):
        name = m.group(1)
        if allowed is None:
            problems.append(("placeholder", f"this text has no placeholders, found '{{{name}}}'", None))
        elif name not in allowed:
            problems.append(
                ("unknown-placeholder", f"'{{{name}}}' is not a name of this rule", expr.suggest(name, list(allowed)))
            )
        elif allowed[name] == "bool":
            problems.append(
                ("bool-placeholder", f"'{{{name}}}' is yes/no and would read True/False: say it in words", None)
            )
    rest = PLACEHOLDER.sub("", text)
    if "{" in rest or "}" in rest:
        problems.append(("placeholder", "an unmatched brace: placeholders are written {name}", None))
    found = NOT_FOR_CITIZENS.search(rest)
    if found:
        problems.append(
            ("citizen-text", f"'{found.group(0)}' is an identifier, operator or source tag, not plain language", None)
        )
    return problems


def _allowed_names(ctx: _Ctx, nodes: list[expr.Node], lets: dict[str, Source],
                   let_types: dict[str, expr.Type]) -> dict[str, expr.Type]:
    """The names a text may show: those of its expressions, and of the lets they use (transitively)."""
    names: set[str] = set()
    todo = [n for node in nodes for n in expr.names(node)]
    while todo:
        n = todo.pop()
        if n in names:
            continue
        names.add(n)
        if n in lets:
            todo.extend(expr.names(lets[n].node))
    types = {**ctx.types, **let_types}
    return {n: types.get(n, "number") for n in sorted(names)}


def _date(ctx: _Ctx, doc: yamlpos.Located, key: yamlpos.PathKey, raw: Any, default: dt.date | None) -> dt.date | None:
    if raw is None:
        return default
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        ctx.errors.append(doc.error(key, "date", f"'{raw}' is not a date (YYYY-MM-DD)"))
        return None


def _load_benefit(ctx: _Ctx, doc: yamlpos.Located) -> Benefit | None:
    data = doc.data
    if not isinstance(data, dict):
        ctx.errors.append(doc.error((), "schema", "a benefit file is a mapping (id, name, legal_basis, ...)"))
        return None
    before = len(ctx.errors)
    ctx.unknown_keys(doc, (), data, BENEFIT_KEYS, "a benefit")
    for k in ("id", "name", "legal_basis", "period", "versions"):
        if k not in data:
            ctx.errors.append(doc.error((), "missing-key", f"a benefit needs '{k}'"))
    bid = data.get("id")
    if bid is not None and (not isinstance(bid, str) or not ID_RE.match(bid)):
        ctx.errors.append(doc.error(("id",), "id", "the id is snake_case (a-z, 0-9, _), starting with a letter"))
    name = _texts(ctx, doc, ("name",), data.get("name")) if "name" in data else None
    if name is not None:
        for lang in LANGS:
            for code, msg, hint in text_problems(getattr(name, lang), None):
                ctx.errors.append(doc.error(("name", lang), code, f"the name ({lang}): {msg}", hint))
    basis = None
    if "legal_basis" in data:
        basis = _citizen_text(ctx, doc, ("legal_basis",), data.get("legal_basis"), {}, "'legal_basis'")
    sources = data.get("sources")
    if sources is not None and not isinstance(sources, str):
        ctx.errors.append(doc.error(("sources",), "schema", "'sources' is text: the analysts' source tags"))
    period = data.get("period")
    if period is not None and period not in PERIODS:
        ctx.errors.append(
            doc.error(
                ("period",),
                "period",
                f"period must be one of {', '.join(PERIODS)}",
                expr.suggest(str(period), list(PERIODS)),
            )
        )
    sex_basis = data.get("sex_basis")
    rounding = data.get("rounding")
    if rounding is not None and rounding not in ROUNDINGS:
        ctx.errors.append(doc.error(("rounding",), "rounding", f"rounding must be one of {', '.join(ROUNDINGS)}",
                                    expr.suggest(str(rounding), list(ROUNDINGS))))
    withholding = data.get("withholding")
    if withholding is not None and str(withholding) not in ctx.params.params:
        ctx.errors.append(doc.error(("withholding",), "unknown-name", f"unknown parameter '{withholding}'",
                                    expr.suggest(str(withholding), list(ctx.params.params))))
    currency = data.get("currency", "KZT")
    if currency not in CURRENCIES:
        ctx.errors.append(doc.error(("currency",), "currency", f"currency must be one of {', '.join(CURRENCIES)}"))
    versions: list[Version] = []
    raw_versions = data.get("versions")
    if raw_versions is not None and (not isinstance(raw_versions, list) or not raw_versions):
        ctx.errors.append(doc.error(("versions",), "schema", "'versions' is a non-empty list"))
        raw_versions = []
    for i, raw in enumerate(raw_versions or []):
        v = _load_version(ctx, doc, ("versions", i), raw)
        if v is not None:
            versions.append(v)
    if len(ctx.errors) > before or name is None or basis is None:
        return None
    _check_periods(ctx, doc, versions)
    benefit = Benefit(
        str(bid),
        name,
        basis.en,
        cast(Period, period),
        bool(data.get("proactive", True)),
        str(sex_basis) if sex_basis else None,
        sorted(versions, key=lambda v: v.start),
        doc.path,
        basis,
        " ".join(str(sources).split()) if sources else "",
        str(rounding) if rounding else None,
        str(currency),
        str(withholding) if withholding else None,
    )
    _check_sex_basis(ctx, benefit)
    return benefit


def _load_version(ctx: _Ctx, doc: yamlpos.Located, key: yamlpos.PathKey, raw: Any) -> Version | None:
    if not isinstance(raw, dict):
        ctx.errors.append(doc.error(key, "schema", "a version is a mapping (effective, conditions, amount, ...)"))
        return None
    ctx.unknown_keys(doc, key, raw, VERSION_KEYS, "a version")
    eff = raw.get("effective")
    if not isinstance(eff, dict) or "from" not in eff:
        ctx.errors.append(
            doc.error((*key, "effective"), "missing-key", "a version needs 'effective: {from: YYYY-MM-DD}'")
        )
        return None
    ctx.unknown_keys(doc, (*key, "effective"), eff, {"from", "to"}, "'effective'")
    start = _date(ctx, doc, (*key, "effective", "from"), eff.get("from"), None)
    end = _date(ctx, doc, (*key, "effective", "to"), eff.get("to"), FOREVER)
    if start and end and end < start:
        ctx.errors.append(doc.error((*key, "effective"), "period", "'to' is before 'from'"))
    requires = raw.get("requires") or []
    if not isinstance(requires, list):
        ctx.errors.append(doc.error((*key, "requires"), "schema", "'requires' is a list of indicator names"))
        requires = []
    for j, r in enumerate(requires):
        if r not in indicators.REGISTRY:
            ctx.errors.append(
                doc.error(
                    (*key, "requires", j),
                    "unknown-name",
                    f"unknown indicator '{r}'",
                    expr.suggest(str(r), list(indicators.REGISTRY)),
                )
            )
    lets: dict[str, Source] = {}
    let_types: dict[str, expr.Type] = {}
    raw_lets = raw.get("let") or {}
    if not isinstance(raw_lets, dict):
        ctx.errors.append(doc.error((*key, "let"), "schema", "'let' maps names to expressions"))
        raw_lets = {}
    for lname, ltext in raw_lets.items():
        if lname in ctx.types:
            ctx.errors.append(
                doc.error((*key, "let", lname), "shadowing", f"'{lname}' is already an indicator or parameter")
            )
            continue
        src = ctx.expression(doc, (*key, "let", lname), ltext, "number", let_types)
        if src is not None:
            t, _ = expr.check(src.node, {**ctx.types, **let_types})
            lets[str(lname)] = src
            let_types[str(lname)] = t or "number"
    conditions: list[Source] = []
    condition_texts: list[Texts] = []
    raw_conds = raw.get("conditions")
    if not isinstance(raw_conds, list) or not raw_conds:
        ctx.errors.append(doc.error((*key, "conditions"), "schema", "'conditions' is a non-empty list of expressions"))
        raw_conds = []
    for j, c in enumerate(raw_conds):
        ckey: yamlpos.PathKey = (*key, "conditions", j)
        raw_text = None
        if isinstance(c, dict):
            ctx.unknown_keys(doc, ckey, c, CONDITION_KEYS, "a condition")
            raw_text = c.get("text")
            ckey, c = (*ckey, "rule"), c.get("rule")
        src = ctx.expression(doc, ckey, c, "bool", let_types)
        if src is not None:
            allowed = _allowed_names(ctx, [src.node], lets, let_types)
            text = _citizen_text(ctx, doc, (*key, "conditions", j, "text"), raw_text, allowed, "a condition")
            conditions.append(src)
            condition_texts.append(text or Texts(kk="", ru="", en=""))
    cases = _load_amount(ctx, doc, (*key, "amount"), raw.get("amount"), let_types, lets)
    triggers: list[Trigger] = []
    raw_review = raw.get("review") or []
    if not isinstance(raw_review, list):
        ctx.errors.append(doc.error((*key, "review"), "schema", "'review' is a list of {when, reason}"))
        raw_review = []
    for j, t in enumerate(raw_review):
        tkey: yamlpos.PathKey = (*key, "review", j)
        if not isinstance(t, dict) or "when" not in t or "reason" not in t:
            ctx.errors.append(doc.error(tkey, "schema", "a review trigger is {when: expression, reason: code}"))
            continue
        ctx.unknown_keys(doc, tkey, t, TRIGGER_KEYS, "a review trigger")
        src = ctx.expression(doc, (*tkey, "when"), t["when"], "bool", let_types)
        if src is not None:
            allowed = _allowed_names(ctx, [src.node], lets, let_types)
            text = _citizen_text(ctx, doc, (*tkey, "text"), t.get("text"), allowed, "a review trigger")
            triggers.append(Trigger(str(t["reason"]), src, text))
    missing_text = None
    if requires or "missing" in raw:
        missing_text = _citizen_text(
            ctx, doc, (*key, "missing"), raw.get("missing"), {}, "a version with 'requires' (what is missing)"
        )
    _check_optional_use(ctx, requires, expressions(lets, conditions, cases, triggers))
    if start is None or end is None:
        return None
    return Version(
        start, end, lets, conditions, cases, triggers, [str(r) for r in requires], doc.pos(key)[0],
        condition_texts, missing_text,
    )


def _load_amount(
    ctx: _Ctx, doc: yamlpos.Located, key: yamlpos.PathKey, raw: Any, let_types: dict[str, expr.Type],
    lets: dict[str, Source],
) -> list[Case]:
    if not isinstance(raw, dict) or not (("formula" in raw) ^ ("cases" in raw)):
        ctx.errors.append(doc.error(key, "schema", "'amount' needs either 'formula' or 'cases'"))
        return []
    ctx.unknown_keys(doc, key, raw, AMOUNT_KEYS, "'amount'")
    if "formula" in raw:
        src = ctx.expression(doc, (*key, "formula"), raw["formula"], "number", let_types)
        if src is None:
            return []
        allowed = _allowed_names(ctx, [src.node], lets, let_types)
        text = _citizen_text(ctx, doc, (*key, "text"), raw.get("text"), allowed, "the amount")
        return [Case("amount", None, src, text)]
    if "text" in raw:
        ctx.errors.append(doc.error((*key, "text"), "schema", "with 'cases', each case carries its own 'text'"))
    cases: list[Case] = []
    raw_cases = raw["cases"]
    if not isinstance(raw_cases, list) or not raw_cases:
        ctx.errors.append(doc.error((*key, "cases"), "schema", "'cases' is a non-empty list of {id, when, formula}"))
        return []
    seen: set[str] = set()
    for j, c in enumerate(raw_cases):
        ckey: yamlpos.PathKey = (*key, "cases", j)
        if not isinstance(c, dict) or not {"id", "when", "formula"} <= set(c):
            ctx.errors.append(doc.error(ckey, "schema", "a case is {id, when, formula}"))
            continue
        ctx.unknown_keys(doc, ckey, c, CASE_KEYS, "a case")
        if c["id"] in seen:
            ctx.errors.append(doc.error((*ckey, "id"), "duplicate-id", f"duplicate case id '{c['id']}'"))
        seen.add(str(c["id"]))
        when = ctx.expression(doc, (*ckey, "when"), c["when"], "bool", let_types)
        formula = ctx.expression(doc, (*ckey, "formula"), c["formula"], "number", let_types)
        if when and formula:
            allowed = _allowed_names(ctx, [when.node, formula.node], lets, let_types)
            text = _citizen_text(ctx, doc, (*ckey, "text"), c.get("text"), allowed, f"the amount case '{c['id']}'")
            cases.append(Case(str(c["id"]), when, formula, text))
    return cases


def _check_optional_use(ctx: _Ctx, requires: list[Any], sources: list[Source]) -> None:
    for src in sources:
        for n in sorted(expr.names(src.node)):
            ind = indicators.REGISTRY.get(n)
            if ind is not None and ind.optional and n not in requires:
                ctx.errors.append(
                    RuleError(
                        src.path,
                        src.line,
                        src.column,
                        "optional-not-required",
                        f"'{n}' may be unknown; list it under 'requires' so a family without it "
                        "goes to a person instead of being refused",
                    )
                )


def _check_periods(ctx: _Ctx, doc: yamlpos.Located, versions: list[Version]) -> None:
    ordered = sorted(versions, key=lambda v: v.start)
    for a, b in itertools.pairwise(ordered):
        if b.start <= a.end:
            ctx.errors.append(
                RuleError(
                    doc.path,
                    b.line,
                    1,
                    "period-overlap",
                    f"effective period from {b.start} overlaps the version ending {a.end}",
                )
            )
        elif b.start > a.end + dt.timedelta(days=1):
            ctx.errors.append(
                RuleError(
                    doc.path,
                    b.line,
                    1,
                    "period-gap",
                    f"gap between {a.end} and {b.start}: no version is in force in between",
                )
            )


def _check_sex_basis(ctx: _Ctx, benefit: Benefit) -> None:
    if benefit.sex_basis:
        return
    for v in benefit.versions:
        for src in v.sources():
            used = [
                n for n in expr.names(src.node) if n in indicators.REGISTRY and indicators.REGISTRY[n].sex_dependent
            ]
            if used:
                ctx.errors.append(
                    RuleError(
                        src.path,
                        src.line,
                        src.column,
                        "sex-without-basis",
                        f"'{used[0]}' depends on sex; allowed only with a 'sex_basis' "
                        "stating the legal basis in this file",
                    )
                )


def _check_parameter_coverage(ctx: _Ctx, benefit: Benefit) -> None:
    for v in benefit.versions:
        for src in v.sources():
            for n in sorted(expr.names(src.node)):
                p = ctx.params.params.get(n)
                if p is None:
                    continue
                gap = p.gap_in(v.start, None if v.end == FOREVER else v.end)
                if gap is not None:
                    ctx.errors.append(
                        RuleError(
                            src.path,
                            src.line,
                            src.column,
                            "parameter-gap",
                            f"parameter '{n}' has no value on {gap}, inside this version's "
                            f"effective period ({v.start} to {v.end if v.end != FOREVER else 'open'})",
                        )
                    )


def _load_wellbeing(ctx: _Ctx, doc: yamlpos.Located) -> WellbeingModel | None:
    data = doc.data
    if not isinstance(data, dict):
        ctx.errors.append(doc.error((), "schema", "the well-being file is a mapping"))
        return None
    before = len(ctx.errors)
    ctx.unknown_keys(doc, (), data, WELLBEING_KEYS, "the well-being model")
    deps: list[DeprivationRule] = []
    for i, d in enumerate(data.get("deprivations") or []):
        key: yamlpos.PathKey = ("deprivations", i)
        if not isinstance(d, dict) or not {"id", "dimension", "deprived_when", "weight"} <= set(d):
            ctx.errors.append(doc.error(key, "schema", "a deprivation is {id, dimension, deprived_when, weight}"))
            continue
        ctx.unknown_keys(doc, key, d, DEPRIVATION_KEYS, "a deprivation")
        src = ctx.expression(doc, (*key, "deprived_when"), d["deprived_when"], "bool")
        if src:
            deps.append(DeprivationRule(str(d["id"]), str(d["dimension"]), Decimal(str(d["weight"])), src))
    total = sum((d.weight for d in deps), Decimal(0))
    if deps and abs(total - 1) > Decimal("0.0001"):
        ctx.errors.append(doc.error(("deprivations",), "weights", f"weights must add up to 1, they add up to {total}"))
    levels: list[Level] = []
    for i, lv in enumerate(data.get("levels") or []):
        key = ("levels", i)
        if not isinstance(lv, dict) or not {"level", "below", "label"} <= set(lv):
            ctx.errors.append(doc.error(key, "schema", "a level is {level, below, label: {kk, ru, en}}"))
            continue
        ctx.unknown_keys(doc, key, lv, LEVEL_KEYS, "a level")
        label = _texts(ctx, doc, (*key, "label"), lv["label"])
        if label:
            levels.append(Level(int(lv["level"]), Decimal(str(lv["below"])), label))
    if sorted(lv.level for lv in levels) != [1, 2, 3, 4, 5]:
        ctx.errors.append(doc.error(("levels",), "levels", "exactly five levels, numbered 1 to 5"))
    if len(ctx.errors) > before:
        return None
    return WellbeingModel(
        str(data.get("model_version", "")),
        Decimal(str(data.get("poverty_cutoff", "0.3333"))),
        deps,
        sorted(levels, key=lambda lv: lv.below),
    )


def load(root: Path) -> tuple[Rulebook | None, list[RuleError]]:
    """Load and check a rules directory; a rulebook only when there is no error at all."""
    root = Path(root)
    if not root.is_dir():
        return None, [RuleError(str(root), 0, 0, "io", "not a directory")]
    params, errors = parameters.load_dir(root / "parameters", root)
    ctx = _Ctx(params)
    ctx.errors.extend(errors)
    benefits: list[Benefit] = []
    seen: dict[str, str] = {}
    files = sorted((root / "benefits").rglob("*.yaml"))
    if not files:
        ctx.errors.append(RuleError(str(root / "benefits"), 0, 0, "empty", "no benefit files"))
    for path in files:
        doc = yamlpos.load(path, _display(path, root))
        ctx.errors.extend(doc.errors)
        if doc.errors:
            continue
        b = _load_benefit(ctx, doc)
        if b is None:
            continue
        if b.id in seen:
            ctx.errors.append(
                doc.error(("id",), "duplicate-id", f"benefit id '{b.id}' is already used by {seen[b.id]}")
            )
            continue
        seen[b.id] = doc.path
        _check_parameter_coverage(ctx, b)
        benefits.append(b)
    wb_path = root / "wellbeing.yaml"
    wellbeing = None
    if not wb_path.exists():
        ctx.errors.append(RuleError(_display(wb_path, root), 0, 0, "missing-file", "the well-being model is missing"))
    else:
        doc = yamlpos.load(wb_path, _display(wb_path, root))
        ctx.errors.extend(doc.errors)
        if not doc.errors:
            wellbeing = _load_wellbeing(ctx, doc)
    if ctx.errors or wellbeing is None:
        return None, sorted(set(ctx.errors))
    all_files = sorted([*(root / "parameters").rglob("*.yaml"), *files, wb_path])
    digest = hashlib.sha256()
    for p in all_files:
        digest.update(str(p.relative_to(root)).encode())
        digest.update(p.read_bytes())
    return Rulebook(
        root, params, benefits, wellbeing, "sha256:" + digest.hexdigest()[:16], [str(p) for p in all_files]
    ), []


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)
