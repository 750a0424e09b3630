"""Independent views of the broker (straight kafka-python, not the modules under test)."""

from __future__ import annotations

import time

from kafka.admin import ConfigResource

from tests.support.kafka_broker import free_port


def describe(admin, name):
    meta = admin.describe_topics([name])[0]
    if meta["error_code"] == 3:
        return None
    return {p["partition_index"]: p["replica_nodes"] for p in meta["partitions"]}


def overrides(admin, name):
    entries = admin.describe_configs([ConfigResource("TOPIC", name)], config_filter="all")["topic"][name]
    return {k: v["value"] for k, v in entries.items() if v["config_source"] == "DYNAMIC_TOPIC_CONFIG"}


def wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.2)


def add_sasl_listener(broker) -> None:
    """Add a SASL_PLAINTEXT listener on a free port (``broker.sasl_port``) to a broker not started yet.

    It sits next to the ports KafkaBroker picked, so it is added to the written
    config (storage is already formatted; listeners do not matter to the format).
    """
    broker.sasl_port = free_port()
    sasl = f"SASL_PLAINTEXT://127.0.0.1:{broker.sasl_port}"
    lines = []
    for line in broker.config.read_text().splitlines():
        key, _sep, value = line.partition("=")
        if key in ("listeners", "advertised.listeners"):
            value = f"{value},{sasl}"
        elif key == "listener.security.protocol.map":
            value = f"{value},SASL_PLAINTEXT:SASL_PLAINTEXT"
        lines.append(f"{key}={value}")
    broker.config.write_text("\n".join(lines) + "\n")
