"""Prometheus metrics of one server: requests by status, latency, batch sizes, queue depth.

Each app gets its own registry (several apps in one process, e.g. in tests, do not share counters).
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


class Metrics:
    """The server's counters; `render()` gives the Prometheus text exposition format."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "albert_requests",
            "Inference requests (POST /v1/{task}) by HTTP status; 'disconnected' when the client left",
            ["status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "albert_request_seconds",
            "Time from a request's arrival to its response (inference requests)",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.batch_size = Histogram(
            "albert_batch_items",
            "Inputs handed to the pipeline in one call of the model worker (from all requests together)",
            buckets=BATCH_BUCKETS,
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "albert_queue_items", "Inputs waiting for the model worker", registry=self.registry
        )
        self.in_flight = Gauge(
            "albert_requests_in_flight", "Inference requests being handled", registry=self.registry
        )

    def observe_request(self, status: int | str, seconds: float) -> None:
        self.requests.labels(status=str(status)).inc()
        self.latency.observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
