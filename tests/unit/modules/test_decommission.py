"""Scale-in decisions (module_utils/decommission.py): every refusal, the inventory split, the drain check."""

from __future__ import annotations

import pytest
from ansible_collections.kafkaops.kraft.plugins.module_utils.decommission import (
    node_ids,
    refusals,
    replicas_on,
    retirement,
    summary,
    topic_limits,
)
from ansible_collections.kafkaops.kraft.plugins.module_utils.health import quorum_state
from ansible_collections.kafkaops.kraft.plugins.module_utils.kafka_client import KafkaModuleError


def node(node_id, host, broker=True, controller=False):
    return {
        "id": node_id,
        "host": host,
        "broker": broker,
        "controller": controller,
        "service": f"kafka-node{node_id}",
        "log_dir": "/var/kafka/logs",
    }


# scale_out's shape: three combined nodes, a broker-only fourth, a dedicated controller fifth.
NODES = [
    node(1, "kafka1", controller=True),
    node(2, "kafka2", controller=True),
    node(3, "kafka3", controller=True),
    node(4, "kafka4"),
    node(5, "kafka5", broker=False, controller=True),
]


def quorum(voters, leader=1, lags=None):
    lags = lags or {}
    return quorum_state(leader, [dict(id=v, log_end_offset=100 - lags.get(v, 0)) for v in voters], [])


def limits(rf=3, min_isr=2, name="test-topic"):
    return [dict(name=name, rf=rf, min_isr=min_isr)]


def decide(ids, mode="dynamic", after=(1, 2, 3), live=(1, 2, 3, 4), topic_limits=None, voters=(1, 2, 3, 5), **kw):
    return refusals(
        ids,
        mode,
        list(after),
        list(live),
        limits() if topic_limits is None else topic_limits,
        kw.get("quorum") or quorum(voters),
        kw.get("urp", []),
        kw.get("offline", []),
        10,
    )


def test_a_broker_only_node_of_a_healthy_cluster_may_retire():
    assert decide([4]) == []


def test_refuses_when_fewer_brokers_remain_than_a_topics_replication_factor():
    # Retiring 2 of 3 brokers with RF 3: one broker would be left.
    found = decide([2, 3], after=[1], live=[1, 2, 3], voters=[1, 2, 3, 4, 5])
    assert any("replication factor 3, but only 1 broker(s) would remain (1)" in p for p in found), found


def test_refuses_when_min_insync_replicas_could_not_be_met():
    found = decide([4], topic_limits=limits(rf=3, min_isr=4))
    assert found == [
        "topic test-topic needs min.insync.replicas=4, but at most 3 in-sync replica(s) would remain: producers with "
        "acks=all would fail; lower min.insync.replicas or keep more brokers"
    ]
    # Two brokers left under RF 2 and min.insync.replicas 2 is fine; one is not.
    assert decide([3, 4], after=[1, 2], topic_limits=limits(rf=2, min_isr=2), voters=[1, 2, 5, 6, 7]) == []
    found = decide([2, 3, 4], after=[1], topic_limits=limits(rf=1, min_isr=2), voters=[1, 5, 6, 7, 8])
    assert any("min.insync.replicas=2, but at most 1" in p for p in found), found


def test_refuses_a_static_quorum_voter_and_says_a_new_cluster_is_needed():
    found = decide([3], mode="static", after=[1, 2, 4], voters=[1, 2, 3])
    assert len(found) == 1 and "static quorum" in found[0] and "needs a new cluster" in found[0], found
    # A broker-only node of a static cluster is no voter: it may retire.
    assert decide([4], mode="static", voters=[1, 2, 3]) == []


def test_refuses_when_the_quorum_would_lose_its_majority():
    # 3 voters, 2 leaving: 1 of 3 runs until they are removed, a majority is 2.
    found = decide([2, 3], after=[1, 4], voters=[1, 2, 3], topic_limits=limits(rf=2, min_isr=1))
    assert found == [
        "retiring voter(s) 2, 3 would leave 1 of the 3 voters 1 running until they leave the voter set; a majority "
        "is 2: retire fewer controllers at a time, or add controllers first (add_controller.yml)"
    ]
    # 4 voters (3 + 1 added), one leaving: 3 of 4 keep a majority.
    assert decide([5], after=[1, 2, 3, 4], voters=[1, 2, 3, 5]) == []
    # 2 voters: stopping either loses the majority.
    assert decide([5], after=[1, 2, 3, 4], voters=[1, 5]) != []


def test_refuses_an_unhealthy_cluster_but_ignores_the_retiring_nodes_own_state():
    found = decide([4], urp=["test-topic-0"])
    assert found == [
        "cluster unhealthy: 1 under-replicated partition(s): test-topic-0; fix it (health.yml) before retiring nodes"
    ]
    found = decide([4], live=[1, 2, 4])
    assert found == ["cluster unhealthy: broker(s) 3 not registered; fix it (health.yml) before retiring nodes"]
    lagging = quorum([1, 2, 3, 5], lags={2: 50})
    assert any("node 2 lags the metadata log by 50" in p for p in decide([4], quorum=lagging))
    assert any("no leader" in p for p in decide([4], quorum=quorum([1, 2, 3, 5], leader=None)))
    # A re-run after an interruption: the leaving controller is stopped (and lags), the broker is gone.
    stopped = quorum([1, 2, 3, 5], lags={5: 80})
    assert decide([4, 5], live=[1, 2, 3], quorum=stopped) == []
    # Broker 6, retired a minute ago, is still listed as an observer with a growing lag: it serves nothing.
    lingering = quorum_state(1, [dict(id=v, log_end_offset=100) for v in (1, 2, 3)], [dict(id=6, log_end_offset=3)])
    assert decide([4], voters=[1, 2, 3], quorum=lingering) == []
    # A registered broker that lags is a problem.
    voters = [dict(id=v, log_end_offset=100) for v in (1, 2, 3)]
    lagging_broker = quorum_state(1, voters, [dict(id=7, log_end_offset=3)])
    found = decide([4], after=[1, 2, 3, 7], live=[1, 2, 3, 4, 7], voters=[1, 2, 3], quorum=lagging_broker)
    assert found == [
        "cluster unhealthy: node 7 lags the metadata log by 97 record(s); fix it (health.yml) before retiring nodes"
    ]


