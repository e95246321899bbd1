"""The engine's public face: load a rules directory, evaluate a family, reload safely.

One `Engine` per process, used from one thread: durable-rules (the engine of record) is neither
thread-safe nor able to redefine a ruleset, so the engine owns its rulesets, names them by rulebook
version and epoch, and frees the old ones after a reload has swapped in a fully validated rulebook.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import orjson

from engine import (
    clocks,
    compiler,
    data_quality,
    decision,
    explain,
    expr,
    indicators,
    model,
    rulecontent,
    rulefile,
)
from engine.assessment import Assessment
from engine.decision import Lang
from engine.durable_backend import DurableEngine
from engine.errors import RuleError, RuleErrors

Backend = Literal["durable", "explain"]


@dataclass(frozen=True)
class BenefitInfo:
    """What the rules say about one benefit, for listings."""

    id: str
    name: decision.Texts
    legal_basis: str
    period: str
    proactive: bool
    path: str


def default_rules_dir() -> Path:
    """`$FAMILYCARD_RULES_DIR`, else `rules/` in the working directory, else the repository's."""
    env = os.environ.get("FAMILYCARD_RULES_DIR")
    if env:
        return Path(env)
    here = Path("rules")
    if here.is_dir():
        return here
    return Path(__file__).resolve().parent.parent / "rules"


