"""Counts the consumer keeps as plain numbers, exposed as Prometheus counters.

The buffer and the service stay free of Prometheus; this collector reads them at scrape time.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector


class RecordOutcomes(Collector):
    """consumer_records_skipped_total{reason} and consumer_records_deduplicated_total."""

    def __init__(self, service: Any, buffer: Any):
        self.service = service
        self.buffer = buffer

    def collect(self) -> Iterator[Metric]:
        skipped = CounterMetricFamily(
            "consumer_records_skipped",
            "Records stepped over because they could not be read (a placeholder row shows each)",
            labels=["reason"],
        )
        for reason, count in sorted(self.service.skipped.items()):
            skipped.add_metric([reason], count)
        yield skipped
        yield CounterMetricFamily(
            "consumer_records_deduplicated",
            "Records not shown because a buffered record has the same idempotency-key header",
            value=self.buffer.deduplicated,
        )
