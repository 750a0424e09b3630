"""A fresh Kafka 4.x broker (KAFKA_NEXT_VERSION, `make next-archive`) with the collection's clients on it.

The broker runs from the 4.x archive tools/build-kafka-archive.sh assembles,
logging through that archive's log4j2.yaml, with the role's FileConfigProvider
supplying a setting as server.properties does for secrets. On it: the
kafka_topic and kafka_consumer_lag modules (kafka-python) and the producer and
consumer apps (aiokafka) end to end. Neither client library needs a setting for
4.x: both negotiate API versions with the broker (ApiVersions), and Kafka 4.0's
removal of old protocol versions (KIP-896) leaves the ones they pick.
"""

from __future__ import annotations

import json
import time
import zipfile

import httpx
import pytest
from kafka import KafkaConsumer
from kafka.structs import OffsetAndMetadata
from kafka_admin_helpers import describe, overrides

from tests.integration.apps.support import AppProcess, create_topic, wait_for
from tests.support.kafka_broker import KAFKA_NEXT_VERSION, KafkaBroker, dist
from tests.support.records import produce_per_partition

pytestmark = pytest.mark.integration
TOPIC = "kafkaops.kraft.kafka_topic"
LAG = "kafkaops.kraft.kafka_consumer_lag"
PROVIDED_PARTITIONS = 5


@pytest.fixture(scope="module")
def kafka_broker(tmp_path_factory):
    """Overrides the session's 3.x broker for this file: the modules' fixtures then point at 4.x."""
    if not dist(KAFKA_NEXT_VERSION).is_file():
        pytest.skip(f"no Kafka {KAFKA_NEXT_VERSION} archive: run `make next-archive`")
    workdir = tmp_path_factory.mktemp("kafka4")
    secrets = workdir / "secrets.properties"
    secrets.write_text(f"num.partitions={PROVIDED_PARTITIONS}\n")
    # What kraft_split_secrets writes into server.properties (plugins/filter/kraft_security.py).
    provider = {
        "config.providers": "kafkaops",
        "config.providers.kafkaops.class": "org.apache.kafka.common.config.provider.FileConfigProvider",
        "num.partitions": f"${{kafkaops:{secrets}:num.partitions}}",
    }
    broker = KafkaBroker(workdir, provider, version=KAFKA_NEXT_VERSION)
    broker.start()
    yield broker
    broker.stop()


def test_broker_runs_the_4x_release_with_log4j2(kafka_broker):
    assert kafka_broker.version.startswith("4.")
    libs = {p.name for p in (kafka_broker.home / "libs").iterdir()}
    assert f"kafka_2.13-{KAFKA_NEXT_VERSION}.jar" in libs
    assert any(name.startswith("log4j-core-2.") for name in libs)
    assert not any(name.startswith(("reload4j", "slf4j-reload4j", "zookeeper", "junit")) for name in libs)
    assert not any("_2.12" in name for name in libs)
    # The broker logs its version after it starts accepting connections, seconds later on a busy machine.
    server_log = kafka_broker.workdir / "logs" / "server.log"
    wait_for(lambda: "Kafka version: " + KAFKA_NEXT_VERSION in server_log.read_text(), 60, 0.5)


def test_every_generated_tool_has_its_main_class(kafka_broker):
    """The role's bin/ dispatcher (kraft_release's tool map) names classes this release ships."""
    classes = set()
    for jar in (kafka_broker.home / "libs").glob("kafka*.jar"):
        with zipfile.ZipFile(jar) as archive:
            classes.update(n[: -len(".class")].replace("/", ".") for n in archive.namelist() if n.endswith(".class"))
    missing = {tool: cls for tool, cls in kafka_broker.release["tools"].items() if cls not in classes}
    assert missing == {}


