"""The clause-by-clause path: every condition evaluated on its own, to explain each decision.

The same compiled program that durable-rules matches is evaluated here condition by condition,
in exact decimals, so a decision can say which conditions held or failed and on which values, the
parameters (with the date each took effect), the amount arithmetic with numbers, and a summary in
Kazakh, Russian and English. Durable-rules decides; this path explains, and a differential test
keeps the two equal on every benefit of every family.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_UP, Decimal
from typing import Any

from engine import decision, expr, indicators, plain
from engine.compiler import CompiledBenefit, CompiledCase, Program, scalar
from engine.decision import Texts
from engine.rulefile import PLACEHOLDER, Level, Rulebook

CENT = Decimal("0.01")
TENGE = Decimal(1)
ROUNDING = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN, "up": ROUND_UP, "down": ROUND_DOWN}



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
    as_of: dt.date | None = None,
) -> decision.Decision:
    """The full decision on one benefit, with its explanation, from an evaluator's outcome."""
    return decision.Decision.model_validate(decision_dict(program, cb, outcome, env, values, as_of))


def decision_dict(
    program: Program,
    cb: CompiledBenefit,
    outcome: Outcome,
    env: dict[str, expr.Value],
    values: dict[str, indicators.IndicatorValue],
    as_of: dt.date | None = None,
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
    holds_all: list[bool] = []
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
            holds_all.append(holds)
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
            "summary": _summary(program, cb, outcome, rounded, holds_all, env, values, as_of or program.start),
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
# How many working days a caseworker has to decide, when the rules give it (`rules/parameters`).
REVIEW_DAYS_PARAM = "review.decision_working_days"

# The fixed words of a summary, per language: what was decided, the labels, the next step.
_WORDS: dict[str, dict[plain.Lang, str]] = {
    "eligible": {
        "kk": "«{name}»: отбасыға {period} {amount} тағайындалады.",
        "ru": "«{name}»: семье положено {amount} {period}.",
        "en": "{name}: the family is entitled to {amount} {period}.",
    },
    "eligible_checked": {
        "kk": "«{name}»: есеп бойынша отбасыға {period} {amount} тиесілі; шешімді маман тексереді.",
        "ru": "«{name}»: по расчёту семье положено {amount} {period}; решение проверит специалист.",
        "en": "{name}: by the calculation the family is entitled to {amount} {period}; a caseworker will check it.",
    },
    "notice": {
        "kk": "«{name}»: отбасы мүшесіне хабарлама жіберіледі.",
        "ru": "«{name}»: члену семьи будет направлено уведомление.",
        "en": "{name}: a notice will be sent to a family member.",
    },
    "not_eligible": {
        "kk": "«{name}»: қазір отбасының бұл төлемге құқығы жоқ.",
        "ru": "«{name}»: сейчас у семьи нет права на эту выплату.",
        "en": "{name}: the family is not entitled to this payment now.",
    },
    "notice_not_due": {
        "kk": "«{name}»: қазір хабарлама қажет емес.",
        "ru": "«{name}»: сейчас уведомление не требуется.",
        "en": "{name}: no notice is due now.",
    },
    "not_eligible_checked": {
        "kk": "«{name}»: жүйе бұл төлемге негіз таппады, бірақ бұл әлі шешім емес: істі маман тексереді.",
        "ru": "«{name}»: система не нашла оснований для этой выплаты, но это ещё не решение: дело проверит специалист.",
        "en": "{name}: the system found no grounds for this payment, but this is not a decision yet: "
        "a caseworker will check the case.",
    },
    "insufficient_data": {
        "kk": "«{name}»: шешім қабылдауға деректер жеткіліксіз, шешімді маман қабылдайды. Бұл бас тарту емес.",
        "ru": "«{name}»: данных для решения недостаточно, решение примет специалист. Это не отказ.",
        "en": "{name}: there is not enough data to decide, so a caseworker will decide. This is not a refusal.",
    },
    "not_in_force": {
        "kk": "«{name}»: {date} күні бұл төлем қолданыста емес.",
        "ru": "«{name}»: на {date} эта выплата не действует.",
        "en": "{name}: this payment is not in force on {date}.",
    },
    "why": {"kk": "Негізі: ", "ru": "Основания: ", "en": "Why: "},
    "not_met": {"kk": "Орындалмаған шарт: ", "ru": "Не выполнено условие: ", "en": "Not met: "},
    "no_band": {
        "kk": "Отбасының жағдайына төлемнің бірде-бір мөлшері сәйкес келмейді.",
        "ru": "Ни один размер выплаты не подходит к положению семьи.",
        "en": "No amount of this payment fits the family's situation.",
    },
    "checked": {"kk": "Маман тексереді: ", "ru": "Проверит специалист: ", "en": "A caseworker will check: "},
    "missing": {"kk": "Жетіспейтін деректер: ", "ru": "Не хватает данных: ", "en": "Missing: "},
    "computed": {"kk": "Қалай есептелді: ", "ru": "Как рассчитано: ", "en": "How it is computed: "},
    "basis": {"kk": "Құқықтық негіз: ", "ru": "Правовое основание: ", "en": "Legal basis: "},
    "next_offer": {
        "kk": "Әрі қарай: отбасы бұл төлемді әлі алмаса, 1414 нөмірінен SMS келеді; келісу үшін оған 1 деп "
        "жауап беріңіз.",
        "ru": "Что дальше: если семья ещё не получает эту выплату, придёт SMS с номера 1414; чтобы согласиться, "
        "ответьте на него цифрой 1.",
        "en": "What next: if the family does not receive this payment yet, an SMS will come from 1414; "
        "reply 1 to accept.",
    },
    "next_notice": {
        "kk": "Әрі қарай: хабарлама 1414 нөмірінен SMS арқылы келеді.",
        "ru": "Что дальше: уведомление придёт по SMS с номера 1414.",
        "en": "What next: the notice will come by SMS from 1414.",
    },
    "next_review": {
        "kk": "Әрі қарай: маманның шешім қабылдау мерзімі — {date}. Мерзім өтіп кетсе, әрекетсіздікке шағым "
        "беруге болады.",
        "ru": "Что дальше: до {date} решение примет специалист. Если срок пройдёт без решения, можно обжаловать "
        "бездействие.",
        "en": "What next: a caseworker will decide by {date}. If the date passes with no decision, you can appeal "
        "against the delay.",
    },
    "next_review_undated": {
        "kk": "Әрі қарай: шешімді белгіленген мерзімде маман қабылдайды.",
        "ru": "Что дальше: решение в установленный срок примет специалист.",
        "en": "What next: a caseworker will decide within the legal time limit.",
    },
    "object": {
        "kk": "Келіспесеңіз, отбасы парақшасында (eGov) немесе ХҚКО-да шағым беріңіз; оны маман қарайды.",
        "ru": "Если вы не согласны, подайте жалобу на странице семьи (eGov) или в ЦОН; её рассмотрит специалист.",
        "en": "If you disagree, file an appeal on the family's page (eGov) or at a public service centre; "
        "a caseworker will consider it.",
    },
}

PERIOD_PHRASES: dict[str, dict[plain.Lang, str]] = {
    "monthly": {"kk": "ай сайын", "ru": "в месяц", "en": "a month"},
    "quarterly": {"kk": "тоқсан сайын", "ru": "в квартал", "en": "a quarter"},
    "one_time": {"kk": "біржолғы", "ru": "единовременно", "en": "once"},
    "notice": {"kk": "", "ru": "", "en": ""},
}


def _summary(
    program: Program,
    cb: CompiledBenefit,
    outcome: Outcome,
    rounded: int,
    holds: list[bool],
    env: dict[str, expr.Value],
    values: dict[str, indicators.IndicatorValue],
    as_of: dt.date,
) -> dict[str, str]:
    """The decision in words a family reads, assembled from the rule file's texts.

    What was decided; the two or three facts that decided it with their values; the amount and how
    it was computed; the legal basis; what happens next. A decision a person still has to check
    never reads as final.
    """
    v = cb.version
    status = outcome.status
    reasons = review_reasons(cb, outcome)
    dated = status == "not_in_force" or bool(reasons)
    shown = {n: _placeholder_value(n, cb, program, env, values) for n in cb.units} if v is not None else {}
    key = (outcome, rounded, tuple(holds), as_of if dated else None, tuple((type(x), x) for x in shown.values()))
    texts = cb.summaries.get(key)
    if texts is None:
        texts = tuple(_write(program, cb, outcome, rounded, holds, shown, as_of, reasons, lang) for lang in plain.LANGS)
        if len(cb.summaries) >= SUMMARY_MEMO:
            cb.summaries.clear()
        cb.summaries[key] = texts
    return {"kk": texts[0], "ru": texts[1], "en": texts[2]}


def _placeholder_value(
    n: str, cb: CompiledBenefit, program: Program, env: dict[str, expr.Value],
    values: dict[str, indicators.IndicatorValue],
) -> object:
    if n in values:
        return values[n]
    if n in cb.lets:
        let = cb.lets[n]
        if isinstance(let, expr.Num | expr.Str | expr.Bool):
            return let.value
        return cb.let_fns[n](env)
    if n in program.params:
        return program.params[n][0]
    return env.get(n)


def _fill(text: str, shown: dict[str, object], units: dict[str, str], lang: plain.Lang) -> str:
    return PLACEHOLDER.sub(lambda m: plain.value_text(shown.get(m.group(1)), units.get(m.group(1), ""), lang), text)


def _write(
    program: Program, cb: CompiledBenefit, outcome: Outcome, rounded: int, holds: list[bool],
    shown: dict[str, object], as_of: dt.date, reasons: list[str], lang: plain.Lang,
) -> str:
    b = cb.benefit
    w = {k: t[lang] for k, t in _WORDS.items()}
    name = getattr(b.name, lang)
    status = outcome.status
    v = cb.version
    notice = b.period == "notice"

    def say(t: Texts) -> str:
        return _fill(getattr(t, lang), shown, cb.units, lang)

    if status == "not_in_force" or v is None:
        return w["not_in_force"].format(name=name, date=plain.date_text(as_of, lang))
    checked = [t for t in (v.triggers[k].text for k in outcome.triggers) if t is not None]
    parts: list[str] = []
    amount_words = {"name": name, "amount": plain.money_text(rounded, lang), "period": PERIOD_PHRASES[b.period][lang]}
    if status == "eligible":
        if notice:
            parts.append(w["notice"].format(name=name))
        else:
            parts.append(w["eligible_checked" if reasons else "eligible"].format(**amount_words))
        facts = [say(t) for t, h in zip(v.condition_texts, holds, strict=True) if h][:3]
        if facts:
            parts.append(w["why"] + " ".join(plain.lower_first(f) if i == 0 else f for i, f in enumerate(facts)))
        case = v.cases[outcome.case].text if outcome.case is not None else None
        if case is not None and not notice:
            parts.append(w["computed"] + plain.lower_first(say(case)))
    elif status == "insufficient_data":
        parts.append(w["insufficient_data"].format(name=name))
        if v.missing_text is not None:
            parts.append(w["missing"] + plain.lower_first(say(v.missing_text)))
    else:
        parts.append(w["not_eligible_checked" if reasons else "notice_not_due" if notice else "not_eligible"].format(
            name=name))
        failed = [say(t) for t, h in zip(v.condition_texts, holds, strict=True) if not h][:3]
        if failed:
            parts.append(w["not_met"] + " ".join(plain.lower_first(f) if i == 0 else f for i, f in enumerate(failed)))
        else:
            parts.append(w["no_band"])
    if checked:
        parts.append(w["checked"] + " ".join(plain.lower_first(say(t)) if i == 0 else say(t)
                                               for i, t in enumerate(checked)))
    if b.basis is not None:
        parts.append(w["basis"] + getattr(b.basis, lang))
    if reasons:
        days = program.params.get(REVIEW_DAYS_PARAM)
        if days is not None:
            by = plain.add_working_days(as_of, int(str(days[0])))
            parts.append(w["next_review"].format(date=plain.date_text(by, lang)))
        else:
            parts.append(w["next_review_undated"])
    elif status == "eligible":
        parts.append(w["next_notice"] if notice else w["next_offer"] if b.proactive else "")
    if status != "eligible" or reasons or not notice:
        parts.append(w["object"])
    return " ".join(p for p in parts if p)


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
