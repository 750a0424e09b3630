"""kafkaops-lag-exporter (apps/kafkaops_apps/lag_exporter) against a real Kafka broker.

It runs as the prometheus role's unit runs it (python -m on the apps package) and
reports a group's lag after its consumer is gone, and the broker's log-dir size
and free space.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from kafka import KafkaConsumer

from tests.support.kafka_broker import free_port
from tests.support.records import produce_per_partition

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[3]
MODULE = "kafkaops_apps.lag_exporter"


@pytest.fixture
def exporter(kafka_broker, tmp_path):
    port = free_port()
    config = tmp_path / "lag-exporter.json"
    config.write_text(json.dumps({"bootstrap_servers": [kafka_broker.bootstrap], "listen_port": port}))
    env = dict(os.environ, PYTHONPATH=str(REPO / "apps"))
    process = subprocess.Popen([sys.executable, "-m", MODULE, str(config)], env=env, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}/metrics"
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(url, timeout=5).read()
            break
        except OSError:
            assert process.poll() is None, process.stderr.read()
            assert time.monotonic() < deadline, "the exporter did not start"
            time.sleep(0.2)
    yield url
    process.terminate()
    process.wait(timeout=10)


def scrape(url):
    text = urllib.request.urlopen(url, timeout=30).read().decode()  # noqa: S310 - a local test URL
    return dict(line.rsplit(" ", 1) for line in text.splitlines() if line and not line.startswith("#"))


def test_lag_of_a_group_whose_consumer_is_gone_and_log_dir_usage(kafka_broker, admin, topic_name, exporter):
    admin.create_topics({topic_name: {"num_partitions": 2, "replication_factor": 1}}, wait_for_metadata=True)
    produce_per_partition(kafka_broker.bootstrap, topic_name, {0: 5, 1: 5})
    group = f"{topic_name}-group"
    consumer = KafkaConsumer(
        topic_name,
        bootstrap_servers=kafka_broker.bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_poll_records=3,
    )
    read = 0
    deadline = time.monotonic() + 30
    while read < 3:
        assert time.monotonic() < deadline, "could not consume"
        read += sum(len(r) for r in consumer.poll(timeout_ms=500, max_records=3 - read).values())
    consumer.commit()
    consumer.close()

    metrics = scrape(exporter)
    lags = {k: float(v) for k, v in metrics.items() if k.startswith("kafkaops_consumergroup_lag{") and group in k}
    assert sum(lags.values()) == 7, metrics
    assert metrics[f'kafkaops_consumergroup_members{{group="{group}"}}'] == "0.0"
    assert metrics["kafkaops_lag_exporter_kafka_up"] == "1.0"
    total = [float(v) for k, v in metrics.items() if k.startswith("kafkaops_log_dir_total_bytes{")]
    usable = [float(v) for k, v in metrics.items() if k.startswith("kafkaops_log_dir_usable_bytes{")]
    assert total and usable and 0 < usable[0] <= total[0]
