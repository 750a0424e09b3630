"""Both front ends of the health rule reach the same verdict for the same cluster.

One cluster state is rendered twice: as the Admin API answers the
kafka_cluster_health module reads (kafka-python's shapes), and as the Kafka
CLI text the kafka_kraft restart gate reads (Kafka 3.9's formats, listing
what Kafka's own --under-replicated-partitions / --unavailable-partitions
list). The module's problems must equal the gate's, checked for every node.
"""

from __future__ import annotations

import importlib.util
import re
from collections import namedtuple
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
from ansible_collections.kafkaops.kraft.plugins.module_utils.health import health_problems, read_health

_spec = importlib.util.spec_from_file_location(
    "kraft_health", Path(__file__).resolve().parents[3] / "plugins" / "filter" / "kraft_health.py"
)
gate = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gate)

MAX_LAG = 10
TopicPartition = namedtuple("TopicPartition", "topic partition")


@dataclass(frozen=True)
class Partition:
    topic: str
    partition: int
    leader: int | None
    replicas: tuple
    isr: tuple
    adding: tuple = ()


@dataclass(frozen=True)
class Cluster:
    leader: int | None = 1
    voters: dict = field(default_factory=lambda: {1: 500, 2: 500, 3: 498})  # id -> metadata log end offset
    observers: dict = field(default_factory=lambda: {4: 500, 5: 495})
    partitions: tuple = (
        Partition("orders", 0, 4, (4, 5), (4, 5)),
        Partition("orders", 1, 5, (5, 4), (5, 4)),
    )


class FakeAdmin:
    """What kafka-python's KafkaAdminClient returns for the cluster."""

    def __init__(self, cluster: Cluster):
        self.cluster = cluster

    def describe_cluster(self):
        return {"cluster_id": "c", "brokers": [{"broker_id": b} for b in sorted(self.cluster.observers)]}

    def describe_metadata_quorum(self):
        def replicas(ends):
            return [{"replica_id": i, "log_end_offset": end} for i, end in ends.items()]

        partition = {
            "partition_index": 0,
            "leader_id": -1 if self.cluster.leader is None else self.cluster.leader,
            "current_voters": replicas(self.cluster.voters),
            "observers": replicas(self.cluster.observers),
        }
        return {"topics": [{"topic_name": "__cluster_metadata", "partitions": [partition]}]}

    def describe_topics(self):
        topics = {}
        for p in self.cluster.partitions:
            topics.setdefault(p.topic, []).append(
                {
                    "partition_index": p.partition,
                    "leader_id": -1 if p.leader is None else p.leader,
                    "replica_nodes": list(p.replicas),
                    "isr_nodes": list(p.isr),
                }
            )
        return [
            {"error_code": 0, "name": n, "is_internal": False, "partitions": ps} for n, ps in sorted(topics.items())
        ]

    def list_partition_reassignments(self):
        return {
            TopicPartition(p.topic, p.partition): {"replicas": list(p.replicas), "adding_replicas": list(p.adding)}
            for p in self.cluster.partitions
            if p.adding
        }


