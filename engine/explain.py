"""The clause-by-clause path: every condition evaluated on its own, to explain each decision.

The same compiled program that durable-rules matches is evaluated here condition by condition,
in exact decimals, so a decision can say which conditions held or failed and on which values, the
parameters (with the date each took effect), the amount arithmetic with numbers, and a summary in
Kazakh, Russian and English. Durable-rules decides; this path explains, and a differential test
keeps the two equal on every benefit of every family.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_UP, Decimal
from typing import Any

from engine import decision, expr, indicators
from engine.compiler import CompiledBenefit, CompiledCase, Program, scalar
from engine.rulefile import Level, Rulebook

CENT = Decimal("0.01")
TENGE = Decimal(1)
ROUNDING = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN, "up": ROUND_UP, "down": ROUND_DOWN}

PERIOD_WORDS = {
    "monthly": ("ай сайын", "в месяц", "per month"),
    "quarterly": ("тоқсан сайын", "в квартал", "per quarter"),
    "one_time": ("біржолғы", "единовременно", "one-time"),
    "notice": ("хабарлама", "уведомление", "notice"),
}


@dataclass(frozen=True)
class Outcome:
    """What an evaluator decided on one benefit: status, amount band and review triggers."""

    status: decision.Status
    case: int | None
    triggers: tuple[int, ...]


# Outcomes are immutable and few distinct ones exist (status, band, triggers), so each is made once:
# a frozen dataclass costs about a microsecond to build, and every family needs thirteen.
_OUTCOMES: dict[tuple[str, int | None, tuple[int, ...]], Outcome] = {}
_NOT_IN_FORCE = Outcome("not_in_force", None, ())


def _outcome(status: decision.Status, case: int | None, triggers: tuple[int, ...]) -> Outcome:
    key = (status, case, triggers)
    found = _OUTCOMES.get(key)
    if found is None:
        found = _OUTCOMES[key] = Outcome(status, case, triggers)
    return found


def missing(cb: CompiledBenefit, values: dict[str, indicators.IndicatorValue]) -> list[str]:
    """Required indicators that are unknown for this family."""
    if cb.version is None:
        return []
    return [r for r in cb.requires if values.get(r) is None]


def outcome_python(
    cb: CompiledBenefit, env: dict[str, expr.Value], values: dict[str, indicators.IndicatorValue]
) -> Outcome:
    """Evaluate one benefit condition by condition."""
    if cb.version is None:
        return _NOT_IN_FORCE
    triggers = tuple(k for k, fn in enumerate(cb.trigger_fns) if fn(env))
    if missing(cb, values):
        return _outcome("insufficient_data", None, triggers)
    if all(fn(env) for fn in cb.cond_fns):
        for k, case in enumerate(cb.cases):
            if case.when_fn is None or case.when_fn(env):
                return _outcome("eligible", k, triggers)
    return _outcome("not_eligible", None, triggers)


def outcomes_from_fired(
    program: Program, fired: list[str], values: dict[str, indicators.IndicatorValue]
) -> list[Outcome]:
    """Turn the rule names durable-rules fired into one outcome per benefit."""
    cases: dict[int, int] = {}
    triggers: dict[int, list[int]] = {}
    meta = program.rule_meta
    for name in fired:
        i, kind, k = meta[name]
        if kind == "case":
            cases[i] = min(k, cases.get(i, k))
        else:
            triggers.setdefault(i, []).append(k)
    out: list[Outcome] = []
    for i, cb in enumerate(program.benefits):
        if cb.version is None:
            out.append(_NOT_IN_FORCE)
            continue
        # durable-rules fires a rule once per matching branch of an `or`: each trigger counts once.
        trig = tuple(sorted(set(triggers[i]))) if i in triggers else ()
        status: decision.Status = "eligible" if i in cases else "not_eligible"
        for r in cb.requires:
            if values.get(r) is None:
                status = "insufficient_data"
                break
        out.append(_outcome(status, cases[i] if status == "eligible" else None, trig))
    return out


def arithmetic(case: CompiledCase, env: dict[str, expr.Value]) -> str:
    """A band's formula with this family's values and the epoch's parameters written in."""
    template, names = case.arithmetic
    if not case.regional:
        return template.format(*[expr.value_text(env[n]) for n in names])
    return template.format(*[expr.value_text(_regional(case, n, env) if n in case.regional else env[n])
                             for n in names])


def _regional(case: CompiledCase, name: str, env: dict[str, expr.Value]) -> expr.Value:
    """A region-keyed parameter's value for the family's region (`compiler.param_node`)."""
    default, by_region = case.regional[name]
    return dict(by_region).get(str(env.get("region")), default)


def amount_of(cb: CompiledBenefit, case: int, env: dict[str, expr.Value]) -> Decimal:
    """The exact amount of a benefit's amount band for a family."""
    fn = cb.cases[case].formula_fn
    assert fn is not None
    value = fn(env)
    assert isinstance(value, Decimal)
    return max(value, Decimal(0))


def rounding_of(program: Program, cb: CompiledBenefit) -> str:
    """The benefit's own rounding (e.g. the basic pension's ceiling), else the rulebook's `amount_rounding`."""
    return cb.benefit.rounding or program.rounding


