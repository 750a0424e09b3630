"""Producer metrics: requests, send latency, errors by kind, Idempotency-Key replays and conflicts."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class ProducerMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "producer_http_requests",
            "HTTP requests by endpoint and status",
            ["endpoint", "status"],
            registry=self.registry,
        )
        self.records = Counter("producer_records_sent", "Records acknowledged by Kafka", registry=self.registry)
        self.errors = Counter("producer_errors", "Failed requests or records by kind", ["kind"], registry=self.registry)
        self.latency = Histogram(
            "producer_send_latency_seconds",
            "Time from request to Kafka acknowledgement",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.kafka_up = Gauge("producer_kafka_up", "1 when Kafka metadata can be fetched", registry=self.registry)
        self.idempotent_replays = Counter(
            "producer_idempotent_replays",
            "Requests answered (in part) from an earlier attempt with the same Idempotency-Key",
            registry=self.registry,
        )
        self.idempotent_conflicts = Counter(
            "producer_idempotent_conflicts",
            "Idempotency-Key reused with a different request (422)",
            registry=self.registry,
        )
        self.idempotency_keys = Gauge(
            "producer_idempotency_keys", "Idempotency keys remembered", registry=self.registry
        )
