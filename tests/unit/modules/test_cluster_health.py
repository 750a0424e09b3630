"""Pure logic of kafka_cluster_health: quorum summary and the list of problems."""

from __future__ import annotations

from ansible_collections.kafkaops.kraft.plugins.module_utils.health import health_problems, quorum_summary

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


def test_healthy_cluster_has_no_problems():
    quorum = quorum_summary(DESCRIBED)
    quorum["observers"] = []
    assert health_problems([1, 2, 3], [1, 2, 3], quorum, [], [], 10, [1, 2, 3]) == []


def test_every_problem_is_named():
    quorum = quorum_summary(DESCRIBED)
    problems = health_problems([1, 2, 3, 4], [1, 2, 3], quorum, ["t-1"], ["t-2"], 10, [1, 2, 3, 5])
    text = " | ".join(problems)
    assert "broker(s) 4 not registered" in text
    assert "controller(s) 5 are not quorum voters" in text
    assert "node 4 lags the metadata log by 137" in text
    assert "1 under-replicated partition(s): t-1" in text
    assert "1 offline partition(s): t-2" in text


def test_no_leader_is_a_problem():
    problems = health_problems([], [], quorum_summary({"topics": []}), [], [], 10)
    assert problems == ["the KRaft quorum has no leader"]
