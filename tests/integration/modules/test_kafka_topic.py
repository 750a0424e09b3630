"""kafkaops.kraft.kafka_topic against a real Kafka 3.9.1 KRaft broker (broker id 1)."""

from __future__ import annotations

import time

import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.admin import ConfigResource
from kafka.structs import OffsetAndMetadata
from kafka_admin_helpers import describe, overrides

from tests.support.kafka_broker import free_port

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
    # --diff: the counts, and no topic below them since none changes.
    assert second["diff"] == [{"prepared": "topics: 0 created, 0 changed, 1 unchanged, 0 deleted"}]
    assert second["summary"] == {"created": 0, "changed": 0, "unchanged": 1, "deleted": 0}


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
    assert run["changes"] == [f"set config retention.ms of {topic_name}: (default) -> 86400000"]
    assert overrides(admin, topic_name) == {"segment.ms": "3600000", "retention.ms": "86400000"}
    assert run["topic"]["config_overrides"] == {"segment.ms": "3600000", "retention.ms": "86400000"}


def test_configs_exclusive_removes_unlisted_override(ansible_module, admin, topic_name):
    ansible_module(TOPIC, {"name": topic_name, "partitions": 1, "configs": {"segment.ms": 3600000}})
    run = ansible_module(TOPIC, {"name": topic_name, "configs": {"retention.ms": 5000}, "configs_exclusive": True})
    assert run["changed"] is True
    assert sorted(run["changes"]) == [
        f"remove config override segment.ms of {topic_name} (was 3600000)",
        f"set config retention.ms of {topic_name}: (default) -> 5000",
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
    assert run["diff"][0] == {"prepared": "topics: 0 created, 1 changed, 0 unchanged, 0 deleted"}
    assert run["diff"][1]["before_header"] == f"topic {topic_name}"
    assert run["diff"][1]["before"] == {
        "name": topic_name,
        "state": "present",
        "partitions": 2,
        "replication_factor": 1,
        "configs": {"retention.ms": "1000"},
    }
    assert run["diff"][1]["after"] == {
        "name": topic_name,
        "state": "present",
        "partitions": 4,
        "replication_factor": 1,
        "configs": {"retention.ms": "2000", "max.message.bytes": "2097152"},
    }
    assert run["changes"] == [
        f"increase partitions of {topic_name} from 2 to 4",
        f"set config max.message.bytes of {topic_name}: (default) -> 2097152",
        f"set config retention.ms of {topic_name}: 1000 -> 2000",
    ]
    # Nothing changed on the broker.
    assert len(describe(admin, topic_name)) == 2
    assert overrides(admin, topic_name) == {"retention.ms": "1000", "segment.ms": "3600000"}
    # And the real run then does exactly what check mode announced.
    real = ansible_module(TOPIC, args, diff=True)
    assert real["changes"] == run["changes"] and real["diff"] == run["diff"]
    assert overrides(admin, topic_name) == {
        "retention.ms": "2000",
        "segment.ms": "3600000",
        "max.message.bytes": "2097152",
    }


def test_check_mode_create_and_delete_change_nothing(ansible_module, admin, topic_name):
    run = ansible_module(TOPIC, {"name": topic_name, "partitions": 3}, check=True, diff=True)
    assert run["changed"] is True
    assert run["diff"][1]["before"] == {"name": topic_name, "state": "absent"}
    assert run["diff"][1]["after"] == {"name": topic_name, "state": "present", "partitions": 3, "configs": {}}
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
    assert unknown.failed and unknown["refused_topics"] == {topic_name: "unknown topic config name(s): retention.mss"}
    assert "nothing was changed" in unknown["msg"]
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


# Batches: many topics in one call (topics: [...]).


def test_batch_creates_many_topics_then_reruns_unchanged(ansible_module, admin, topic_name):
    names = [f"{topic_name}-{i:02d}" for i in range(40)]
    topics = [{"name": n, "partitions": 1 + i % 3, "configs": {"retention.ms": 60000 + i}} for i, n in enumerate(names)]
    run = ansible_module(TOPIC, {"topics": topics})
    assert not run.failed, run.result
    assert run["changed"] is True
    assert run["summary"] == {"created": 40, "changed": 0, "unchanged": 0, "deleted": 0}
    assert run["msg"] == "topics: 40 created, 0 changed, 0 unchanged, 0 deleted"
    assert [t["name"] for t in run["topics"]] == names and {t["status"] for t in run["topics"]} == {"created"}
    for i, name in enumerate(names):
        assert len(describe(admin, name)) == 1 + i % 3
        assert overrides(admin, name) == {"retention.ms": str(60000 + i)}
    assert run["topics"][5]["topic"]["partitions"] == 3  # the state after the run
    assert "topic" not in run.result  # only the single-topic form has it at the top level

    again = ansible_module(TOPIC, {"topics": topics}, diff=True)
    assert again["changed"] is False and again["changes"] == []
    assert again["summary"] == {"created": 0, "changed": 0, "unchanged": 40, "deleted": 0}
    assert again["diff"] == [{"prepared": "topics: 0 created, 0 changed, 40 unchanged, 0 deleted"}]


def _seed(ansible_module, topic_name):
    seeded = ansible_module(
        TOPIC,
        {
            "topics": [
                {"name": f"{topic_name}-same", "partitions": 2, "configs": {"retention.ms": 1000}},
                {"name": f"{topic_name}-grow", "partitions": 1},
                {"name": f"{topic_name}-cfg", "partitions": 1, "configs": {"segment.ms": 3600000}},
                {"name": f"{topic_name}-gone", "partitions": 1},
            ]
        },
    )
    assert not seeded.failed, seeded.result
    return [
        {"name": f"{topic_name}-same", "partitions": 2, "configs": {"retention.ms": 1000}},
        {"name": f"{topic_name}-grow", "partitions": 3},
        {"name": f"{topic_name}-cfg", "configs": {"retention.ms": 5000}, "configs_exclusive": True},
        {"name": f"{topic_name}-new", "partitions": 2},
        {"name": f"{topic_name}-gone", "state": "absent"},
    ]


def test_batch_mixed_created_changed_unchanged_deleted(ansible_module, admin, topic_name):
    topics = _seed(ansible_module, topic_name)
    run = ansible_module(TOPIC, {"topics": topics}, diff=True)
    assert not run.failed, run.result
    assert run["summary"] == {"created": 1, "changed": 2, "unchanged": 1, "deleted": 1}
    assert [(t["name"].rsplit("-", 1)[1], t["status"]) for t in run["topics"]] == [
        ("same", "unchanged"),
        ("grow", "changed"),
        ("cfg", "changed"),
        ("new", "created"),
        ("gone", "deleted"),
    ]
    assert run["changes"] == [
        f"increase partitions of {topic_name}-grow from 1 to 3",
        f"set config retention.ms of {topic_name}-cfg: (default) -> 5000",
        f"remove config override segment.ms of {topic_name}-cfg (was 3600000)",
        f"create topic {topic_name}-new (partitions=2, replication_factor=broker default)",
        f"delete topic {topic_name}-gone",
    ]
    assert run["diff"][0] == {"prepared": "topics: 1 created, 2 changed, 1 unchanged, 1 deleted"}
    assert [d["before_header"] for d in run["diff"][1:]] == [
        f"topic {topic_name}-{suffix}" for suffix in ("grow", "cfg", "new", "gone")
    ]
    assert len(describe(admin, f"{topic_name}-grow")) == 3
    assert overrides(admin, f"{topic_name}-cfg") == {"retention.ms": "5000"}
    assert len(describe(admin, f"{topic_name}-new")) == 2
    assert describe(admin, f"{topic_name}-gone") is None
    assert overrides(admin, f"{topic_name}-same") == {"retention.ms": "1000"}
    again = ansible_module(TOPIC, {"topics": topics})
    assert again["changed"] is False
    assert again["summary"] == {"created": 0, "changed": 0, "unchanged": 5, "deleted": 0}


def test_batch_check_mode_is_exact_and_changes_nothing(ansible_module, admin, topic_name):
    topics = _seed(ansible_module, topic_name)
    checked = ansible_module(TOPIC, {"topics": topics}, check=True, diff=True)
    assert not checked.failed, checked.result
    assert checked["changed"] is True
    assert checked["summary"] == {"created": 1, "changed": 2, "unchanged": 1, "deleted": 1}
    assert len(describe(admin, f"{topic_name}-grow")) == 1
    assert overrides(admin, f"{topic_name}-cfg") == {"segment.ms": "3600000"}
    assert describe(admin, f"{topic_name}-new") is None
    assert describe(admin, f"{topic_name}-gone") is not None
    real = ansible_module(TOPIC, {"topics": topics}, diff=True)
    assert real["changes"] == checked["changes"] and real["diff"] == checked["diff"]
    assert real["summary"] == checked["summary"]


def test_batch_refusal_of_one_topic_applies_nothing(ansible_module, admin, topic_name):
    ansible_module(TOPIC, {"name": f"{topic_name}-four", "partitions": 4})
    run = ansible_module(
        TOPIC,
        {
            "topics": [
                {"name": f"{topic_name}-new", "partitions": 1},
                {"name": f"{topic_name}-four", "partitions": 2},
                {"name": "__consumer_offsets_like", "partitions": 1},
            ]
        },
    )
    assert run.failed and run["changed"] is False
    assert sorted(run["refused_topics"]) == sorted([f"{topic_name}-four", "__consumer_offsets_like"])
    assert "refusing to decrease partitions" in run["refused_topics"][f"{topic_name}-four"]
    assert "refusing to create internal topic" in run["refused_topics"]["__consumer_offsets_like"]
    assert run["msg"].startswith("refused 2 of 3 topic(s), nothing was changed: ")
    assert describe(admin, f"{topic_name}-new") is None
    assert len(describe(admin, f"{topic_name}-four")) == 4


def test_batch_value_kafka_rejects_applies_nothing(ansible_module, admin, topic_name):
    ansible_module(TOPIC, {"name": f"{topic_name}-old", "partitions": 1})
    run = ansible_module(
        TOPIC,
        {
            "topics": [
                {"name": f"{topic_name}-new", "partitions": 1},
                {"name": f"{topic_name}-old", "partitions": 2, "configs": {"retention.ms": "abc"}},
            ]
        },
    )
    assert run.failed and run["changed"] is False
    assert list(run["refused_topics"]) == [f"{topic_name}-old"]
    assert "Invalid value abc for configuration retention.ms" in run["refused_topics"][f"{topic_name}-old"]
    assert "in validation, nothing was changed" in run["msg"]
    assert describe(admin, f"{topic_name}-new") is None
    assert len(describe(admin, f"{topic_name}-old")) == 1


def test_batch_option_errors_name_the_topic(ansible_module, topic_name):
    run = ansible_module(
        TOPIC, {"topics": [{"name": topic_name, "partitions": 0}, {"name": topic_name}, {"name": "bad name"}]}
    )
    assert run.failed
    assert f"topic {topic_name}: partitions must be at least 1, got 0" in run["msg"]
    assert f"topic {topic_name} is listed more than once" in run["msg"]
    assert "topic name 'bad name' is invalid" in run["msg"]
    both = ansible_module(TOPIC, {"name": topic_name, "topics": [{"name": topic_name}]})
    assert both.failed and "mutually exclusive" in both["msg"]
    mixed = ansible_module(TOPIC, {"topics": [{"name": topic_name}], "partitions": 3})
    assert mixed.failed and "mutually exclusive" in mixed["msg"]


def test_batch_state_default_applies_to_every_entry(ansible_module, admin, topic_name):
    ansible_module(TOPIC, {"topics": [{"name": f"{topic_name}-{i}", "partitions": 1} for i in range(3)]})
    run = ansible_module(TOPIC, {"state": "absent", "topics": [{"name": f"{topic_name}-{i}"} for i in range(3)]})
    assert run["summary"] == {"created": 0, "changed": 0, "unchanged": 0, "deleted": 3}
    assert all(describe(admin, f"{topic_name}-{i}") is None for i in range(3))
