"""Every Kafka metric the alert rules and dashboards read is one the JMX exporter really serves.

A real broker (3.x and 4.x) runs with the exporter javaagent and the rules file
that roles/kafka_kraft renders; a metric renamed on either side fails here,
before Molecule evaluates the expressions against the lab's Prometheus.
"""

from __future__ import annotations

import time
import urllib.request

import pytest
from kafka import KafkaAdminClient, KafkaProducer

from tests.support.ansible_templates import host_variables, render
from tests.support.dashboards import alert_expressions, metric_names, panel_expressions
from tests.support.kafka_broker import KAFKA_NEXT_VERSION, KAFKA_VERSION, REPO, KafkaBroker, dist, free_port
from tests.support.kraft_scenarios import SCENARIOS

pytestmark = pytest.mark.integration
AGENT = REPO / "build" / "dist" / "jmx_prometheus_javaagent-1.0.1.jar"
# Served by the exporter's own JVM collectors or by the rules of jmx-exporter.yml.j2.
EXPORTER_PREFIXES = ("kafka_", "jvm_")


def kafka_metric_names():
    names = set()
    for entry in panel_expressions() + alert_expressions():
        names |= {n for n in metric_names(entry["expr"]) if n.startswith(EXPORTER_PREFIXES)}
    return names


@pytest.fixture(scope="module", params=[KAFKA_VERSION, KAFKA_NEXT_VERSION])
def exporter_metrics(request, tmp_path_factory):
    version = request.param
    if not AGENT.is_file():
        pytest.skip("no JMX exporter jar: run `make jmx-exporter`")
    if not dist(version).is_file():
        pytest.skip(f"no Kafka {version} archive")
    workdir = tmp_path_factory.mktemp(f"jmx-{version}")
    inventory, extra = SCENARIOS["single_node"]
    rules = workdir / "jmx-exporter.yml"
    rules.write_text(
        render("jmx-exporter.yml.j2", host_variables(inventory, "k1", {**extra, "kafka_kraft_version": version}))
    )
    port = free_port()
    broker = KafkaBroker(workdir, version=version, jvm_opts=(f"-javaagent:{AGENT}=127.0.0.1:{port}:{rules}",))
    broker.start()
    try:
        admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap, request_timeout_ms=15000)
        admin.create_topics({"monitored": {"num_partitions": 2, "replication_factor": 1}}, wait_for_metadata=True)
        admin.close()
        producer = KafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
        for i in range(20):
            producer.send("monitored", f"m{i}".encode())
        producer.flush()
        producer.close()
        deadline = time.monotonic() + 60
        while True:
            text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30).read().decode()
            served = {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line and line[0] != "#"}
            if kafka_metric_names() <= served or time.monotonic() > deadline:
                break
            time.sleep(2)
        yield served
    finally:
        broker.stop()


def test_every_kafka_metric_of_the_rules_and_dashboards_is_served(exporter_metrics):
    assert sorted(kafka_metric_names() - exporter_metrics) == []
