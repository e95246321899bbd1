"""The table the bus prints at the end of a run: events by type, offers, reviews, errors, pace.

Counts are per event (its first delivery) and per delivery (redeliveries included), because the
two answer different questions: what the registries said, and what the API had to absorb.
"""

from __future__ import annotations

import collections
import statistics
from typing import TYPE_CHECKING

from synthetic import bus_effects

if TYPE_CHECKING:
    from synthetic.bus_delivery import Outcome
    from synthetic.bus_run import BusRun


def final_outcomes(run: BusRun) -> list[Outcome]:
    """One outcome per event: an acknowledged delivery if there is one, else the last tried."""
    best: dict[str, Outcome] = {}
    for outcome in run.outcomes:
        current = best.get(outcome.event_id)
        if current is None or (outcome.acked and not current.acked):
            best[outcome.event_id] = outcome
    return list(best.values())


def render(run: BusRun) -> str:
    """The summary as fixed-width text."""
    per_type: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for outcome in final_outcomes(run):
        per_type[outcome.type]["events"] += 1
        per_type[outcome.type][outcome.final] += 1
    for outcome in run.outcomes:
        row = per_type[outcome.type]
        row["deliveries"] += 1
        row["retries"] += max(0, len(outcome.attempts) - 1)
        if outcome.ack_status:
            row[outcome.ack_status] += 1
    columns = ("events", "deliveries", "applied", "duplicate", "rejected", "undelivered", "retries")
    lines = [f"{'event type':<22}" + "".join(f"{c:>12}" for c in columns)]
    total: collections.Counter[str] = collections.Counter()
    for etype in sorted(per_type):
        row = per_type[etype]
        total.update(row)
        lines.append(f"{etype:<22}" + "".join(f"{row[c]:>12}" for c in columns))
    lines.append(f"{'total':<22}" + "".join(f"{total[c]:>12}" for c in columns))
    other = sorted(set(total) - set(columns) - {"acked"})
    if other:
        lines.append("other answers: " + ", ".join(f"{k} {total[k]}" for k in other))

    reviews = sum(len(bus_effects.reviews_opened(o.body)) for o in run.outcomes if o.ack_status == "applied")
    entitlements = sum(len(bus_effects.entitlements_changed(o.body)) for o in run.outcomes if o.ack_status == "applied")
    sent = set(run.consent_events.values())
    answers = collections.Counter(
        "never answered"
        if a is None
        else "closed first"
        if o in run.closed_before_reply
        else "accepted"
        if a
        else "refused"
        for o, a in run.answers.items()
        if a is None or o in sent or o in run.closed_before_reply
    )
    late = sum(1 for o in run.outcomes if o.ack_status == "applied" and (o.body or {}).get("late"))
    lines.append(
        f"offers: {len(run.offers)} made; replies {answers['accepted']} accepted, {answers['refused']} refused, "
        f"{answers['never answered']} never answered, {answers['closed first']} closed before the reply"
    )
    lines.append(
        f"reviews opened: {reviews}; entitlements changed: {entitlements}; "
        f"applied late (older than the family's newest fact): {late}"
    )
    errors = collections.Counter(
        str(a.status_code) if a.status_code is not None else (a.error or "error").split(":")[0]
        for o in run.outcomes
        for a in o.attempts
        if a.status_code is None or a.status_code >= 400
    )
    lines.append("errors by attempt: " + (", ".join(f"{k} x{v}" for k, v in sorted(errors.items())) or "none"))
    latencies = sorted(a.elapsed_ms for o in run.outcomes for a in o.attempts if a.status_code is not None)
    if latencies:
        q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [latencies[0]] * 99
        rate = len(run.outcomes) / run.elapsed if run.elapsed else 0.0
        lines.append(
            f"time: {run.elapsed:.1f} s, {rate:.0f} deliveries/s; latency p50 {q[49]:.1f} ms, "
            f"p95 {q[94]:.1f} ms, p99 {q[98]:.1f} ms"
        )
    return "\n".join(lines)
