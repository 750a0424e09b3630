"""The restart gate's parsers of Kafka's CLI output (plugins/filter/kraft_health.py)."""

import importlib.util
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

_spec = importlib.util.spec_from_file_location(
    "kraft_health", Path(__file__).resolve().parents[3] / "plugins" / "filter" / "kraft_health.py"
)
health = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(health)

# Kafka 3.9's table: columns padded with spaces, Status last.
REPLICATION = (
    "NodeId  DirectoryId             LogEndOffset  Lag  LastFetchTimestamp  LastCaughtUpTimestamp  Status  \n"
    "3       pbvuBlaTTwKRxS5NLJwRFQ  455           0    1700000000000       1700000000000          Leader  \n"
    "1       Nr-ZSEUmTMKzoxVc6f1xNg  450           5    1700000000000       1700000000000          Follower\n"
    "4       Qx_w8o9kR0aWm3YzPZ1UuA  400           55   1700000000000       1700000000000          Observer\n"
)


def test_replication_table_becomes_a_quorum():
    quorum = health.parse_replication(REPLICATION)
    assert quorum["leader"] == 3
    assert [(r["id"], r["lag"]) for r in quorum["voters"]] == [(1, 5), (3, 0)]
    assert [(r["id"], r["lag"]) for r in quorum["observers"]] == [(4, 55)]


def test_unreadable_replication_output_has_no_leader():
    assert health.parse_replication("Error while executing: timed out")["leader"] is None
    assert health.parse_replication("")["leader"] is None


def test_quorum_problems_of_one_node():
    assert health.kraft_quorum_problems(REPLICATION, 1, 10) == []
    assert health.kraft_quorum_problems(REPLICATION, 4, "10") == ["node 4 lags the metadata log by 55 record(s)"]
    assert health.kraft_quorum_problems(REPLICATION, 2, 10) == ["node 2 is not in the KRaft quorum"]
    assert health.kraft_quorum_problems("timed out", 1, 10) == ["the KRaft quorum has no leader"]
    with pytest.raises(AnsibleFilterError, match="kafka_kraft_health_max_lag"):
        health.kraft_quorum_problems(REPLICATION, 1, "ten")


URP_LINE = "\tTopic: orders\tPartition: 0\tLeader: 1\tReplicas: 1,2,3\tIsr: 1,2\tElr: N/A\tLastKnownElr: N/A\n"
OFFLINE_LINE = "\tTopic: orders\tPartition: 2\tLeader: none\tReplicas: 3\tIsr: \tElr: N/A\tLastKnownElr: N/A\n"
ADDING_LINE = (
    "\tTopic: audit\tPartition: 1\tLeader: 1\tReplicas: 1,2,4\tIsr: 1,2"
    "\tAdding Replicas: 4\tRemoving Replicas: \tElr: N/A\tLastKnownElr: N/A\n"
)


def test_partition_lines_become_topics():
    topics, unreadable = health.parse_partitions(URP_LINE + OFFLINE_LINE + ADDING_LINE)
    assert unreadable == []
    assert topics == [
        {
            "name": "audit",
            "partitions": [{"partition": 1, "leader": 1, "replicas": [1, 2, 4], "isr": [1, 2], "adding": [4]}],
        },
        {
            "name": "orders",
            "partitions": [
                {"partition": 0, "leader": 1, "replicas": [1, 2, 3], "isr": [1, 2], "adding": []},
                {"partition": 2, "leader": None, "replicas": [3], "isr": [], "adding": []},
            ],
        },
    ]


def test_partition_problems():
    assert health.kraft_partition_problems("") == []
    assert health.kraft_partition_problems(URP_LINE) == ["1 under-replicated partition(s): orders-0"]
    assert health.kraft_partition_problems(OFFLINE_LINE) == [
        "1 under-replicated partition(s): orders-2",
        "1 offline partition(s): orders-2",
    ]
    assert health.kraft_partition_problems(ADDING_LINE) == []


def test_topic_summary_lines_are_skipped_and_other_text_is_a_problem():
    summary = "Topic: orders\tTopicId: AAAA\tPartitionCount: 3\tReplicationFactor: 3\tConfigs: \n"
    assert health.kraft_partition_problems(summary) == []
    assert health.kraft_partition_problems("WARN something odd\n") == [
        "unreadable kafka-topics output: WARN something odd"
    ]
