"""molecule/shared/kraft_testlib.py: the health probe the scenarios poll reads kafka-topics --describe right."""

from __future__ import annotations

import kraft_testlib

HEADER = "Topic: t\tTopicId: Xy\tPartitionCount: 3\tReplicationFactor: 3\tConfigs: min.insync.replicas=2"


def row(partition: int, leader: str, replicas: str, isr: str) -> str:
    fields = f"Topic: t\tPartition: {partition}\tLeader: {leader}\tReplicas: {replicas}\tIsr: {isr}"
    return f"\t{fields}\tElr: \tLastKnownElr: "


class Host:
    def __init__(self, rc: int, stdout: str):
        self.result = type("Result", (), {"rc": rc, "stdout": stdout})()

    def run(self, _command: str):
        return self.result


def test_in_sync_partitions_with_leaders_are_healthy():
    text = "\n".join([HEADER, row(0, "1", "1,2,3", "2,3,1"), row(1, "2", "2,3,1", "2,3,1")])
    assert kraft_testlib.partition_problems(text) == []
    assert kraft_testlib.cluster_healthy(Host(0, text))


def test_a_replica_out_of_sync_or_a_partition_without_leader_is_not():
    text = "\n".join([HEADER, row(0, "1", "1,2,3", "1,3"), row(1, "none", "2,3,1", ""), row(2, "3", "3,1,2", "3,1,2")])
    assert kraft_testlib.partition_problems(text) == ["t-0: replicas 1,2,3, in sync 1,3", "t-1: no leader"]
    assert not kraft_testlib.cluster_healthy(Host(0, text))


def test_a_failed_describe_is_not_health():
    assert not kraft_testlib.cluster_healthy(Host(1, ""))
