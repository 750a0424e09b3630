"""Pure planning logic of kafka_topic: validation, config diff, partitions, RF, guards, --diff."""

from __future__ import annotations

import pytest
from ansible_collections.kafkaops.kraft.plugins.module_utils.kafka_client import KafkaModuleError
from ansible_collections.kafkaops.kraft.plugins.module_utils.topic import (
    assignment_errors,
    assignments_for_rf,
    config_changes,
    normalise_configs,
    plan_topic,
    validate_params,
)

BROKERS = [1, 2, 3]


def topic(name="t", assignment=((1, 2), (2, 3), (3, 1)), internal=False):
    return dict(
        name=name,
        internal=internal,
        partitions=[
            dict(partition=i, leader=r[0], replicas=list(r), isr=list(r), offline_replicas=[])
            for i, r in enumerate(assignment)
        ],
    )


def params(**kw):
    base = dict(
        name="t",
        state="present",
        partitions=None,
        replication_factor=None,
        replica_assignment=None,
        configs=None,
        configs_exclusive=False,
        allow_reassignment=False,
    )
    base.update(kw)
    return base


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        (dict(name="bad name!"), "topic name 'bad name!' is invalid"),
        (dict(name="x" * 250), "is invalid"),
        (dict(name=".."), "is invalid"),
        (dict(partitions=0), "partitions must be at least 1"),
        (dict(replication_factor=0), "replication_factor must be at least 1"),
        (dict(replica_assignment=[[1], [1, 2]]), "replica_assignment is uneven"),
        (dict(replica_assignment=[[1, 1]]), "repeats a broker"),
        (dict(replica_assignment=[[1], [2]], partitions=3), "lists 2 partitions but partitions is 3"),
        (
            dict(replica_assignment=[[1], [2]], replication_factor=2),
            "1 replicas per partition but replication_factor is 2",
        ),
        (dict(replica_assignment=[["a"]]), "not an integer"),
        (dict(configs_exclusive=True), "configs_exclusive needs configs"),
    ],
)
def test_validate_params_rejects(kw, message):
    errors = validate_params(params(**kw))
    assert any(message in e for e in errors), errors


def test_validate_params_accepts_seed_topic():
    assert validate_params(params(name="test-topic", partitions=6, replication_factor=3)) == []
    assert validate_params(params(replica_assignment=[[1, 2], [2, 1], [1, 2], [2, 1]], partitions=4)) == []
    assert validate_params(params(state="absent", partitions=0)) == []  # absent ignores the rest


def test_assignment_errors_empty():
    assert assignment_errors([]) == ["replica_assignment must list at least one partition"]


def test_normalise_configs():
    assert normalise_configs({"a": 1, "b": True, "c": ["compact", "delete"], "d": "x"}) == {
        "a": "1",
        "b": "true",
        "c": "compact,delete",
        "d": "x",
    }


def test_config_changes_incremental_and_exclusive():
    overrides = {"retention.ms": "1", "segment.ms": "2"}
    assert config_changes({"retention.ms": "1"}, overrides, False) == ({}, [])
    assert config_changes({"retention.ms": "5"}, overrides, False) == ({"retention.ms": "5"}, [])
    assert config_changes({"retention.ms": "5"}, overrides, True) == ({"retention.ms": "5"}, ["segment.ms"])
    assert config_changes({}, overrides, True) == ({}, ["retention.ms", "segment.ms"])


def test_create_plan_and_diff():
    plan = plan_topic(
        params(partitions=6, replication_factor=3, configs={"retention.ms": 604800000}), None, {}, BROKERS
    )
    assert plan["create"] == dict(
        num_partitions=6, replication_factor=3, assignment=None, configs={"retention.ms": "604800000"}
    )
    assert plan["diff"] == dict(
        before=dict(name="t", state="absent"),
        after=dict(
            name="t", state="present", partitions=6, replication_factor=3, configs={"retention.ms": "604800000"}
        ),
    )


def test_noop_plan_has_no_changes():
    plan = plan_topic(params(partitions=3, replication_factor=2, configs={"a": "1"}), topic(), {"a": "1"}, BROKERS)
    assert plan["changes"] == []
    assert plan["diff"]["before"] == plan["diff"]["after"]


def test_partition_increase_and_decrease():
    plan = plan_topic(params(partitions=12), topic(), {}, BROKERS)
    assert plan["partitions"] == dict(count=12, assignments=None)
    with pytest.raises(KafkaModuleError, match="refusing to decrease partitions of t from 3 to 2"):
        plan_topic(params(partitions=2), topic(), {}, BROKERS)


def test_rf_above_live_brokers_refused():
    with pytest.raises(KafkaModuleError, match="replication_factor 4 is greater than the 3 live broker"):
        plan_topic(params(replication_factor=4), None, {}, BROKERS)


