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


def missing(cb: CompiledBenefit, values: dict[str, indicators.IndicatorValue]) -> list[str]:
    """Required indicators that are unknown for this family."""
    if cb.version is None:
        return []
    return [r for r in cb.version.requires if values.get(r) is None]


def outcome_python(
    cb: CompiledBenefit, env: dict[str, expr.Value], values: dict[str, indicators.IndicatorValue]
) -> Outcome:
    """Evaluate one benefit condition by condition."""
    if cb.version is None:
        return Outcome("not_in_force", None, ())
    triggers = tuple(k for k, fn in enumerate(cb.trigger_fns) if fn(env))
    if missing(cb, values):
        return Outcome("insufficient_data", None, triggers)
    if all(fn(env) for fn in cb.cond_fns):
        for k, case in enumerate(cb.cases):
            if case.when_fn is None or case.when_fn(env):
                return Outcome("eligible", k, triggers)
    return Outcome("not_eligible", None, triggers)


def outcomes_from_fired(
    program: Program, fired: list[str], values: dict[str, indicators.IndicatorValue]
) -> list[Outcome]:
    """Turn the rule names durable-rules fired into one outcome per benefit."""
    cases: dict[int, int] = {}
    triggers: dict[int, list[int]] = {}
    for name in fired:
        i, kind, k = program.rule_meta[name]
        if kind == "case":
            cases[i] = min(k, cases.get(i, k))
        else:
            triggers.setdefault(i, []).append(k)
    out: list[Outcome] = []
    for i, cb in enumerate(program.benefits):
        trig = tuple(sorted(triggers.get(i, [])))
        if cb.version is None:
            out.append(Outcome("not_in_force", None, ()))
        elif missing(cb, values):
            out.append(Outcome("insufficient_data", None, trig))
        elif i in cases:
            out.append(Outcome("eligible", cases[i], trig))
        else:
            out.append(Outcome("not_eligible", None, trig))
    return out


def arithmetic(case: CompiledCase, env: dict[str, expr.Value]) -> str:
    """A band's formula with this family's values and the epoch's parameters written in."""
    template, names = case.arithmetic
    return template.format(*(expr.to_text(expr.literal(env[n])) for n in names))


def amount_of(cb: CompiledBenefit, case: int, env: dict[str, expr.Value]) -> Decimal:
    """The exact amount of a benefit's amount band for a family."""
    fn = cb.cases[case].formula_fn
    assert fn is not None
    value = fn(env)
    assert isinstance(value, Decimal)
    return max(value, Decimal(0))


def amount(
    program: Program, cb: CompiledBenefit, outcome: Outcome, env: dict[str, expr.Value]
) -> tuple[Decimal | None, int]:
    """An eligible outcome's exact amount (to the tiyn) and the amount paid (rounded to the tenge); else (None, 0)."""
    if outcome.status != "eligible" or outcome.case is None:
        return None, 0
    exact = amount_of(cb, outcome.case, env)
    rounded = int(exact.quantize(TENGE, rounding=ROUNDING.get(program.rounding, ROUND_HALF_UP)))
    return exact.quantize(CENT), rounded


