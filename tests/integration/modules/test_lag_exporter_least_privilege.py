"""The lag exporter as its own SCRAM user, with only kafka_access's ACLs, on a node whose authorizer is on.

kraft_monitoring_access gives the user and bindings kafka_access applies (with
the kafka_user and kafka_acl modules, as the role calls them). The exporter
logs in as that user over SASL and reports a group's lag and the broker's
log-dir usage (DescribeLogDirs needs Describe on the cluster), while the same
user cannot produce to the topic or read its records.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
import urllib.request

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.errors import KafkaError
from kafka_admin_helpers import add_sasl_listener

from tests.support.kafka_broker import REPO, KafkaBroker, free_port
from tests.support.records import produce_per_partition

pytestmark = pytest.mark.integration
MODULE = "kafkaops_apps.lag_exporter"
SHA512 = "SCRAM-SHA-512"
PASSWORD = "lag-Secret-8e2b"  # noqa: S105 - test password
TOPIC = "lp-topic"
GROUP = "lp-group"


@pytest.fixture(scope="module")
def authz_broker(tmp_path_factory):
    """PLAINTEXT for the admin (ANONYMOUS, a super user) plus SASL_PLAINTEXT SCRAM-SHA-512, with StandardAuthorizer."""
    broker = KafkaBroker(
        tmp_path_factory.mktemp("kafka-lag-authz"),
        extra_props={
            "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
            "super.users": "User:ANONYMOUS",
            "allow.everyone.if.no.acl.found": "false",
            "sasl.enabled.mechanisms": SHA512,
            "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config": (
                "org.apache.kafka.common.security.scram.ScramLoginModule required;"
            ),
        },
    )
    add_sasl_listener(broker)
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture(scope="module")
def access():
    spec = importlib.util.spec_from_file_location("kraft_authz", REPO / "plugins" / "filter" / "kraft_authz.py")
    authz = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(authz)
    monitoring = {"kafkaops_monitoring": True, "kafka_topic_security_protocol": "SASL_SSL"}
    return authz.kraft_monitoring_access(["mon1"], {"mon1": {**monitoring, "prometheus_lag_sasl_password": PASSWORD}})


def sasl_client(broker, user):
    return {
        "bootstrap_servers": f"127.0.0.1:{broker.sasl_port}",
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": SHA512,
        "sasl_plain_username": user,
        "sasl_plain_password": PASSWORD,
    }


@pytest.fixture(scope="module")
def lagging_group(authz_broker):
    """TOPIC with 10 records; GROUP committed 3 of them and has no member left."""
    admin = KafkaAdminClient(bootstrap_servers=authz_broker.bootstrap, request_timeout_ms=15000)
    admin.create_topics({TOPIC: {"num_partitions": 2, "replication_factor": 1}}, wait_for_metadata=True)
    admin.close()
    produce_per_partition(authz_broker.bootstrap, TOPIC, {0: 5, 1: 5})
    consumer = KafkaConsumer(
        TOPIC,
        bootstrap_servers=authz_broker.bootstrap,
        group_id=GROUP,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_poll_records=3,
    )
    read, deadline = 0, time.monotonic() + 30
    while read < 3:
        assert time.monotonic() < deadline, "could not consume"
        read += sum(len(r) for r in consumer.poll(timeout_ms=500, max_records=3 - read).values())
    consumer.commit()
    consumer.close()


def scrape(url):
    text = urllib.request.urlopen(url, timeout=30).read().decode()  # noqa: S310 - a local test URL
    return dict(line.rsplit(" ", 1) for line in text.splitlines() if line and not line.startswith("#"))


def test_the_lag_exporters_user_reads_lag_and_log_dirs_and_nothing_more(
    authz_broker, access, lagging_group, run_module, tmp_path
):
    # What kafka_access does with the grants: one kafka_user call, one kafka_acl call.
    users = run_module(
        "kafkaops.kraft.kafka_user", {"bootstrap_servers": [authz_broker.bootstrap], "users": access["users"]}
    )
    assert not users.failed, users.result
    acls = run_module(
        "kafkaops.kraft.kafka_acl", {"bootstrap_servers": [authz_broker.bootstrap], "acls": access["acls"]}
    )
    assert not acls.failed, acls.result
    user = access["users"][0]["name"]
    assert user == "kafkaops-lag-exporter"

    port = free_port()
    config = tmp_path / "lag-exporter.json"
    client = sasl_client(authz_broker, user)
    config.write_text(
        json.dumps(
            {
                "bootstrap_servers": [client["bootstrap_servers"]],
                "security_protocol": "SASL_PLAINTEXT",
                "sasl_mechanism": SHA512,
                "sasl_username": user,
                "sasl_password": PASSWORD,
                "listen_port": port,
            }
        )
    )
    env = dict(os.environ, PYTHONPATH=str(REPO / "apps"))
    process = subprocess.Popen([sys.executable, "-m", MODULE, str(config)], env=env, stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}/metrics"
        deadline, metrics = time.monotonic() + 60, {}
        while time.monotonic() < deadline:
            assert process.poll() is None, process.stderr.read()
            try:
                metrics = scrape(url)
            except OSError:
                metrics = {}
            lags = [v for k, v in metrics.items() if k.startswith("kafkaops_consumergroup_lag{") and GROUP in k]
            if metrics.get("kafkaops_lag_exporter_kafka_up") == "1.0" and lags:
                break
            time.sleep(1)
        assert metrics.get("kafkaops_lag_exporter_kafka_up") == "1.0", metrics
        lag = sum(float(v) for k, v in metrics.items() if k.startswith("kafkaops_consumergroup_lag{") and GROUP in k)
        assert lag == 7, metrics
        assert any(k.startswith("kafkaops_log_dir_total_bytes{") for k in metrics), "DescribeLogDirs was refused"
    finally:
        process.terminate()
        process.wait(timeout=10)

    # The same user cannot write to the topic...
    producer = KafkaProducer(**client, acks=1, retries=0, max_block_ms=15000, request_timeout_ms=15000)
    try:
        with pytest.raises(KafkaError) as refused:
            producer.send(TOPIC, b"not allowed").get(timeout=30)
        assert "Authorization" in type(refused.value).__name__, refused.value
    finally:
        producer.close(timeout=5)
    # ...nor read its records as a member of the group.
    consumer = KafkaConsumer(TOPIC, group_id=GROUP, auto_offset_reset="earliest", **client)
    try:
        with pytest.raises(KafkaError) as denied:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                assert not consumer.poll(timeout_ms=1000), "the lag exporter's user read records"
        assert "Authorization" in type(denied.value).__name__, denied.value
    finally:
        consumer.close()