def cli_replication(cluster: Cluster) -> str:
    """kafka-metadata-quorum describe --replication; without a leader the tool fails."""
    if cluster.leader is None:
        return "Error while executing: java.util.NoSuchElementException: No value present\n"
    leader_end = cluster.voters[cluster.leader]
    rows = [("NodeId", "DirectoryId", "LogEndOffset", "Lag", "LastFetchTimestamp", "LastCaughtUpTimestamp", "Status")]
    ordered = [(cluster.leader, "Leader")]
    ordered += [(i, "Follower") for i in cluster.voters if i != cluster.leader]
    ordered += [(i, "Observer") for i in cluster.observers]
    for node, status in ordered:
        end = {**cluster.voters, **cluster.observers}[node]
        rows.append((str(node), "AAAAAAAAAAAAAAAAAAAAAA", str(end), str(leader_end - end), "-1", "-1", status))
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    return "".join("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) + "\n" for r in rows)


def cli_listing(cluster: Cluster, flag: str) -> str:
    """kafka-topics --describe with one report flag: the partitions Kafka itself lists for it."""
    live = set(cluster.observers)
    lines = []
    for p in sorted(cluster.partitions, key=lambda p: (p.topic, p.partition)):
        if flag == "--under-replicated-partitions":
            listed = len(p.replicas) - len(p.adding) - len(p.isr) > 0
        else:
            listed = p.leader is None or p.leader not in live
        if listed:
            adding = f"\tAdding Replicas: {','.join(map(str, p.adding))}\tRemoving Replicas: " if p.adding else ""
            lines.append(
                f"\tTopic: {p.topic}\tPartition: {p.partition}\tLeader: {'none' if p.leader is None else p.leader}"
                f"\tReplicas: {','.join(map(str, p.replicas))}\tIsr: {','.join(map(str, p.isr))}{adding}"
                "\tElr: N/A\tLastKnownElr: N/A\n"
            )
    return "".join(lines)


def reasons(problems) -> set:
    """Problems as a set, a partition list split per partition (the gate reads two listings apart)."""
    found = set()
    for problem in problems:
        match = re.fullmatch(r"\d+ (under-replicated|offline) partition\(s\): (.*)", problem)
        if match:
            found.update((match[1], name) for name in match[2].split(", "))
        else:
            found.add(problem)
    return found


def module_verdict(cluster: Cluster) -> set:
    state = read_health(FakeAdmin(cluster))
    brokers = sorted(cluster.observers)
    return reasons(
        health_problems(
            brokers,
            state["brokers"],
            state["quorum"],
            state["under_replicated"],
            state["offline"],
            MAX_LAG,
            cluster.voters,
        )
    )


def gate_verdict(cluster: Cluster) -> set:
    problems = []
    for node in [*cluster.voters, *cluster.observers]:
        problems += gate.kraft_quorum_problems(cli_replication(cluster), node, MAX_LAG)
    for flag in ("--under-replicated-partitions", "--unavailable-partitions"):
        problems += gate.kraft_partition_problems(cli_listing(cluster, flag))
    return reasons(problems)


HEALTHY = Cluster()
STATES = {
    "healthy": HEALTHY,
    "no quorum leader": replace(HEALTHY, leader=None),
    "a follower lags": replace(HEALTHY, voters={1: 500, 2: 480, 3: 500}),
    "a broker lags": replace(HEALTHY, observers={4: 500, 5: 300}),
    "lag exactly at the limit": replace(HEALTHY, voters={1: 500, 2: 490, 3: 500}),
    "under-replicated": replace(HEALTHY, partitions=(Partition("orders", 0, 4, (4, 5), (4,)),)),
    "offline": replace(HEALTHY, partitions=(Partition("orders", 0, None, (4,), ()),)),
    "reassignment adding a replica": replace(
        HEALTHY, partitions=(Partition("orders", 0, 4, (4, 5, 6), (4, 5), adding=(6,)),)
    ),
    "reassignment and under-replicated": replace(
        HEALTHY, partitions=(Partition("orders", 0, 4, (4, 5, 6), (4,), adding=(6,)),)
    ),
    "everything at once": replace(
        HEALTHY,
        voters={1: 500, 2: 100, 3: 500},
        partitions=(Partition("a", 0, 4, (4, 5), (4,)), Partition("b", 3, None, (5,), ())),
    ),
}


@pytest.mark.parametrize("name", STATES)
def test_module_and_gate_give_the_same_verdict(name):
    cluster = STATES[name]
    assert module_verdict(cluster) == gate_verdict(cluster)


def test_the_states_cover_both_verdicts():
    verdicts = {name: not module_verdict(c) for name, c in STATES.items()}
    assert verdicts["healthy"] and verdicts["lag exactly at the limit"] and verdicts["reassignment adding a replica"]
    assert sum(verdicts.values()) == 3
