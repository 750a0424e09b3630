# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0
"""The restart gate's front end to the collection's health rule.

The gate runs during kafka_kraft's restarts, before any Kafka client library
is on the hosts, so it reads Kafka's CLI. These filters only parse that text
into plain data; whether it is healthy is decided by module_utils/health.py,
the same functions the kafka_cluster_health module applies to the Admin API.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.kafkaops.kraft.plugins.module_utils.health import (
    node_problems,
    partition_health,
    partition_problems,
    quorum_state,
)

_VOTER_STATUS = ("Leader", "Follower")


def _int(value, what):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise AnsibleFilterError(f"{what} must be an integer, got {value!r}") from None


def parse_replication(text):
    """``kafka-metadata-quorum describe --replication`` -> quorum dict (no leader when unreadable).

    Columns are found by header name; Status is the last column (Leader,
    Follower or Observer). Kafka's own Lag column is not read: the lag is
    derived from LogEndOffset by the shared rule.
    """
    lines = [line.split() for line in text.splitlines() if line.strip()]
    header = lines[0] if lines else []
    if not {"NodeId", "LogEndOffset", "Status"} <= set(header):
        return quorum_state(None, [], [])
    id_col, end_col = header.index("NodeId"), header.index("LogEndOffset")
    leader, voters, observers = None, [], []
    for row in lines[1:]:
        try:
            replica = {"id": int(row[id_col]), "log_end_offset": int(row[end_col])}
        except (IndexError, ValueError):
            continue
        status = row[-1]
        if status == "Leader":
            leader = replica["id"]
        (voters if status in _VOTER_STATUS else observers).append(replica)
    return quorum_state(leader, voters, observers)


def _ids(value):
    return [int(v) for v in value.split(",") if v.strip().lstrip("-").isdigit()]


def parse_partitions(text):
    """``kafka-topics --describe`` partition lines -> (topics, unreadable lines).

    Topic summary lines (no Partition field) are skipped; any other line that
    is not a partition is returned as unreadable, so the gate never mistakes
    output it does not understand for health.
    """
    topics, unreadable = {}, []
    for line in text.splitlines():
        if not line.strip():
            continue
        fields = {}
        for part in line.strip().split("\t"):
            key, sep, value = part.partition(":")
            if sep:
                fields[key.strip()] = value.strip()
        if "Topic" in fields and "Partition" not in fields and "PartitionCount" in fields:
            continue
        try:
            partition = {
                "partition": int(fields["Partition"]),
                "leader": None if fields["Leader"] == "none" else int(fields["Leader"]),
                "replicas": _ids(fields["Replicas"]),
                "isr": _ids(fields["Isr"]),
                "adding": _ids(fields.get("Adding Replicas", "")),
            }
        except (KeyError, ValueError):
            unreadable.append(line.strip())
            continue
        topics.setdefault(fields["Topic"], []).append(partition)
    return [{"name": name, "partitions": parts} for name, parts in sorted(topics.items())], unreadable


def kraft_quorum_problems(replication_output, node_id, max_lag):
    """Why ``node_id`` may not yet count as back in the quorum (empty list: it may)."""
    quorum = parse_replication(replication_output)
    return node_problems(quorum, _int(node_id, "node id"), _int(max_lag, "kafka_kraft_health_max_lag"))


def kraft_partition_problems(topics_output):
    """Under-replicated and offline partitions in ``kafka-topics --describe`` output (empty list: none)."""
    topics, unreadable = parse_partitions(topics_output)
    problems = partition_problems(*partition_health(topics))
    return problems + [f"unreadable kafka-topics output: {line}" for line in unreadable[:3]]


class FilterModule:
    def filters(self):
        return {
            "kraft_quorum_problems": kraft_quorum_problems,
            "kraft_partition_problems": kraft_partition_problems,
        }
