"""One family's evaluation, with each explanation written only when somebody asks for it.

The eligibility answer explains every decision, so it asks for all of them. The bus intake does
not: after an income report most of a family's thirteen decisions are exactly what it already
holds, and only a decision that changed is stored with its explanation. Writing an explanation
(conditions with values, arithmetic, three summaries) costs several times what deciding does, so
an `Assessment` decides everything at once (durable-rules, the engine of record) and keeps what
the explanations need to be written later, from the same outcomes and the same values.

The eligibility answer's default shape (`answer`) needs no trace either: every decision, its
amount, review flag and legal basis, with its name and summary in the languages the caller
asked for. It is taken from the explained decision, so both shapes always say the same, and
kept per compiled benefit like the explained decisions, so a repeated one costs a lookup.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any, NamedTuple

from engine import compiler, data_quality, explain, expr, indicators, model
from engine.decision import Lang, Period, Status
from engine.rulefile import Rulebook

MEMO_SIZE = 512  # explained decisions kept per compiled benefit (~4 kB each)
MEMO_TRIAL = 1000  # lookups before a benefit whose decisions rarely repeat stops being remembered
MEMO_MIN_HITS = 0.3  # ... that is, found fewer than this share of the time

LANGUAGES: dict[Lang, tuple[str, ...]] = {  # the languages each choice shows
    "kk": ("kk",), "ru": ("ru",), "en": ("en",), "all": ("kk", "ru", "en")}


class Verdict(NamedTuple):
    """A decision on one benefit without its explanation: what the service compares and acts on.

    (A named tuple: thirteen are made per evaluation, and a frozen dataclass costs twice as much.)
    """

    benefit: str
    name: dict[str, str]
    eligible: bool
    status: Status
    amount_kzt: int
    period: Period
    amount_case: str | None
    requires_human_review: bool
    review_reasons: tuple[str, ...]


class Assessment:
    """Every benefit decided for one family as of one date; explanations written on demand."""

    def __init__(
        self,
        *,
        book: Rulebook,
        program: compiler.Program,
        family: model.Family,
        as_of: dt.date,
        values: dict[str, indicators.IndicatorValue],
        env: dict[str, expr.Value],
        outcomes: list[explain.Outcome],
        findings: tuple[str, ...] = (),
        flagged: dict[int, tuple[str, ...]] | None = None,
    ) -> None:
        self.book = book
        self.program = program
        self.family = family
        self.as_of = as_of
        self.values = values
        self.env = env
        self.outcomes = outcomes
        self._decisions: dict[int, dict[str, Any]] = {}
        # Data-quality findings on the family (IIN digits disagreeing with the registry), and the
        # benefits whose decision they could change: those go to a caseworker (`data_quality`).
        self.findings = findings
        self.flagged = flagged or {}

    @functools.cached_property
    def verdicts(self) -> list[Verdict]:
        """Every decision without its explanation (what the bus intake compares), made on first use."""
        out = [self._verdict(cb, o) for cb, o in zip(self.program.benefits, self.outcomes, strict=True)]
        for i in self.flagged:
            v = out[i]
            out[i] = v._replace(requires_human_review=True,
                                review_reasons=tuple(sorted({*v.review_reasons, data_quality.REASON})))
        return out

    @property
    def ruleset_version(self) -> str:
        """The version of the rulebook that decided."""
        return self.book.version

    def _verdict(self, cb: compiler.CompiledBenefit, outcome: explain.Outcome) -> Verdict:
        _, rounded = explain.amount(self.program, cb, outcome, self.env)
        reasons = explain.review_reasons(cb, outcome)
        case = cb.cases[outcome.case].id if outcome.status == "eligible" and outcome.case is not None else None
        b = cb.benefit
        return Verdict(
            benefit=b.id, name=cb.name_view, eligible=outcome.status == "eligible", status=outcome.status,
            amount_kzt=rounded, period=b.period, amount_case=case, requires_human_review=bool(reasons),
            review_reasons=tuple(reasons),
        )

    def decision(self, i: int) -> dict[str, Any]:
        """The i-th decision with its explanation, as plain JSON data (read-only: it may be shared).

        An explained decision is a function of the benefit as compiled for the epoch, the outcome
        and the values of the indicators the benefit reads, and most families share those: of
        4,000 synthetic families, eleven of the thirteen benefits had fewer than 130 distinct
        combinations. So decisions already written are kept per compiled benefit (at most
        `MEMO_SIZE` each) and shared. A benefit whose combinations rarely repeat (the targeted
        assistance reads the family's income per head) stops being remembered after
        `MEMO_TRIAL` lookups with fewer than `MEMO_MIN_HITS` of them found.
        """
        found = self._decisions.get(i)
        if found is None:
            found = self._explained(i)
            if self.findings:  # a copy: the explained decision may be shared with other families
                found = {**found, "explanation": {**found["explanation"], "data_quality": list(self.findings)}}
                if i in self.flagged:
                    found["review_reasons"] = sorted({*found["review_reasons"], data_quality.REASON})
                    found["requires_human_review"] = True
            self._decisions[i] = found
        return found

    def _explained(self, i: int) -> dict[str, Any]:
        cb = self.program.benefits[i]
        outcome = self.outcomes[i]
        counts = cb.decision_lookups
        if counts[0] >= MEMO_TRIAL and counts[1] < MEMO_MIN_HITS * counts[0]:
            return explain.decision_dict(self.program, cb, outcome, self.env, self.values, self.as_of)
        values = self.values
        # The type is part of the key: 1, 1.0 and True are equal in Python but explained differently.
        # The summary of a decision a person must check (or of a benefit not in force) shows a date
        # counted from the evaluation date, so that date is part of the key for those decisions.
        read = (values.get(n) for n in cb.reads)
        key = (outcome, self.as_of if _dated(outcome) else None, *((type(v), v) for v in read))
        counts[0] += 1
        memo = cb.decisions
        found = memo.get(key)
        if found is not None:
            counts[1] += 1
            return found
        found = explain.decision_dict(self.program, cb, outcome, self.env, values, self.as_of)
        if len(memo) >= MEMO_SIZE:
            memo.clear()
        memo[key] = found
        return found

    def brief(self, i: int, lang: Lang) -> dict[str, Any]:
        """The i-th decision without its trace, texts in `lang`, as plain JSON data (read-only: it may be shared).

        The explained decision's fields without its `explanation` (conditions, parameters, the
        arithmetic), the summary alone kept: what a portal shows and a re-scoring compares. Made
        from the explained decision, so the two never disagree, and remembered under the same key
        (the outcome and the values the benefit reads) and within the same limits as `decision`.
        """
        cb = self.program.benefits[i]
        counts = cb.decision_lookups
        if counts[0] >= MEMO_TRIAL and counts[1] < MEMO_MIN_HITS * counts[0]:
            return brief_of(self.decision(i), lang)
        outcome = self.outcomes[i]
        # The key of `decision`, made with two C-level maps: the values read, and their types
        # (1, 1.0 and True are equal in Python but explained differently).
        read = tuple(map(self.values.get, cb.reads))
        # As in `decision`: a summary that shows a date counted from the evaluation date keys on it.
        key = (lang, outcome, self.as_of if _dated(outcome) else None, read, tuple(map(type, read)))
        counts[0] += 1
        memo = cb.briefs
        found = memo.get(key)
        if found is not None:
            counts[1] += 1
            return found
        found = brief_of(explain.decision_dict(self.program, cb, outcome, self.env, self.values, self.as_of), lang)
        if len(memo) >= MEMO_SIZE:
            memo.clear()
        memo[key] = found
        return found

    def answer(self, lang: Lang) -> dict[str, Any]:
        """The eligibility answer's default shape as plain JSON data (`decision.EligibilityAnswer`)."""
        return {
            "family_id": self.family.family_id,
            "as_of": self.as_of.isoformat(),
            "ruleset_version": self.book.version,
            "lang": lang,
            "wellbeing": self.wellbeing_brief(lang),
            "decisions": [self.brief(i, lang) for i in range(len(self.outcomes))],
        }

    def wellbeing_brief(self, lang: Lang) -> dict[str, Any]:
        """The well-being level, its label in `lang` and its score, without the deprivations.

        The level, label and score depend only on which deprivations hold, and the program keeps
        them per combination (`explain.wellbeing_dict` fills that in the first time).
        """
        program = self.program
        env = self.env
        model = self.book.wellbeing
        known = program.wellbeing_levels.get(tuple([bool(fn(env)) for fn in program.wellbeing_fns]))
        if known is None or known[0] is not model:
            full = self.wellbeing()
            level, score = full["level"], full["score"]
        else:
            _, level, _, score = known
        label = next(lv.label for lv in model.levels if lv.level == level)
        return {"level": level, "label": {k: getattr(label, k) for k in LANGUAGES[lang]}, "score": score,
                "model_version": model.model_version}

    def wellbeing(self) -> dict[str, Any]:
        """The family's well-being level, as plain JSON data."""
        return explain.wellbeing_dict(self.program, self.env, self.book)

    def all_indicators(self) -> dict[str, indicators.IndicatorValue]:
        """Every registered indicator (the rulebook reads only some; a family's record shows all)."""
        rest = [n for n in indicators.REGISTRY if n not in self.values]
        if not rest:
            return dict(self.values)
        more = indicators.compute_some(self.family, self.as_of, rest)
        return {n: self.values[n] if n in self.values else more[n] for n in indicators.REGISTRY}

    def data(self) -> dict[str, Any]:
        """The eligibility response as plain JSON data, in the shape of `decision.EligibilityResponse`."""
        return {
            "family_id": self.family.family_id,
            "as_of": self.as_of.isoformat(),
            "ruleset_version": self.book.version,
            "wellbeing": self.wellbeing(),
            "decisions": [self.decision(i) for i in range(len(self.outcomes))],
        }


def _dated(outcome: explain.Outcome) -> bool:
    """Whether the summary shows a date counted from the evaluation date (a person's deadline, not in force)."""
    return outcome.status == "not_in_force" or bool(outcome.triggers) or outcome.status == "insufficient_data"


def brief_of(decision: dict[str, Any], lang: Lang) -> dict[str, Any]:
    """An explained decision (`explain.decision_dict`) without its trace, its texts in `lang`."""
    name = decision["name"]
    summary = decision["explanation"]["summary"]
    if lang != "all":
        name = {lang: name[lang]}
        summary = {lang: summary[lang]}
    return {
        "benefit": decision["benefit"],
        "name": name,
        "eligible": decision["eligible"],
        "status": decision["status"],
        "amount_kzt": decision["amount_kzt"],
        "amount_exact_kzt": decision["amount_exact_kzt"],
        "period": decision["period"],
        "requires_human_review": decision["requires_human_review"],
        "review_reasons": decision["review_reasons"],
        "legal_basis": decision["legal_basis"],
        "summary": summary,
    }
