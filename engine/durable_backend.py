"""The adapter around durable-rules, the engine of record: the only module that knows its API.

durable-rules has sharp edges, measured on this kind of machine (see the dependency facts):
- `post()` consumes an event with the first matching rule, so facts are asserted (every matching
  rule fires) and always retracted in `finally` (facts never retracted leak ~7.6 KiB each);
- identical fact content asserted twice raises, so every fact carries a fresh `id`;
- a ruleset holds at most 1,024 sids and `delete_state` can SIGSEGV: one fixed sid, never deleted;
- it is not thread-safe and never releases the GIL: one engine per process, called from one thread
  (checked here: a call from another thread raises instead of corrupting state);
- a ruleset name cannot be redefined: rulesets are named by rulebook version and epoch and are
  created and freed through the C API (`create_ruleset` / `delete_ruleset`), which also avoids
  `durable.lang.Host` and its timer threads that never stop;
- it coerces types silently and ignores missing fields: facts are built from validated indicators
  only, with every field present and booleans as 0/1;
- errors come back as codes, never as exceptions in actions (there are no Python actions here: the
  fired rule names are read from the messages the engine hands out);
- its JSON reader refuses a number with an exponent but no decimal point ("1e-05", error 204):
  facts are written by orjson (an eighth of the cost of `json.dumps`; the C API wants `str`), which
  writes doubles from 1e-5 up to 1e16 without an exponent, where `json.dumps` does from 1e-4. The
  facts' numbers are amounts to the tiyn, ratios and ages to 1e-4, and their differences, so both
  write the same numbers the same way.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterable
from typing import Any

import durable_rules_engine as dre
import orjson

from engine.errors import BackendError

_NOT_HANDLED = 1
_OBSERVED = 2


class DurableEngine:
    """Rulesets by name, evaluated one fact at a time with assert, fire, retract."""

    def __init__(self) -> None:
        self._handles: dict[str, int] = {}
        self._owner = threading.get_ident()
        self._ids = itertools.count(1)

    def _check_thread(self) -> None:
        if threading.get_ident() != self._owner:
            raise BackendError("durable-rules is not thread-safe: this engine belongs to another thread")

    def has(self, name: str) -> bool:
        """Whether a ruleset of that name is loaded."""
        return name in self._handles

    def load(self, name: str, rules: dict[str, Any]) -> None:
        """Create a ruleset (a no-op if one of that name exists already)."""
        self._check_thread()
        if name in self._handles:
            return
        if not rules:
            # An epoch in which nothing can fire still needs a valid ruleset.
            rules = {"never": {"all": [{"m": {"_never": 1}}]}}
        try:
            self._handles[name] = dre.create_ruleset(name, json.dumps(rules))
        except Exception as exc:  # the C extension raises plain Exception
            raise BackendError(f"durable-rules refused ruleset {name}: {exc}") from exc

    def unload_except(self, keep: Iterable[str]) -> None:
        """Free every ruleset not in `keep` (after a rule reload swapped versions)."""
        self._check_thread()
        keep = set(keep)
        for name in [n for n in self._handles if n not in keep]:
            dre.delete_ruleset(self._handles.pop(name))

    def next_id(self) -> int:
        """A fresh fact id, so identical families never collide in the engine's memory."""
        return next(self._ids)

    def fire(self, name: str, fact: dict[str, Any]) -> list[str]:
        """Assert the fact, collect the names of every rule it fires, retract it."""
        self._check_thread()
        handle = self._handles[name]
        payload = orjson.dumps(fact).decode()
        try:
            result = dre.assert_fact(handle, payload)
        except Exception as exc:
            raise BackendError(f"durable-rules refused a fact: {exc}") from exc
        fired: list[str] = []
        try:
            if result[0] == _NOT_HANDLED:
                return fired
            if result[0] == _OBSERVED:
                raise BackendError("durable-rules saw this fact already (fact ids must be unique)")
            state_handle = result[1]
            started = dre.start_action_for_state(handle, state_handle)
            message = orjson.loads(started[1]) if started else None
            while message:
                fired.extend(message.keys())
                nxt = dre.complete_and_start_action(handle, state_handle)
                message = orjson.loads(nxt) if nxt else None
        finally:
            dre.retract_fact(handle, payload)
        return fired
