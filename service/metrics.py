"""Prometheus metrics: events by type and outcome, decisions by benefit, the review queue, latencies.

Each application gets its own registry (tests build many). With several uvicorn workers,
`PROMETHEUS_MULTIPROC_DIR` (set by `familycard serve`) makes every worker write its samples to
files that `/metrics` aggregates, whichever worker answers the scrape. The review queue size is
read from the database at scrape time, so it is the same in every worker.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class _QueueCollector(Collector):
    def __init__(self, pending: Callable[[], int]) -> None:
        self._pending = pending

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily("familycard_review_queue_size", "Reviews waiting for a person")
        try:
            gauge.add_metric([], float(self._pending()))
        except Exception:  # a scrape must not fail because the database is busy
            return
        yield gauge


class Metrics:
    """The service's metrics and the registry `/metrics` renders."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.multiprocess = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
        # In multiprocess mode samples go to files; the per-scrape registry aggregates them.
        self.registry = None if self.multiprocess else CollectorRegistry()
        reg = self.registry
        self.events = Counter("familycard_events", "Bus events by type and outcome", ["type", "outcome"],
                              registry=reg)
        self.decisions = Counter("familycard_decisions", "Stored decisions by benefit and change",
                                 ["benefit", "change"], registry=reg)
        self.offers = Counter("familycard_offers", "Offer lifecycle transitions by benefit",
                              ["benefit", "status"], registry=reg)
        self.reviews = Counter("familycard_reviews", "Reviews opened and resolved", ["kind", "status"],
                               registry=reg)
        self.requests = Histogram("familycard_http_request_seconds", "HTTP request latency",
                                  ["method", "route", "status"], buckets=LATENCY_BUCKETS, registry=reg)
        self.event_apply = Histogram("familycard_event_apply_seconds", "Time to apply one bus event",
                                     ["type"], buckets=LATENCY_BUCKETS, registry=reg)
        self.evaluate = Histogram("familycard_engine_evaluate_seconds", "Time of one engine evaluation",
                                  buckets=LATENCY_BUCKETS, registry=reg)
        self.rollout = Gauge("familycard_rollout_families", "The current rule roll-out: families checked, changed, "
                             "applied, reviews opened", ["state"], registry=reg, multiprocess_mode="max")
        self.calendar = Counter("familycard_calendar_ticks", "Families re-decided because time moved their decisions",
                                ["outcome"], registry=reg)
        self._pending: Callable[[], int] | None = None

    def watch_queue(self, pending: Callable[[], int]) -> None:
        """Report the review queue size at each scrape."""
        self._pending = pending
        if self.registry is not None:
            self.registry.register(_QueueCollector(pending))

    def render(self) -> bytes:
        """The exposition text for a scrape."""
        if self.registry is not None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        if self._pending is not None:
            registry.register(_QueueCollector(self._pending))
        return generate_latest(registry)