class Engine:
    """A validated rulebook with its compiled epochs and the durable-rules rulesets behind them."""

    def __init__(self, book: rulefile.Rulebook):
        self._book = book
        self._points = compiler.change_points(book)
        self._programs: dict[dt.date, compiler.Program] = {}
        self._by_date: dict[dt.date, compiler.Program] = {}  # the epoch of each date asked for
        self._durable = DurableEngine()
        self._schedules: dict[dt.date, clocks.Schedule] = {}  # by epoch start

    @classmethod
    def load(cls, rules_dir: str | Path | None = None) -> Engine:
        """Load and validate a rules directory; raises RuleErrors listing every problem."""
        book, errors = rulefile.load(Path(rules_dir) if rules_dir else default_rules_dir())
        if book is None:
            raise RuleErrors(errors)
        return cls(book)

    @classmethod
    def load_files(cls, files: rulecontent.RuleFiles, *, origin: Path) -> Engine:
        """Load and validate a rule set from its content (as stored), not from a directory."""
        book, errors = rulecontent.load(files, origin=origin)
        if book is None:
            raise RuleErrors(errors)
        return cls(book)

    @staticmethod
    def check(rules_dir: str | Path) -> list[RuleError]:
        """Every problem in a rules directory (empty when it is valid)."""
        return rulefile.load(Path(rules_dir))[1]

    @property
    def version(self) -> str:
        """The rulebook version: a digest of every rule file."""
        return self._book.version

    @property
    def book(self) -> rulefile.Rulebook:
        """The loaded rulebook."""
        return self._book

    def benefits(self) -> list[BenefitInfo]:
        """Every benefit of the rulebook."""
        return [BenefitInfo(b.id, b.name, b.legal_basis, b.period, b.proactive, b.path) for b in self._book.benefits]

    def reload(self, rules_dir: str | Path | None = None) -> None:
        """Swap in a new rulebook, validated first; on any error the old one keeps serving."""
        book, errors = rulefile.load(Path(rules_dir) if rules_dir else self._book.root)
        if book is None:
            raise RuleErrors(errors)
        self.use(book)

    def use(self, book: rulefile.Rulebook) -> None:
        """Swap in a rulebook that is already validated (e.g. loaded by `rulecontent.load`)."""
        self._book = book
        self._points = compiler.change_points(book)
        self._programs = {}
        self._by_date = {}
        self._schedules = {}
        self._durable.unload_except(())

    def program(self, as_of: dt.date) -> compiler.Program:
        """The compiled program for the epoch containing `as_of` (compiled once, then cached)."""
        prog = self._by_date.get(as_of)
        if prog is not None:
            return prog
        start, end = compiler.epoch_of(self._points, as_of)
        prog = self._programs.get(start)
        if prog is None:
            prog = compiler.compile_epoch(self._book, start, end)
            self._programs[start] = prog
        if len(self._by_date) >= 4096:  # requests name a handful of dates; a sweep over many starts over
            self._by_date.clear()
        self._by_date[as_of] = prog
        return prog

    def schedule(self, as_of: dt.date) -> clocks.Schedule:
        """The time thresholds of the epoch containing `as_of` (see `engine.clocks`), worked out once."""
        prog = self.program(as_of)
        sched = self._schedules.get(prog.start)
        if sched is None:
            sched = self._schedules[prog.start] = clocks.schedule(prog)
        return sched

    def next_change(self, family: model.Family, as_of: dt.date) -> dt.date | None:
        """The earliest date after `as_of` on which a decision could change with no new fact (None: never).

        It may be early, never late: every day from `as_of` to the day before gives the decisions
        of `as_of` (`tests/engine/test_clocks.py` checks it day by day).
        """
        return clocks.next_change(self.schedule(as_of), family, as_of)

    def evaluate(
        self, family: model.Family, as_of: dt.date, backend: Backend = "durable"
    ) -> decision.EligibilityResponse:
        """One decision per benefit, decided by durable-rules (or the clause-by-clause path)."""
        return decision.EligibilityResponse.model_validate(self.evaluate_data(family, as_of, backend))

    def evaluate_json(self, family: model.Family, as_of: dt.date, backend: Backend = "durable") -> bytes:
        """The eligibility response as JSON bytes, for callers that only send it on (the HTTP answer)."""
        return orjson.dumps(self.evaluate_data(family, as_of, backend))

    def answer_json(
        self, family: model.Family, as_of: dt.date, lang: Lang = "kk", backend: Backend = "durable"
    ) -> bytes:
        """The eligibility answer's default shape (`decision.EligibilityAnswer`) as JSON bytes: no trace."""
        return orjson.dumps(self.assess(family, as_of, backend).answer(lang))

    def evaluate_data(self, family: model.Family, as_of: dt.date, backend: Backend = "durable") -> dict[str, Any]:
        """The eligibility response as plain JSON data, in the shape of `decision.EligibilityResponse`."""
        return self.assess(family, as_of, backend).data()

    def assess(self, family: model.Family, as_of: dt.date, backend: Backend = "durable") -> Assessment:
        """Every benefit decided for the family; explanations written when asked for (see `Assessment`)."""
        prog = self.program(as_of)
        values = indicators.compute_some(family, as_of, prog.indicator_names)
        env = compiler.environment(prog, values)
        if backend == "durable":
            outcomes = self.durable_outcomes(prog, values, env)
        else:
            outcomes = self.python_outcomes(prog, values, env)
        found = data_quality.findings(family)
        flagged: dict[int, tuple[str, ...]] = {}
        if found:  # rare: decide again with the IIN's digits, flag only what they would change
            other = self.assess(data_quality.as_the_digits_say(family), as_of, backend)
            mine = Assessment(book=self._book, program=prog, family=family, as_of=as_of, values=values, env=env,
                              outcomes=outcomes)
            for i, (a, b) in enumerate(zip(mine.verdicts, other.verdicts, strict=True)):
                if (a.status, a.amount_kzt) != (b.status, b.amount_kzt):  # as `vectorised.run.iin_flags`
                    flagged[i] = tuple(found)
        return Assessment(book=self._book, program=prog, family=family, as_of=as_of, values=values, env=env,
                          outcomes=outcomes, findings=tuple(found), flagged=flagged)

    def durable_outcomes(
        self, prog: compiler.Program, values: dict[str, indicators.IndicatorValue], env: dict[str, expr.Value]
    ) -> list[explain.Outcome]:
        """Outcomes as durable-rules decides them for one family's indicators."""
        if not self._durable.has(prog.ruleset_name):
            self._durable.load(prog.ruleset_name, prog.durable)
        fired = self._durable.fire(prog.ruleset_name, compiler.fact(prog, values, env, self._durable.next_id()))
        return explain.outcomes_from_fired(prog, fired, values)

    def python_outcomes(
        self, prog: compiler.Program, values: dict[str, indicators.IndicatorValue], env: dict[str, expr.Value]
    ) -> list[explain.Outcome]:
        """Outcomes as the clause-by-clause path decides them."""
        return [explain.outcome_python(cb, env, values) for cb in prog.benefits]
