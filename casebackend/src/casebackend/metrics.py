"""Prometheus metrics of one app: requests by operation and status, and their duration.

Each app has its own registry (made with the app, kept on `app.ctx`), served on GET /metrics.
Labels are the declared operation ids, the method and the status: never a path (paths hold
person refs) and nothing about a person.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics
from prometheus_client.exposition import choose_encoder
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

# No *_created series: they double the output.
disable_created_metrics()  # type: ignore[no-untyped-call]

# A 404 or 405 matched no declared operation.
UNMATCHED = "unmatched"
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0)


@dataclass(frozen=True)
class RequestMetrics:
    registry: CollectorRegistry
    requests: Counter
    seconds: Histogram

    @classmethod
    def create(cls) -> RequestMetrics:
        registry = CollectorRegistry()
        ProcessCollector(registry=registry)
        PlatformCollector(registry=registry)
        requests = Counter(
            "casebackend_requests",
            "Requests answered, by operation, method and status",
            ["operation", "method", "status"],
            registry=registry,
        )
        seconds = Histogram(
            "casebackend_request_seconds",
            "Time from the request to its response, by operation",
            ["operation"],
            buckets=BUCKETS,
            registry=registry,
        )
        return cls(registry, requests, seconds)

    def observe(self, operation: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(operation, method, str(status)).inc()
        self.seconds.labels(operation).observe(seconds)

    def exposition(self, accept: str) -> tuple[bytes, str]:
        """The metrics in the format the scraper asked for, and its content type."""
        encoder, content_type = choose_encoder(accept)
        return encoder(self.registry), content_type