def review_reasons(cb: CompiledBenefit, outcome: Outcome) -> list[str]:
    """Why a person must look at this decision (sorted, each once); empty when nobody must."""
    reasons = {cb.triggers[k][0] for k in outcome.triggers}
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
    `decide` validates them into models once, as a whole, where models are wanted.
    """
    b = cb.benefit
    exact, rounded = amount(program, cb, outcome, env)
    exact_text = "0.00"
    formula = formula_values = case_id = None
    if exact is not None and outcome.case is not None:
        case = cb.cases[outcome.case]
        exact_text = str(exact)
        case_id = case.id
        formula = case.formula_source
        formula_values = f"{arithmetic(case, env)} = {expr.format_number(exact)}"
    conditions: list[dict[str, object]] = []
    failed: list[str] = []
    if cb.version is not None:
        for src, fn, names in zip(cb.version.conditions, cb.cond_fns, cb.shown, strict=True):
            holds = bool(fn(env))
            shown: dict[str, decision.Scalar] = {}
            for n in names:
                if n in values:
                    shown[n] = values[n]
                elif n in cb.lets:
                    shown[n] = scalar(cb.let_fns[n](env))
                elif n in cb.param_view:
                    shown[n] = cb.param_view[n]
            conditions.append({"rule": src.text, "holds": holds, "values": shown})
            if not holds:
                shown_values = ", ".join(f"{k} = {v}" for k, v in shown.items())
                failed.append(f"{src.text} [{shown_values}]" if shown_values else src.text)
    miss = missing(cb, values)
    reasons = review_reasons(cb, outcome)
    eligible = outcome.status == "eligible"
    return {
        "benefit": b.id,
        "name": cb.name_view,
        "eligible": eligible,
        "status": outcome.status,
        "amount_kzt": rounded if eligible else 0,
        "amount_exact_kzt": exact_text,
        "period": b.period,
        "requires_human_review": bool(reasons),
        "review_reasons": reasons,
        "legal_basis": b.legal_basis,
        "explanation": {
            "summary": _summary(cb, outcome.status, rounded, failed, miss, program),
            "conditions": conditions,
            "parameters": cb.param_view,
            "parameter_dates": cb.param_dates,
            "amount_case": case_id,
            "formula": formula,
            "formula_with_values": formula_values,
            "missing": miss,
        },
    }


def _summary(
    cb: CompiledBenefit, status: str, amount: int, failed: list[str], miss: list[str], program: Program
) -> dict[str, str]:
    n = cb.benefit.name
    kk_p, ru_p, en_p = PERIOD_WORDS[cb.benefit.period]
    money = f"{amount:,}".replace(",", " ")
    if status == "eligible":
        if cb.benefit.period == "notice":
            return dict(
                kk=f"«{n.kk}»: хабарлама жіберіледі.",
                ru=f"«{n.ru}»: будет направлено уведомление.",
                en=f"{n.en}: a notice is due.",
            )
        return dict(
            kk=f"Отбасы «{n.kk}» алуға құқылы: {money} теңге ({kk_p}).",
            ru=f"Семья имеет право на «{n.ru}»: {money} тенге ({ru_p}).",
            en=f"The family is eligible for the {n.en}: {money} KZT ({en_p}).",
        )
    if status == "insufficient_data":
        fields = ", ".join(miss)
        return dict(
            kk=f"«{n.kk}» бойынша шешім үшін деректер жеткіліксіз ({fields}); маман тексереді.",
            ru=f"Недостаточно данных для решения по «{n.ru}» ({fields}); решение примет специалист.",
            en=f"Not enough data to decide on the {n.en} ({fields}); a caseworker will decide.",
        )
    if status == "not_in_force":
        d = program.start.isoformat()
        return dict(
            kk=f"«{n.kk}» {d} күні қолданылмайды.",
            ru=f"«{n.ru}» не действует на {d}.",
            en=f"The {n.en} is not in force on {d}.",
        )
    cond = "; ".join(failed) if failed else "no amount band applies"
    return dict(
        kk=f"Отбасы «{n.kk}» алуға құқылы емес: шарт орындалмады ({cond}).",
        ru=f"Семья не имеет права на «{n.ru}»: не выполнено условие ({cond}).",
        en=f"The family is not eligible for the {n.en}: a condition does not hold ({cond}).",
    )


def wellbeing(program: Program, env: dict[str, expr.Value], book_model: Rulebook) -> decision.Wellbeing:
    """The family's well-being level from the documented deprivation-count model."""
    return decision.Wellbeing.model_validate(wellbeing_dict(program, env, book_model))


def wellbeing_dict(program: Program, env: dict[str, expr.Value], book_model: Rulebook) -> dict[str, Any]:
    """The well-being level as plain JSON data (see `decision_dict`)."""
    model = book_model.wellbeing
    deps: list[dict[str, Any]] = []
    score = Decimal(0)
    for (rule, _), fn in zip(program.wellbeing, program.wellbeing_fns, strict=True):
        deprived = bool(fn(env))
        if deprived:
            score += rule.weight
        deps.append({"id": rule.id, "dimension": rule.dimension, "deprived": deprived, "weight": float(rule.weight)})
    level = level_for(model.levels, score)
    label = next(lv.label.en for lv in model.levels if lv.level == level)
    return {
        "level": level,
        "label": label,
        "score": float((score * 100).quantize(Decimal("0.1"))),
        "model_version": model.model_version,
        "deprivations": deps,
    }


def level_for(levels: list[Level], score: Decimal) -> int:
    """The level whose band holds the deprivation score (levels sorted by their upper bound)."""
    for lv in levels:
        if score < lv.below:
            return lv.level
    return levels[-1].level
