"""Records for integration tests, produced with acks=all so every one is on the broker when this returns."""

from __future__ import annotations

from kafka import KafkaProducer


def produce_per_partition(bootstrap: str, topic: str, counts: dict[int, int]) -> None:
    """Write ``counts[p]`` records ``m0``, ``m1``, ... to each partition ``p`` of ``topic``."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    try:
        for partition, count in counts.items():
            for i in range(count):
                producer.send(topic, f"m{i}".encode(), partition=partition)
        producer.flush()
    finally:
        producer.close()