def test_refuses_when_no_broker_would_remain():
    found = decide([1], after=[], live=[1], topic_limits=[], voters=[2, 3, 4], mode="dynamic")
    assert found[0].startswith("no broker would remain")


def test_topic_limits_and_replicas_on_the_nodes():
    topics = [
        {"name": "a", "partitions": [{"replicas": [1, 4, 2]}, {"replicas": [2, 3]}]},
        {"name": "__consumer_offsets", "partitions": [{"replicas": [4]}]},
    ]
    assert topic_limits(topics, {"a": {"min.insync.replicas": "2"}}) == [
        {"name": "__consumer_offsets", "rf": 1, "min_isr": 1},
        {"name": "a", "rf": 3, "min_isr": 2},
    ]
    assert replicas_on(topics, [4, 5]) == {4: 2, 5: 0}


def test_summary_reports_the_drain_and_the_voters_after():
    topics = [
        {
            "name": "t",
            "internal": False,
            "partitions": [{"partition": 0, "leader": 1, "replicas": [1, 2, 3], "isr": [1, 2, 3]}],
        },
        {
            "name": "__consumer_offsets",
            "internal": True,
            "partitions": [{"partition": 0, "leader": 4, "replicas": [4, 1, 2], "isr": [4, 1, 2]}],
        },
    ]
    cluster = dict(
        brokers=[1, 2, 3, 4],
        quorum=quorum([1, 2, 3, 5]),
        topics=topics,
        configs={"t": {"min.insync.replicas": "2"}},
        under_replicated=[],
        offline=[],
    )
    result = summary([5, 4], cluster, "dynamic", [1, 2, 3], 10)
    assert result["refusals"] == []
    assert result["node_ids"] == [4, 5]
    assert result["registered"] == [4]
    assert result["voters_after"] == [1, 2, 3] and result["leaving_voters"] == [5]
    assert result["replicas_on_nodes"] == {"4": 1, "5": 0} and result["replicas_left"] == 1
    assert result["topics"] == ["t", "__consumer_offsets"] and result["internal_topics"] == ["__consumer_offsets"]


def test_retirement_splits_the_inventory_and_names_the_entries_to_remove():
    plan = retirement(NODES, [5, 4])
    assert plan["node_ids"] == [4, 5]
    assert plan["retiring_hosts"] == ["kafka4", "kafka5"]
    assert plan["retiring_brokers"] == [4] and plan["retiring_controllers"] == [5]
    assert plan["brokers_after"] == [1, 2, 3]
    assert plan["admin_host"] == "kafka1" and plan["controller_host"] == "kafka1"
    assert plan["inventory_edits"] == [
        "kafka4: remove the host from the kafka, kafka_brokers and kafka_controllers groups",
        "kafka5: remove the host from the kafka, kafka_brokers and kafka_controllers groups",
    ]
    # One node of a host with several: only that entry of its kafka_kraft_nodes goes.
    shared = [node(1, "big"), node(2, "big"), node(3, "other", controller=True)]
    plan = retirement(shared, [2])
    assert plan["inventory_edits"] == ["big: remove node(s) 2 from its kafka_kraft_nodes"]
    assert plan["admin_host"] == "big"
    # The admin host is never one that retires entirely.
    assert retirement(NODES, [1])["admin_host"] == "kafka2"
    assert retirement([node(1, "only")], [1])["admin_host"] is None


@pytest.mark.parametrize(
    "value, message",
    [
        ([], "is empty"),
        ("[]", "is empty"),
        ({"id": 4}, "must be a list"),
        (None, "must be a list"),
        (["x"], "whole numbers"),
        ("[4, x]", "whole numbers"),
        ([True], "whole numbers"),
    ],
)
def test_node_ids_are_checked(value, message):
    with pytest.raises(KafkaModuleError, match=message):
        node_ids(value)


def test_unknown_node_ids_are_refused_with_the_inventory_ids():
    with pytest.raises(
        KafkaModuleError, match=r"node id\(s\) 9 are not in the inventory .* Inventory nodes: 1, 2, 3, 4, 5"
    ):
        retirement(NODES, [4, 9])
    assert node_ids(["4", 4, 3]) == [3, 4]


@pytest.mark.parametrize("value", ["[4]", "[4, 5]", "4,5", "4", 4, [5, 4]])
def test_node_ids_from_the_command_line(value):
    # -e kafka_decommission_node_ids=[4] passes a string.
    assert node_ids(value) == ([4, 5] if "5" in str(value) else [4])
