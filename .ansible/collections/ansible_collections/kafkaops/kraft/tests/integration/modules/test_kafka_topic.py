"""kafkaops.kraft.kafka_topic against a real Kafka 3.9.1 KRaft broker (broker id 1)."""

from __future__ import annotations

import time

import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.admin import ConfigResource
from kafka.structs import OffsetAndMetadata
from kafka_admin_helpers import describe, free_port, overrides

pytestmark = pytest.mark.integration
TOPIC = "kafkaops.kraft.kafka_topic"


def test_create(ansible_module, admin, topic_name):
    run = ansible_module(
        TOPIC,
        {"name": topic_name, "partitions": 3, "replication_factor": 1, "configs": {"retention.ms": 604800000}},
    )
    assert not run.failed, run.result
    assert run["changed"] is True
    assert describe(admin, topic_name) == {0: [1], 1: [1], 2: [1]}
    assert overrides(admin, topic_name) == {"retention.ms": "604800000"}
    topic = run["topic"]
    assert topic["partitions"] == 3 and topic["replication_factor"] == 1
    assert [(p["partition"], p["leader"], p["isr"]) for p in topic["partition_details"]] == [
        (0, 1, [1]),
        (1, 1, [1]),
        (2, 1, [1]),
    ]
    assert topic["configs"]["retention.ms"] == "604800000"
    assert topic["configs"]["cleanup.policy"] == "delete"  # effective defaults are returned too


def test_idempotent_rerun(ansible_module, topic_name):
    args = {
        "name": topic_name,
        "partitions": 2,
        "replication_factor": 1,
        "configs": {"retention.ms": 1000, "cleanup.policy": ["compact", "delete"], "preallocate": False},
    }
    first = ansible_module(TOPIC, args)
    assert first["changed"] is True, first.result
    second = ansible_module(TOPIC, args, diff=True)
    assert second["changed"] is False, second.result
    assert second["changes"] == []
    assert second["diff"]["before"] == second["diff"]["after"]


def test_partition_increase(ansible_module, admin, topic_name):
    ansible_module(TOPIC, {"name": topic_name, "partitions": 2})
    run = ansible_module(TOPIC, {"name": topic_name, "partitions": 5})
    assert run["changed"] is True
    assert run["changes"] == [f"increase partitions of {topic_name} from 2 to 5"]
    assert run["topic"]["partitions"] == 5
    assert len(describe(admin, topic_name)) == 5


def test_partition_decrease_refused(ansible_module, admin, topic_name):
    ansible_module(TOPIC, {"name": topic_name, "partitions": 4})
    run = ansible_module(TOPIC, {"name": topic_name, "partitions": 2})
    assert run.failed and run.rc != 0
    assert "refusing to decrease partitions" in run["msg"] and "from 4 to 2" in run["msg"]
    assert len(describe(admin, topic_name)) == 4


def test_incremental_configs_keep_unrelated_override(ansible_module, admin, topic_name):
    ansible_module(TOPIC, {"name": topic_name, "partitions": 1})
    # An override set outside this task, e.g. by another team with kafka-configs.
    admin.alter_configs([ConfigResource("TOPIC", topic_name, {"segment.ms": "3600000"})], incremental=True)
    run = ansible_module(TOPIC, {"name": topic_name, "configs": {"retention.ms": 86400000}})
    assert run["changed"] is True
    assert run["changes"] == ["set config retention.ms: (default) -> 86400000"]
    assert overrides(admin, topic_name) == {"segment.ms": "3600000", "retention.ms": "86400000"}
    assert run["topic"]["config_overrides"] == {"segment.ms": "3600000", "retention.ms": "86400000"}


def test_configs_exclusive_removes_unlisted_override(ansible_module, admin, topic_name):
    ansible_module(TOPIC, {"name": topic_name, "partitions": 1, "configs": {"segment.ms": 3600000}})
    run = ansible_module(TOPIC, {"name": topic_name, "configs": {"retention.ms": 5000}, "configs_exclusive": True})
    assert run["changed"] is True
    assert sorted(run["changes"]) == [
        "remove config override segment.ms (was 3600000)",
        "set config retention.ms: (default) -> 5000",
    ]
    assert overrides(admin, topic_name) == {"retention.ms": "5000"}


