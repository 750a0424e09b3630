"""The collection's health rule (module_utils/health.py): quorum, lag, partitions, problems."""

from __future__ import annotations

from ansible_collections.kafkaops.kraft.plugins.module_utils.health import (
    NO_LEADER,
    health_problems,
    node_problems,
    partition_health,
    partition_problems,
    quorum_problems,
    quorum_state,
    quorum_summary,
)

DESCRIBED = {
    "topics": [
        {
            "topic_name": "__cluster_metadata",
            "partitions": [
                {
                    "partition_index": 0,
                    "leader_id": 1,
                    "leader_epoch": 4,
                    "high_watermark": 1837,
                    "current_voters": [
                        {"replica_id": 2, "log_end_offset": 1830},
                        {"replica_id": 1, "log_end_offset": 1837},
                        {"replica_id": 3, "log_end_offset": 1837},
                    ],
                    "observers": [{"replica_id": 4, "log_end_offset": 1700}],
                }
            ],
        }
    ]
}


def test_quorum_summary_reads_leader_and_lag():
    quorum = quorum_summary(DESCRIBED)
    assert quorum["leader"] == 1
    assert quorum["epoch"] == 4
    assert [(v["id"], v["lag"]) for v in quorum["voters"]] == [(1, 0), (2, 7), (3, 0)]
    assert quorum["observers"] == [{"id": 4, "log_end_offset": 1700, "lag": 137}]


def test_lag_is_the_distance_to_the_leaders_log_end_never_negative():
    quorum = quorum_state(
        1,
        [{"id": 1, "log_end_offset": 100}, {"id": 2, "log_end_offset": None}],
        [{"id": 5, "log_end_offset": 103}],
    )
    lags = {r["id"]: r["lag"] for r in quorum["voters"] + quorum["observers"]}
    assert lags == {1: 0, 2: 101, 5: 0}


def test_lag_is_unknown_without_the_leaders_log_end():
    quorum = quorum_state(None, [{"id": 1, "log_end_offset": 100}], [])
    assert quorum["voters"][0]["lag"] is None
    assert quorum_problems(quorum, 10) == [NO_LEADER]


def test_healthy_cluster_has_no_problems():
    quorum = quorum_summary(DESCRIBED)
    quorum["observers"] = []
    assert health_problems([1, 2, 3], [1, 2, 3], quorum, [], [], 10, [1, 2, 3]) == []


def test_every_problem_is_named():
    quorum = quorum_summary(DESCRIBED)
    problems = health_problems([1, 2, 3, 4], [1, 2, 3], quorum, ["t-1"], ["t-2"], 10, [1, 2, 3, 5])
    assert problems == [
        "broker(s) 4 not registered",
        "controller(s) 5 are not quorum voters",
        "node 4 lags the metadata log by 137 record(s)",
        "1 under-replicated partition(s): t-1",
        "1 offline partition(s): t-2",
    ]


def test_no_leader_is_a_problem():
    problems = health_problems([], [], quorum_summary({"topics": []}), [], [], 10)
    assert problems == [NO_LEADER]
    assert health_problems([], [], quorum_state(-1, [], []), [], [], 10) == [NO_LEADER]


def test_one_node_is_back_when_the_quorum_has_a_leader_and_it_caught_up():
    quorum = quorum_summary(DESCRIBED)
    assert node_problems(quorum, 1, 10) == []
    assert node_problems(quorum, 2, 10) == []
    assert node_problems(quorum, 2, 6) == ["node 2 lags the metadata log by 7 record(s)"]
    assert node_problems(quorum, 4, 10) == ["node 4 lags the metadata log by 137 record(s)"]


def test_a_node_missing_from_the_quorum_is_not_back():
    assert node_problems(quorum_summary(DESCRIBED), 9, 10_000) == ["node 9 is not in the KRaft quorum"]


def test_one_node_needs_a_leader_first():
    assert node_problems(quorum_state(None, [{"id": 1, "log_end_offset": 5}], []), 1, 10) == [NO_LEADER]


def test_partition_health_finds_urp_and_offline():
    topics = [
        dict(
            name="t",
            partitions=[
                dict(partition=0, leader=1, replicas=[1, 2], isr=[1, 2]),
                dict(partition=1, leader=1, replicas=[1, 2], isr=[1]),
                dict(partition=2, leader=-1, replicas=[1, 2], isr=[]),
                dict(partition=3, leader=None, replicas=[1], isr=[1]),
            ],
        )
    ]
    assert partition_health(topics) == (["t-1", "t-2"], ["t-2", "t-3"])


def test_replicas_being_added_do_not_make_a_partition_under_replicated():
    reassigning = dict(partition=0, leader=1, replicas=[1, 2, 3], isr=[1, 2], adding=[3])
    assert partition_health([dict(name="t", partitions=[reassigning])]) == ([], [])
    reassigning["isr"] = [1]
    assert partition_health([dict(name="t", partitions=[reassigning])]) == (["t-0"], [])


def test_partition_problems_list_at_most_ten_names():
    urp = [f"t-{i}" for i in range(12)]
    assert partition_problems(urp, []) == ["12 under-replicated partition(s): " + ", ".join(urp[:10])]
    assert partition_problems([], []) == []
