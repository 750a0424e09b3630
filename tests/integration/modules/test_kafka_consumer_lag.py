"""kafkaops.kraft.kafka_consumer_lag against a real Kafka 3.9.1 KRaft broker."""

from __future__ import annotations

import time

import pytest
from kafka import KafkaConsumer
from kafka.structs import OffsetAndMetadata

from tests.support.records import produce_per_partition

pytestmark = pytest.mark.integration
LAG = "kafkaops.kraft.kafka_consumer_lag"

PRODUCED = {0: 12, 1: 8}  # N = 20 messages over two partitions
CONSUMED = 7  # M


@pytest.fixture
def lagging_group(kafka_broker, admin, topic_name):
    """Produce N, consume and commit exactly M with a live member; yields (topic, group, consumer, committed)."""
    admin.create_topics({topic_name: {"num_partitions": 2, "replication_factor": 1}}, wait_for_metadata=True)
    produce_per_partition(kafka_broker.bootstrap, topic_name, PRODUCED)

    group = f"{topic_name}-group"
    consumer = KafkaConsumer(
        topic_name,
        bootstrap_servers=kafka_broker.bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=CONSUMED,
    )
    consumed = {}
    deadline = time.monotonic() + 30
    total = 0
    while total < CONSUMED:
        assert time.monotonic() < deadline, "could not consume messages"
        for tp, records in consumer.poll(timeout_ms=500, max_records=CONSUMED - total).items():
            for record in records:
                consumed[tp] = record.offset + 1
                total += 1
    consumer.commit({tp: OffsetAndMetadata(offset, "", -1) for tp, offset in consumed.items()})
    yield topic_name, group, consumer, {tp.partition: off for tp, off in consumed.items()}
    consumer.close()


def test_lag_is_n_minus_m_with_live_member(ansible_module, lagging_group):
    topic, group, _consumer, committed = lagging_group
    run = ansible_module(LAG, {"group": group})
    assert not run.failed, run.result
    assert run["changed"] is False
    assert run["total_lag"] == sum(PRODUCED.values()) - CONSUMED == 13
    assert run["topics"][topic]["lag"] == 13
    assert run["topics"][topic]["log_end_offset"] == 20
    assert run["members"] == 1 and run["state"] == "Stable" and run["group_exists"] is True
    rows = {row["partition"]: row for row in run["partitions"]}
    assert sorted(rows) == [0, 1]
    for partition, produced in PRODUCED.items():
        row = rows[partition]
        assert row["log_end_offset"] == produced
        expected_committed = committed.get(partition)
        assert row["committed_offset"] == expected_committed
        assert row["lag"] == produced - (expected_committed or 0)
    assert isinstance(run["partitions"], list)  # structured data, not a JSON string


def test_lag_without_live_members(ansible_module, lagging_group):
    topic, group, consumer, _committed = lagging_group
    consumer.close()
    run = ansible_module(LAG, {"group": group, "topics": [topic]})
    assert not run.failed, run.result
    assert run["total_lag"] == 13
    assert run["members"] == 0 and run["state"] == "Empty" and run["group_exists"] is True


def test_check_mode_is_identical(ansible_module, lagging_group):
    _topic, group, _consumer, _committed = lagging_group
    run = ansible_module(LAG, {"group": group}, check=True)
    assert not run.failed and run["changed"] is False and run["total_lag"] == 13


def test_fail_on_lag_above(ansible_module, lagging_group):
    _topic, group, _consumer, _committed = lagging_group
    at_limit = ansible_module(LAG, {"group": group, "fail_on_lag_above": 13})
    assert not at_limit.failed and at_limit["total_lag"] == 13
    above = ansible_module(LAG, {"group": group, "fail_on_lag_above": 12})
    assert above.failed and above.rc != 0
    assert above["msg"] == "consumer lag 13 is above the limit of 12"
    assert above["total_lag"] == 13  # the figures still come back for the report


def test_unknown_group_and_topic_give_clear_result(ansible_module, lagging_group):
    topic, _group, _consumer, _committed = lagging_group
    run = ansible_module(LAG, {"group": "no-such-group", "topics": [topic, "no-such-topic"]})
    assert not run.failed, run.result
    assert run["group_exists"] is False and run["state"] == "Dead" and run["members"] == 0
    assert run["missing_topics"] == ["no-such-topic"]
    assert "consumer group no-such-group does not exist" in run["msg"]
    assert "no-such-topic" in run["msg"]
    # The existing topic is counted from the log start: nothing was ever committed.
    assert run["total_lag"] == 20
    latest = ansible_module(LAG, {"group": "no-such-group", "topics": [topic], "uncommitted_offset": "latest"})
    assert latest["total_lag"] == 0
    strict = ansible_module(LAG, {"group": "no-such-group", "fail_on_missing": True})
    assert strict.failed and "does not exist" in strict["msg"]