def test_rf_change_needs_allow_reassignment():
    with pytest.raises(KafkaModuleError, match=r"change replication_factor of t from 2 to 3.*allow_reassignment"):
        plan_topic(params(replication_factor=3), topic(), {}, BROKERS)
    plan = plan_topic(params(replication_factor=3, allow_reassignment=True), topic(), {}, BROKERS)
    assert plan["reassign"] == {0: [1, 2, 3], 1: [2, 3, 1], 2: [3, 1, 2]}
    assert plan["diff"]["after"]["replication_factor"] == 3


def test_rf_change_with_partition_increase_places_new_partitions():
    plan = plan_topic(params(replication_factor=3, partitions=4, allow_reassignment=True), topic(), {}, BROKERS)
    assert plan["partitions"]["count"] == 4
    assert [len(r) for r in plan["partitions"]["assignments"]] == [3]


def test_assignments_for_rf_shrinks_from_tail_and_balances():
    assert assignments_for_rf([[1, 2, 3], [2, 3, 1]], 2, BROKERS) == [[1, 2], [2, 3]]
    grown = assignments_for_rf([[1], [1], [2]], 2, BROKERS)
    assert grown == [[1, 3], [1, 2], [2, 3]]
    assert all(len(set(r)) == 2 for r in grown)


def test_replica_assignment_change_is_a_reassignment():
    desired = [[2, 1], [2, 3], [3, 1]]
    with pytest.raises(KafkaModuleError, match=r"replica assignment of t partition\(s\) 0"):
        plan_topic(params(replica_assignment=desired), topic(), {}, BROKERS)
    plan = plan_topic(params(replica_assignment=desired, allow_reassignment=True), topic(), {}, BROKERS)
    assert plan["reassign"] == {0: [2, 1]}
    assert plan["diff"]["before"]["replica_assignment"] == [[1, 2], [2, 3], [3, 1]]
    assert plan["diff"]["after"]["replica_assignment"] == desired


def test_replica_assignment_extra_lists_place_new_partitions():
    plan = plan_topic(params(replica_assignment=[[1, 2], [2, 3], [3, 1], [1, 3]]), topic(), {}, BROKERS)
    assert plan["reassign"] == {}
    assert plan["partitions"] == dict(count=4, assignments=[[1, 3]])


def test_replica_assignment_unknown_broker():
    with pytest.raises(KafkaModuleError, match=r"broker\(s\) 9 that are not live"):
        plan_topic(params(replica_assignment=[[1, 9]]), None, {}, BROKERS)


def test_unknown_config_name():
    with pytest.raises(KafkaModuleError, match=r"unknown topic config name\(s\): retention\.mss"):
        plan_topic(params(configs={"retention.mss": 1}), topic(), {}, BROKERS, valid_configs={"retention.ms"})


@pytest.mark.parametrize("name", ["__consumer_offsets", "__transaction_state", "__anything"])
def test_internal_topics_are_read_only(name):
    current = topic(name=name, internal=name == "__consumer_offsets")
    with pytest.raises(KafkaModuleError, match="refusing to delete internal topic"):
        plan_topic(params(name=name, state="absent"), current, {}, BROKERS)
    with pytest.raises(KafkaModuleError, match="refusing to modify internal topic"):
        plan_topic(params(name=name, partitions=50), current, {}, BROKERS)
    with pytest.raises(KafkaModuleError, match="refusing to modify internal topic"):
        plan_topic(params(name=name, configs={"retention.ms": 1}), current, {}, BROKERS)
    with pytest.raises(KafkaModuleError, match="refusing to create internal topic"):
        plan_topic(params(name=name), None, {}, BROKERS)
    assert plan_topic(params(name=name), current, {}, BROKERS)["changes"] == []


def test_internal_flag_from_kafka_protects_any_name():
    with pytest.raises(KafkaModuleError, match="refusing to delete internal topic"):
        plan_topic(params(name="weird", state="absent"), topic(name="weird", internal=True), {}, BROKERS)


def test_delete_plan():
    plan = plan_topic(params(state="absent"), topic(), {"a": "1"}, BROKERS)
    assert plan["delete"] is True
    assert plan["diff"]["after"] == dict(name="t", state="absent")
    assert plan_topic(params(state="absent"), None, {}, BROKERS)["changes"] == []


def test_exclusive_diff_shows_removed_override():
    plan = plan_topic(
        params(configs={"retention.ms": "5"}, configs_exclusive=True),
        topic(),
        {"retention.ms": "5", "x.y": "1"},
        BROKERS,
    )
    assert plan["configs_delete"] == ["x.y"]
    assert plan["diff"]["before"]["configs"] == {"retention.ms": "5", "x.y": "1"}
    assert plan["diff"]["after"]["configs"] == {"retention.ms": "5"}