def test_check_mode_reports_exact_diff_and_changes_nothing(ansible_module, admin, topic_name):
    ansible_module(
        TOPIC, {"name": topic_name, "partitions": 2, "configs": {"retention.ms": 1000, "segment.ms": 3600000}}
    )
    args = {
        "name": topic_name,
        "partitions": 4,
        "configs": {"retention.ms": 2000, "max.message.bytes": 2097152},
    }
    run = ansible_module(TOPIC, args, check=True, diff=True)
    assert not run.failed, run.result
    assert run["changed"] is True
    assert run["diff"]["before"] == {
        "name": topic_name,
        "state": "present",
        "partitions": 2,
        "replication_factor": 1,
        "configs": {"retention.ms": "1000"},
    }
    assert run["diff"]["after"] == {
        "name": topic_name,
        "state": "present",
        "partitions": 4,
        "replication_factor": 1,
        "configs": {"retention.ms": "2000", "max.message.bytes": "2097152"},
    }
    assert run["changes"] == [
        f"increase partitions of {topic_name} from 2 to 4",
        "set config max.message.bytes: (default) -> 2097152",
        "set config retention.ms: 1000 -> 2000",
    ]
    # Nothing changed on the broker.
    assert len(describe(admin, topic_name)) == 2
    assert overrides(admin, topic_name) == {"retention.ms": "1000", "segment.ms": "3600000"}
    # And the real run then does exactly what check mode announced.
    real = ansible_module(TOPIC, args, diff=True)
    assert real["changes"] == run["changes"] and real["diff"]["after"] == run["diff"]["after"]
    assert overrides(admin, topic_name) == {
        "retention.ms": "2000",
        "segment.ms": "3600000",
        "max.message.bytes": "2097152",
    }


def test_check_mode_create_and_delete_change_nothing(ansible_module, admin, topic_name):
    run = ansible_module(TOPIC, {"name": topic_name, "partitions": 3}, check=True, diff=True)
    assert run["changed"] is True
    assert run["diff"]["before"] == {"name": topic_name, "state": "absent"}
    assert run["diff"]["after"] == {"name": topic_name, "state": "present", "partitions": 3, "configs": {}}
    assert describe(admin, topic_name) is None
    ansible_module(TOPIC, {"name": topic_name, "partitions": 3})
    run = ansible_module(TOPIC, {"name": topic_name, "state": "absent"}, check=True)
    assert run["changed"] is True and describe(admin, topic_name) is not None


def test_delete(ansible_module, admin, topic_name):
    ansible_module(TOPIC, {"name": topic_name, "partitions": 1})
    run = ansible_module(TOPIC, {"name": topic_name, "state": "absent"})
    assert run["changed"] is True
    assert describe(admin, topic_name) is None
    again = ansible_module(TOPIC, {"name": topic_name, "state": "absent"})
    assert again["changed"] is False


def _ensure_consumer_offsets(kafka_broker, admin, topic):
    """Commit one offset so Kafka creates __consumer_offsets."""
    admin.create_topics({topic: {"num_partitions": 1, "replication_factor": 1}}, wait_for_metadata=True)
    consumer = KafkaConsumer(bootstrap_servers=kafka_broker.bootstrap, group_id="it-internal", enable_auto_commit=False)
    try:
        consumer.commit({TopicPartition(topic, 0): OffsetAndMetadata(0, "", -1)})
    finally:
        consumer.close()
    deadline = time.monotonic() + 30
    while describe(admin, "__consumer_offsets") is None:
        assert time.monotonic() < deadline, "__consumer_offsets never appeared"
        time.sleep(0.2)


def test_internal_topic_is_never_changed(ansible_module, admin, kafka_broker, topic_name):
    _ensure_consumer_offsets(kafka_broker, admin, topic_name)
    before = describe(admin, "__consumer_offsets")
    before_overrides = overrides(admin, "__consumer_offsets")

    grow = ansible_module(TOPIC, {"name": "__consumer_offsets", "partitions": len(before) + 1})
    assert grow.failed and "refusing to modify internal topic __consumer_offsets" in grow["msg"]
    cfg = ansible_module(TOPIC, {"name": "__consumer_offsets", "configs": {"retention.ms": 1000}})
    assert cfg.failed and "internal" in cfg["msg"]
    delete = ansible_module(TOPIC, {"name": "__consumer_offsets", "state": "absent"})
    assert delete.failed and "refusing to delete internal topic" in delete["msg"]
    create = ansible_module(TOPIC, {"name": "__my_internal", "partitions": 1})
    assert create.failed and "refusing to create internal topic" in create["msg"]

    assert describe(admin, "__consumer_offsets") == before
    assert overrides(admin, "__consumer_offsets") == before_overrides
    assert describe(admin, "__my_internal") is None
    # Reading an internal topic (no change requested) is allowed.
    report = ansible_module(TOPIC, {"name": "__consumer_offsets"})
    assert not report.failed and report["changed"] is False and report["topic"]["internal"] is True


