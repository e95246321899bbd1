"""What every request handler of one application shares: settings, database, rules, tokens, clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from service import auth, metrics
from service.clock import Clock, utc_now
from service.ruleset import Rules
from service.settings import Settings


@dataclass
class AppContext:
    """Built once at start-up and kept on `app.state.ctx`."""

    settings: Settings
    db: sa.Engine
    rules: Rules
    tokens: auth.TokenStore
    metrics: metrics.Metrics
    clock: Clock = field(default=utc_now)
    # Failed sign-ins and unknown tokens per client address (see `auth.Throttle`).
    throttle: auth.Throttle = field(default_factory=auth.Throttle)
    # Small per-worker bookkeeping of the use cases (e.g. when offers were last swept).
    state: dict[str, Any] = field(default_factory=dict)
