"""The 3.9.1 -> 4.x upgrade on one real node: binaries, rollback, finalize with kafka_feature.

A broker is formatted and run on 3.9.1, then the same data directory and
server.properties run on the 4.x release (KAFKA_NEXT_VERSION), back on 3.9.1,
and on 4.x again: every record produced on either release is read back after
each switch. Rolling back works because metadata.version was not raised.
kafka_feature then finalizes the 4.x release's levels one by one, leaving
kraft.version as it is, a second run changes nothing, and moving back to
3.9.1 is refused.
"""

from __future__ import annotations

import subprocess
import uuid

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer

from tests.support.kafka_broker import KAFKA_NEXT_VERSION, KafkaBroker, dist

pytestmark = pytest.mark.integration
FEATURE = "kafkaops.kraft.kafka_feature"
TOPIC = "upgrade-topic"


def produce(broker, prefix, count):
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
    for i in range(count):
        producer.send(TOPIC, f"{prefix}-{i}".encode())
    producer.flush()
    producer.close()
    return {f"{prefix}-{i}" for i in range(count)}


def consume_all(broker):
    consumer = KafkaConsumer(
        TOPIC,
        bootstrap_servers=broker.bootstrap,
        group_id=f"g-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        consumer_timeout_ms=8000,
    )
    try:
        return [record.value.decode() for record in consumer]
    finally:
        consumer.close()


def finalized(broker):
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap, request_timeout_ms=15000)
    try:
        return {name: v["finalized"][1] for name, v in admin.describe_features().items() if "finalized" in v}
    finally:
        admin.close()


def version_mapping(broker):
    # The 4.x release's own feature levels, as the upgrade playbook reads them.
    out = subprocess.run(
        broker._java("org.apache.kafka.tools.FeatureCommand", "version-mapping"),
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    if not dist(KAFKA_NEXT_VERSION).is_file():
        pytest.skip(f"no Kafka {KAFKA_NEXT_VERSION} archive: run `make next-archive`")
    return tmp_path_factory.mktemp("upgrade")


def started(workdir, version, **kwargs):
    broker = KafkaBroker(workdir, version=version, **kwargs)
    broker.start()
    return broker


def test_upgrade_rollback_upgrade_finalize(workdir, run_module):
    def feature(broker, args, **kwargs):
        return run_module(FEATURE, dict(args, bootstrap_servers=[broker.bootstrap]), **kwargs)

    old = started(workdir, "3.9.1")
    try:
        admin = KafkaAdminClient(bootstrap_servers=old.bootstrap, request_timeout_ms=15000)
        from kafka.admin import NewTopic

        admin.create_topics([NewTopic(TOPIC, 3, 1)])
        admin.close()
        expected = produce(old, "on-391", 300)
        before = finalized(old)
        assert before["metadata.version"] == 21
    finally:
        old.stop()

    # Phase 1: the same storage and configuration on 4.x; metadata.version stays.
    new = started(workdir, KAFKA_NEXT_VERSION, reuse=True)
    try:
        assert sorted(consume_all(new)) == sorted(expected)
        expected |= produce(new, "on-4x", 100)
        assert finalized(new) == before
        assert not feature(new, {"release": "3.9.1"}).failed  # the rollback check passes before finalize
        mapping = version_mapping(new)
    finally:
        new.stop()

    # Rollback before finalize.
    old = started(workdir, "3.9.1", reuse=True)
    try:
        assert sorted(consume_all(old)) == sorted(expected)
        refused = feature(old, {"version_mapping": mapping, "expected_brokers": [1]})
        assert refused.failed
        assert "node 1 supports metadata.version 1 to 21 (3.9-IV0), not 33 (4.4-IV2)" in refused["msg"]
        assert finalized(old) == before
    finally:
        old.stop()

    # Up again, then phase 2.
    new = started(workdir, KAFKA_NEXT_VERSION, reuse=True)
    try:
        assert sorted(consume_all(new)) == sorted(expected)
        args = {
            "version_mapping": mapping,
            "expected_brokers": [1],
            "controllers": [f"127.0.0.1:{new.controller_port}"],
        }
        dry = feature(new, args, check=True, diff=True)
        assert not dry.failed, dry.result
        assert dry["changed"] is True
        assert dry["changes"][0] == "~ metadata.version 21 (3.9-IV0) -> 33 (4.4-IV2)"
        assert finalized(new) == before  # check mode changed nothing

        first = feature(new, args, diff=True)
        assert not first.failed, first.result
        assert first["changed"] is True
        assert first["changes"] == dry["changes"]
        assert "kraft.version" not in " ".join(first["changes"])
        assert any("kraft.version stays" in line for line in first["kept"])
        after = finalized(new)
        assert after["metadata.version"] == 33
        assert after.get("kraft.version", 0) == before.get("kraft.version", 0)
        assert after.get("group.version") == 1

        second = feature(new, args)
        assert not second.failed, second.result
        assert second["changed"] is False and second["changes"] == []

        back = feature(new, {"release": "3.9.1"})
        assert back.failed
        assert "cannot be lowered once finalized" in back["msg"]
        assert sorted(consume_all(new)) == sorted(expected)
    finally:
        new.stop()