def test_replication_factor_above_live_brokers_refused(ansible_module, admin, topic_name):
    run = ansible_module(TOPIC, {"name": topic_name, "partitions": 6, "replication_factor": 3})
    assert run.failed
    assert "replication_factor 3 is greater than the 1 live broker(s) (1)" in run["msg"]
    assert describe(admin, topic_name) is None


def test_replica_assignment_honoured(ansible_module, admin, topic_name):
    run = ansible_module(TOPIC, {"name": topic_name, "replica_assignment": [[1], [1], [1], [1]]})
    assert not run.failed, run.result
    assert describe(admin, topic_name) == {0: [1], 1: [1], 2: [1], 3: [1]}
    assert [p["replicas"] for p in run["topic"]["partition_details"]] == [[1], [1], [1], [1]]
    # Extra lists place new partitions.
    grown = ansible_module(TOPIC, {"name": topic_name, "replica_assignment": [[1]] * 6})
    assert grown["changed"] is True and describe(admin, topic_name) == {i: [1] for i in range(6)}
    again = ansible_module(TOPIC, {"name": topic_name, "replica_assignment": [[1]] * 6})
    assert again["changed"] is False


def test_replica_assignment_errors_before_touching(ansible_module, admin, topic_name):
    uneven = ansible_module(TOPIC, {"name": topic_name, "replica_assignment": [[1], [1, 2]]})
    assert uneven.failed and "replica_assignment is uneven" in uneven["msg"]
    unknown = ansible_module(TOPIC, {"name": topic_name, "replica_assignment": [[1], [7]]})
    assert unknown.failed and "broker(s) 7 that are not live" in unknown["msg"]
    assert describe(admin, topic_name) is None


def test_unknown_config_name_and_invalid_value(ansible_module, admin, topic_name):
    create_unknown = ansible_module(TOPIC, {"name": topic_name, "configs": {"retention.mss": 1}})
    assert create_unknown.failed and "Unknown topic config name: retention.mss" in create_unknown["msg"]
    assert describe(admin, topic_name) is None

    ansible_module(TOPIC, {"name": topic_name, "partitions": 1, "configs": {"retention.ms": 1000}})
    unknown = ansible_module(TOPIC, {"name": topic_name, "partitions": 2, "configs": {"retention.mss": 1}})
    assert unknown.failed and unknown["msg"] == "unknown topic config name(s): retention.mss"
    invalid = ansible_module(TOPIC, {"name": topic_name, "partitions": 2, "configs": {"retention.ms": "abc"}})
    assert invalid.failed
    assert "Invalid value abc for configuration retention.ms" in invalid["msg"]  # Kafka's own words
    # Neither the partition increase nor anything else was applied.
    assert len(describe(admin, topic_name)) == 1
    assert overrides(admin, topic_name) == {"retention.ms": "1000"}


def test_unreachable_cluster_fails_within_timeout(run_module, topic_name):

    servers = [f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"]
    started = time.monotonic()
    run = run_module(TOPIC, {"name": topic_name, "bootstrap_servers": servers, "connect_timeout_ms": 2000})
    elapsed = time.monotonic() - started
    assert run.failed
    assert "within 2000 ms" in run["msg"] and all(s in run["msg"] for s in servers)
    assert elapsed < 15, elapsed


def test_missing_kafka_python_is_reported(run_module, topic_name):
    # Debian's system python3 has no kafka-python.
    run = run_module(TOPIC, {"name": topic_name}, python="/usr/bin/python3")
    assert run.failed
    assert "Failed to import the required Python library (kafka-python" in run["msg"]


def test_sasl_password_is_not_logged(ansible_module, topic_name):
    run = ansible_module(
        TOPIC,
        {
            "name": topic_name,
            "security_protocol": "SASL_PLAINTEXT",
            "sasl_mechanism": "SCRAM-SHA-512",
            "sasl_username": "admin",
            "sasl_password": "s3cr3t-value",
            "connect_timeout_ms": 3000,
        },
    )
    # The broker speaks PLAINTEXT only, so the SASL handshake fails; what matters is the secret.
    assert run.failed
    assert "s3cr3t-value" not in str(run.result)