def amount(
    program: Program, cb: CompiledBenefit, outcome: Outcome, env: dict[str, expr.Value]
) -> tuple[Decimal | None, int]:
    """An eligible outcome's exact amount (to the tiyn) and the amount paid (rounded to the tenge); else (None, 0).

    A benefit stated in another currency pays no tenge: its amount is `amount_in_currency`.
    """
    if outcome.status != "eligible" or outcome.case is None:
        return None, 0
    exact = amount_of(cb, outcome.case, env)
    if cb.benefit.currency != "KZT":
        return exact.quantize(CENT), 0
    rounded = int(exact.quantize(TENGE, rounding=ROUNDING.get(rounding_of(program, cb), ROUND_HALF_UP)))
    return exact.quantize(CENT), rounded


def withholding(program: Program, param: str, gross: int) -> dict[str, Any]:
    """The share withheld from a gross amount (half-up to the tenge) and what is paid out."""
    share = program.params[param][0]
    assert isinstance(share, Decimal)
    withheld = int((share * gross).quantize(TENGE, rounding=ROUND_HALF_UP))
    return {"parameter": param, "share": scalar(share), "withheld_kzt": withheld, "paid_kzt": gross - withheld}


def amount_in_currency(program: Program, cb: CompiledBenefit, exact: Decimal) -> str:
    """A non-tenge amount as its currency states it: to the cent, by the benefit's rounding."""
    mode = ROUNDING.get(rounding_of(program, cb), ROUND_HALF_UP)
    return str(exact.quantize(CENT, rounding=mode))


def review_reasons(cb: CompiledBenefit, outcome: Outcome) -> list[str]:
    """Why a person must look at this decision (sorted, each once); empty when nobody must."""
    if not outcome.triggers:
        return ["insufficient_data"] if outcome.status == "insufficient_data" else []
    reasons = {cb.trigger_reasons[k] for k in outcome.triggers}
    if outcome.status == "insufficient_data":
        reasons.add("insufficient_data")
    return sorted(reasons)


def decide(
    program: Program,
    cb: CompiledBenefit,
    outcome: Outcome,
    env: dict[str, expr.Value],
    values: dict[str, indicators.IndicatorValue],
) -> decision.Decision:
    """The full decision on one benefit, with its explanation, from an evaluator's outcome."""
    return decision.Decision.model_validate(decision_dict(program, cb, outcome, env, values))


def decision_dict(
    program: Program,
    cb: CompiledBenefit,
    outcome: Outcome,
    env: dict[str, expr.Value],
    values: dict[str, indicators.IndicatorValue],
) -> dict[str, Any]:
    """The decision as plain JSON data, in the field order of `decision.Decision`.

    Every evaluation builds thirteen of these; the HTTP answer serialises them directly, and
    `decide` validates them into models once, as a whole, where models are wanted. What does not
    depend on the family (texts, parameters, how each shown name is found) is resolved per epoch
    by the compiler; the name, parameter and date views are shared, not copied.
    """
    b = cb.benefit
    status = outcome.status
    eligible = status == "eligible"
    rounded = 0
    exact_text = "0.00"
    formula = formula_values = case_id = in_currency = withheld = None
    if eligible and outcome.case is not None:
        exact, rounded = amount(program, cb, outcome, env)
        assert exact is not None
        case = cb.cases[outcome.case]
        exact_text = str(exact)
        if b.currency != "KZT":
            in_currency = amount_in_currency(program, cb, exact)
        if b.withholding:
            withheld = withholding(program, b.withholding, rounded)
        case_id = case.id
        formula = case.formula_source
        formula_values = f"{arithmetic(case, env)} = {expr.format_number(exact)}"
    conditions: list[dict[str, object]] = []
    failed: list[str] = []
    if cb.version is not None:
        for text, fn, names in cb.explained:
            holds = bool(fn(env))
            # A name shows the family's indicator, else the let's value, else the parameter's.
            shown: dict[str, decision.Scalar] = {}
            for n, let_fn, param, is_param in names:
                if n in values:
                    shown[n] = values[n]
                elif let_fn is not None:
                    shown[n] = scalar(let_fn(env))
                elif is_param:
                    shown[n] = param
            conditions.append({"rule": text, "holds": holds, "values": shown})
            if not holds:
                # "rule [name = value, ...]", or the rule alone when it shows nothing.
                said = text
                sep = " ["
                for k, v in shown.items():
                    said = f"{said}{sep}{k} = {v}"
                    sep = ", "
                failed.append(said + "]" if shown else said)
        miss = [r for r in cb.requires if values.get(r) is None] if cb.requires else []
    else:
        miss = []
    if outcome.triggers:
        reasons = review_reasons(cb, outcome)
    else:
        reasons = ["insufficient_data"] if status == "insufficient_data" else []
    return {
        "benefit": b.id,
        "name": cb.name_view,
        "eligible": eligible,
        "status": status,
        "amount_kzt": rounded,
        "amount_exact_kzt": exact_text,
        "period": b.period,
        "requires_human_review": bool(reasons),
        "review_reasons": reasons,
        "legal_basis": b.legal_basis,
        "currency": b.currency,
        "amount_in_currency": in_currency,
        "explanation": {
            "summary": _summary(cb, status, rounded, failed, miss, program),
            "conditions": conditions,
            "parameters": cb.param_view,
            "parameter_dates": cb.param_dates,
            "amount_case": case_id,
            "formula": formula,
            "formula_with_values": formula_values,
            "missing": miss,
            "data_quality": [],
            "withholding": withheld,
        },
    }


