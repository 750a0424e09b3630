"""test-topic from the kafka_topic role, and the FastAPI apps on the apps host."""

import json
import re
import time
import uuid

import pytest
from kraft_testlib import BIN, describe_topic, hosts, http, run

NODES = hosts("kafka1", "apps1")
KAFKA, APPS = NODES["kafka1"], NODES["apps1"]
CONSUMER_PORTS = (8002, 8003)


def test_test_topic_has_6_partitions_rf3_full_isr():
    rows = describe_topic(KAFKA, "test-topic")
    assert [int(r["Partition"]) for r in rows] == list(range(6))
    for row in rows:
        replicas = row["Replicas"].split(",")
        assert len(replicas) == 3
        assert sorted(row["Isr"].split(",")) == sorted(replicas)


def test_test_topic_retention_configs():
    out = run(
        KAFKA,
        f"{BIN}/kafka-configs.sh --bootstrap-server localhost:9092 --entity-type topics "
        "--entity-name test-topic --describe",
    )
    assert out.rc == 0, out.stderr
    configs = dict(re.findall(r"(\S+?)=(\S+?)(?:\s|$)", out.stdout.split("are:", 1)[1]))
    assert configs["retention.ms"] == "604800000"
    assert configs["retention.bytes"] == "1073741824"


@pytest.mark.parametrize("unit", ["kafkaops-producer@8001", "kafkaops-consumer@8002", "kafkaops-consumer@8003"])
def test_app_services_active_and_enabled(unit):
    service = APPS.service(unit)
    assert service.is_running
    assert service.is_enabled


def test_send_shows_up_on_the_consumer_page_within_5s():
    marker = f"molecule-{uuid.uuid4().hex}"
    status, body = http(
        APPS, "POST", "http://127.0.0.1:8001/send", json.dumps({"key": marker}), {"Content-Type": "application/json"}
    )
    assert status == 200, body
    ack = json.loads(body)
    assert ack["topic"] == "test-topic" and ack["offset"] >= 0
    deadline = time.monotonic() + 5
    seen = False
    while time.monotonic() < deadline and not seen:
        for port in CONSUMER_PORTS:
            status, page = http(APPS, "GET", f"http://127.0.0.1:{port}/")
            seen = seen or (status == 200 and marker in page)
        time.sleep(0.3)
    assert seen, "message not on either consumer page within 5 s"


def test_two_consumer_instances_split_partitions_without_overlap():
    owned = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        owned = []
        for port in CONSUMER_PORTS:
            status, body = http(APPS, "GET", f"http://127.0.0.1:{port}/messages")
            assert status == 200, body
            owned.append(set(json.loads(body)["status"]["partitions"]))
        if all(owned) and set().union(*owned) == set(range(6)):
            break
        time.sleep(2)
    assert all(owned), f"an instance owns nothing: {owned}"
    assert owned[0].isdisjoint(owned[1]), owned
    assert owned[0] | owned[1] == set(range(6)), owned
