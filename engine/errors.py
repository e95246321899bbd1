"""Errors that speak to analysts and integrators: a rule file's path, line and column, or a field.

Each error carries structured fields and builds its message from them, like a compiler:
`rules/benefits/large_family.yaml:14:9: unknown indicator 'chidren_under_18' (did you mean ...)`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class RuleError:
    """One problem in one rule file, at a 1-based line and column (0 when unknown)."""

    path: str
    line: int
    column: int
    code: str
    message: str
    suggestion: str | None = None

    def __str__(self) -> str:
        hint = f" (did you mean '{self.suggestion}'?)" if self.suggestion else ""
        return f"{self.path}:{self.line}:{self.column}: {self.message}{hint} [{self.code}]"

    def as_dict(self) -> dict[str, object]:
        """The error as JSON for the API."""
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "code": self.code,
            "message": self.message,
            "suggestion": self.suggestion,
            "text": str(self),
        }


class EngineError(Exception):
    """Base of the engine's own errors."""


class RuleErrors(EngineError):
    """Every problem found in a set of rule files, sorted by file and line; nothing was loaded."""

    def __init__(self, errors: list[RuleError]):
        self.errors = sorted(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


class EvaluationError(EngineError):
    """A snapshot the rules cannot be evaluated on, naming the field (or parameter) at fault."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class BackendError(EngineError):
    """The rule engine itself failed (an action raised, or durable-rules refused a fact)."""