# Summaries kept per benefit and epoch (a few hundred KiB at most); past this many the memo starts
# afresh: a summary is then written again, never wrong. Most families share a few summaries (the
# same unmet condition, the same amount), and a shared string is also cheaper to serialise.
SUMMARY_MEMO = 128


def _summary(
    cb: CompiledBenefit, status: str, amount: int, failed: list[str], miss: list[str], program: Program
) -> dict[str, str]:
    if status == "eligible":
        detail = "" if cb.benefit.period == "notice" else f"{amount:,}".replace(",", " ")
    elif status == "insufficient_data":
        detail = ", ".join(miss)
    elif status == "not_in_force":
        detail = program.start.isoformat()
    else:
        detail = "; ".join(failed) if failed else "no amount band applies"
    key = (status, detail)
    texts = cb.summaries.get(key)
    if texts is None:
        texts = _write_summary(cb, status, detail)
        if len(cb.summaries) >= SUMMARY_MEMO:
            cb.summaries.clear()
        cb.summaries[key] = texts
    return {"kk": texts[0], "ru": texts[1], "en": texts[2]}


def _write_summary(cb: CompiledBenefit, status: str, detail: str) -> tuple[str, str, str]:
    """The summary in Kazakh, Russian and English; `detail` is the amount, the missing data, the date or the failure."""
    n = cb.benefit.name
    kk_p, ru_p, en_p = PERIOD_WORDS[cb.benefit.period]
    if status == "eligible":
        if cb.benefit.period == "notice":
            return (
                f"«{n.kk}»: хабарлама жіберіледі.",
                f"«{n.ru}»: будет направлено уведомление.",
                f"{n.en}: a notice is due.",
            )
        return (
            f"Отбасы «{n.kk}» алуға құқылы: {detail} теңге ({kk_p}).",
            f"Семья имеет право на «{n.ru}»: {detail} тенге ({ru_p}).",
            f"The family is eligible for the {n.en}: {detail} KZT ({en_p}).",
        )
    if status == "insufficient_data":
        return (
            f"«{n.kk}» бойынша шешім үшін деректер жеткіліксіз ({detail}); маман тексереді.",
            f"Недостаточно данных для решения по «{n.ru}» ({detail}); решение примет специалист.",
            f"Not enough data to decide on the {n.en} ({detail}); a caseworker will decide.",
        )
    if status == "not_in_force":
        return (
            f"«{n.kk}» {detail} күні қолданылмайды.",
            f"«{n.ru}» не действует на {detail}.",
            f"The {n.en} is not in force on {detail}.",
        )
    return (
        f"Отбасы «{n.kk}» алуға құқылы емес: шарт орындалмады ({detail}).",
        f"Семья не имеет права на «{n.ru}»: не выполнено условие ({detail}).",
        f"The family is not eligible for the {n.en}: a condition does not hold ({detail}).",
    )


def wellbeing(program: Program, env: dict[str, expr.Value], book_model: Rulebook) -> decision.Wellbeing:
    """The family's well-being level from the documented deprivation-count model."""
    return decision.Wellbeing.model_validate(wellbeing_dict(program, env, book_model))


def wellbeing_dict(program: Program, env: dict[str, expr.Value], book_model: Rulebook) -> dict[str, Any]:
    """The well-being level as plain JSON data (see `decision_dict`)."""
    model = book_model.wellbeing
    flags = tuple([bool(fn(env)) for fn in program.wellbeing_fns])
    # Level, label and score depend only on which deprivations hold: computed once per combination.
    known = program.wellbeing_levels.get(flags)
    if known is None or known[0] is not model:
        score = sum(
            (rule.weight for (rule, _), deprived in zip(program.wellbeing, flags, strict=True) if deprived), Decimal(0)
        )
        level = level_for(model.levels, score)
        label = next(lv.label.en for lv in model.levels if lv.level == level)
        known = program.wellbeing_levels[flags] = (model, level, label, float((score * 100).quantize(Decimal("0.1"))))
    _, level, label, score_shown = known
    return {
        "level": level,
        "label": label,
        "score": score_shown,
        "model_version": model.model_version,
        "deprivations": [
            {"id": rule_id, "dimension": dimension, "deprived": deprived, "weight": weight}
            for (rule_id, dimension, weight), deprived in zip(program.wellbeing_shown, flags, strict=True)
        ],
    }


def level_for(levels: list[Level], score: Decimal) -> int:
    """The level whose band holds the deprivation score (levels sorted by their upper bound)."""
    for lv in levels:
        if score < lv.below:
            return lv.level
    return levels[-1].level