def test_file_config_provider_resolves_without_a_system_property(admin, topic_name):
    # The broker's own config providers need no -Dorg.apache.kafka.automatic.config.providers.
    admin.create_topics({topic_name: {"num_partitions": -1, "replication_factor": -1}}, wait_for_metadata=True)
    assert len(describe(admin, topic_name)) == PROVIDED_PARTITIONS


def test_kafka_topic_creates_then_changes_nothing(ansible_module, admin, topic_name):
    args = {"name": topic_name, "partitions": 3, "replication_factor": 1, "configs": {"retention.ms": 604800000}}
    first = ansible_module(TOPIC, args)
    assert not first.failed, first.result
    assert first["changed"] is True
    assert describe(admin, topic_name) == {0: [1], 1: [1], 2: [1]}
    assert overrides(admin, topic_name) == {"retention.ms": "604800000"}
    second = ansible_module(TOPIC, args, diff=True)
    assert not second.failed, second.result
    assert second["changed"] is False and second["changes"] == []
    more = ansible_module(TOPIC, {**args, "partitions": 4})
    assert more["changed"] is True and len(describe(admin, topic_name)) == 4


def test_kafka_consumer_lag_counts_n_minus_m(ansible_module, admin, kafka_broker, topic_name):
    admin.create_topics({topic_name: {"num_partitions": 2, "replication_factor": 1}}, wait_for_metadata=True)
    produce_per_partition(kafka_broker.bootstrap, topic_name, {0: 12, 1: 8})
    group = f"{topic_name}-group"
    consumer = KafkaConsumer(
        topic_name,
        bootstrap_servers=kafka_broker.bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    try:
        consumed, deadline = {}, time.monotonic() + 30
        while sum(consumed.values()) < 7:
            assert time.monotonic() < deadline, "could not consume"
            for tp, records in consumer.poll(timeout_ms=500, max_records=7 - sum(consumed.values())).items():
                consumed[tp] = consumed.get(tp, 0) + len(records)
        # From offset 0, the count consumed is the next offset to commit.
        consumer.commit({tp: OffsetAndMetadata(count, "", -1) for tp, count in consumed.items()})
        run = ansible_module(LAG, {"group": group})
        assert not run.failed, run.result
        assert run["changed"] is False
        assert run["total_lag"] == 20 - 7
        assert run["topics"][topic_name]["log_end_offset"] == 20
        assert run["members"] == 1 and run["state"] == "Stable"
    finally:
        consumer.close()


def test_apps_send_and_show_records_end_to_end(kafka_broker, tmp_path, request):
    topic = create_topic(kafka_broker.bootstrap, partitions=3)
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_broker.bootstrap,
        "KAFKA_TOPIC": topic,
        "KAFKA_GROUP_ID": f"g-{topic}",
        "KAFKA_SEND_TIMEOUT_S": "3",
        "KAFKA_CONNECT_TIMEOUT_S": "3",
        "KAFKA_HEALTH_INTERVAL_S": "0.5",
        "BUFFER_SIZE": "50",
    }
    producer = AppProcess("producer", tmp_path, env).start()
    consumer = AppProcess("consumer", tmp_path, env).start()
    request.addfinalizer(producer.stop)
    request.addfinalizer(consumer.stop)
    producer.wait_ready()
    consumer.wait_ready()
    # The seed's curl, then a keyed record; each acknowledged offset must show on the consumer.
    sent = []
    for body, params in (({"key": "Hello Kafka!"}, {}), ({"n": 2}, {"key": "k2"})):
        response = httpx.post(producer.url + "/send", json=body, params=params, timeout=10)
        assert response.status_code == 200, response.text
        meta = response.json()
        assert meta["topic"] == topic
        sent.append((meta["partition"], meta["offset"], body))

    def shown():
        messages = httpx.get(consumer.url + "/messages", timeout=5).json()["messages"]
        found = {(m["partition"], m["offset"]): json.loads(m["value"]) for m in messages}
        return all(found.get((p, o)) == body for p, o, body in sent) and found

    wait_for(shown, timeout=20)
