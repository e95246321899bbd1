"""Collect the analysts' YAML test cases (`rules/tests/*.yaml`) as pytest items.

The same loader and runner as `familycard rules test`, so a failure in CI reads exactly like one
on an analyst's machine: `rules/tests/large_family.yaml:42: 'five children, 2026': ...`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

RULES_DIR = Path(__file__).parent / "rules"
_engine: Any = None


def _shared_engine() -> Any:
    global _engine
    if _engine is None:
        from engine.api import Engine

        _engine = Engine.load(RULES_DIR)
    return _engine


class AnalystCaseFile(pytest.File):
    """One `rules/tests/*.yaml` file."""

    def collect(self) -> Iterator[pytest.Item]:
        from engine import casefile

        cases, errors = casefile.load(self.path, casefile.display(self.path, RULES_DIR))
        for e in errors:
            yield AnalystCase.from_parent(self, name=f"line {e.line}: invalid", case=None, error=str(e))
        for case in cases:
            yield AnalystCase.from_parent(self, name=case.name, case=case, error=None)


class AnalystCase(pytest.Item):
    """One analyst case, run through durable-rules and through the explanation path."""

    def __init__(self, *, case: Any, error: str | None, **kwargs: Any):
        super().__init__(**kwargs)
        self.case = case
        self.error = error

    def runtest(self) -> None:
        from engine import casefile

        if self.error:
            raise AnalystCaseFailure([self.error])
        problems = []
        for backend in ("durable", "explain"):
            problems += [f"[{backend}] {p}" for p in casefile.run_case(_shared_engine(), self.case, backend)]
        if problems:
            raise AnalystCaseFailure(problems)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, AnalystCaseFailure):
            return "\n".join(excinfo.value.problems)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, (self.case.line - 1) if self.case else 0, f"analyst case: {self.name}"


class AnalystCaseFailure(Exception):
    """An analyst case whose decisions differ from what it expects."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix == ".yaml" and file_path.parent.name == "tests" and file_path.parent.parent.name == "rules":
        return AnalystCaseFile.from_parent(parent, path=file_path)
    return None
