"""What ``GET /metrics`` says, in Prometheus's text format (prometheus_client), per replica.

Counters and histograms are recorded where the work happens (intake, the poster, the Slack
client, the store's units of work, remediations) into this module's registry; gauges that are a
state rather than a count (the outbox backlog, requests by state, how long ago each source last
polled) are read when Prometheus scrapes, by a collector the runtime registers. Every label has a
bounded set of values: sources, outcomes, severities, dispositions, remediation ids, Slack API
methods and error codes (cut to 40 characters) — never an event id, an ARN or a user.
"""

from __future__ import annotations

import platform
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

REGISTRY = CollectorRegistry(auto_describe=True)

EVENTS = Counter(
    "iambot_events", "Events taken in, by source and outcome (taken, duplicate, rejected)", ["source", "outcome"],
    registry=REGISTRY,
)  # fmt: skip
ALERTS = Counter(
    "iambot_alerts", "Alerts decided, by severity and disposition", ["severity", "disposition"], registry=REGISTRY
)
REMEDIATIONS = Counter(
    "iambot_remediations", "Remediations finished, by remediation and outcome", ["remediation", "outcome"],
    registry=REGISTRY,
)  # fmt: skip
SLACK_ERRORS = Counter(
    "iambot_slack_api_errors", "Slack Web API calls that failed, by method and error", ["method", "error"],
    registry=REGISTRY,
)  # fmt: skip
SLACK_RATE_LIMITED = Counter("iambot_slack_rate_limited", "Slack answers of 429 (rate limited)", registry=REGISTRY)
STORE_SECONDS = Histogram(
    "iambot_store_unit_seconds", "Units of work on the store, from BEGIN to COMMIT", registry=REGISTRY,
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)  # fmt: skip
CANARIES = Counter(
    "iambot_canaries", "Feed canaries, by outcome (sent, returned, overdue)", ["outcome"], registry=REGISTRY
)
CANARY_ERRORS = Counter("iambot_canary_errors", "Feed canary jobs that failed (the tag not written)", registry=REGISTRY)
JOB_ERRORS = Counter("iambot_job_errors", "Scheduled jobs that raised, by job", ["job"], registry=REGISTRY)
BUILD = Gauge("iambot_build_info", "iambot's version and Python's", ["version", "python"], registry=REGISTRY)


def _version() -> str:
    try:
        return version("iambot")
    except PackageNotFoundError:  # pragma: no cover - run from a checkout without installing
        return "unknown"


BUILD.labels(_version(), platform.python_version()).set(1)

# the newest event time each source has delivered (iambot_source_lag_seconds is now minus it)
NEWEST: dict[str, datetime] = {}
_newest_lock = threading.Lock()


def delivered(source: str, when: datetime, now: datetime | None = None) -> None:
    """Note an event time ``source`` delivered; one from the future (a forged or skewed record) is
    taken as now, so it cannot hide a feed that has gone quiet."""
    now = now or datetime.now(UTC)
    when = min(when, now)
    with _newest_lock:
        if source not in NEWEST or when > NEWEST[source]:
            NEWEST[source] = when


def label(text: object, limit: int = 40) -> str:
    """A label value from outside text: printable ASCII, at most ``limit`` characters."""
    return "".join(c if c.isascii() and c.isprintable() else "?" for c in str(text)[:limit]) or "unknown"


class StateCollector(Collector):
    """Gauges read at scrape time from ``read()``: name → (help, labels, [(label values, value)])."""

    def __init__(self, read: Any):
        self.read = read

    def collect(self) -> Iterable[GaugeMetricFamily]:
        for name, (help_text, labels, samples) in self.read().items():
            family = GaugeMetricFamily(name, help_text, labels=labels)
            for values, value in samples:
                family.add_metric(values, value)
            yield family


def exposition(state: Collector | None = None) -> bytes:
    """The text Prometheus scrapes: this module's registry, then the runtime's state."""
    text = generate_latest(REGISTRY)
    if state is not None:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(state)
        text += generate_latest(registry)
    return text
