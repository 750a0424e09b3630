# -*- coding: utf-8 -*-
# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0
"""The collection's one rule of cluster health, as pure functions over plain data.

Two front ends feed it and so reach the same verdict for the same cluster:
the kafkaops.kraft.kafka_cluster_health module reads the Admin API
(read_health()), and the kafka_kraft role's restart gate, which runs before
any Kafka client library is on the hosts, parses Kafka's CLI output
(filter plugin kraft_health).

Plain data: a quorum is {leader, epoch, high_watermark, voters, observers},
each replica {id, log_end_offset, lag}; a topic is {name, partitions}, each
partition {partition, leader, replicas, isr} plus, when known, ``adding``
(replicas a reassignment is still adding).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kafkaops.kraft.plugins.module_utils.topic import parse_topic

NO_LEADER = "the KRaft quorum has no leader"


def quorum_state(leader, voters, observers, epoch=None, high_watermark=None):
    """Quorum dict from replicas given as {id, log_end_offset}, each row given its lag.

    A replica's lag is how many records its metadata log ends behind the
    leader's (never below 0); None while the leader's log end is unknown.
    """

    def end(replica):
        offset = replica.get("log_end_offset")
        return -1 if offset is None else offset

    leader_end = max([end(v) for v in voters if v.get("id") == leader] or [-1])

    def rows(replicas):
        return [
            dict(
                id=r.get("id"),
                log_end_offset=r.get("log_end_offset"),
                lag=max(leader_end - end(r), 0) if leader_end >= 0 else None,
            )
            for r in sorted(replicas, key=lambda r: r.get("id"))
        ]

    return dict(
        leader=leader, epoch=epoch, high_watermark=high_watermark, voters=rows(voters), observers=rows(observers)
    )


def quorum_summary(described):
    """describe_metadata_quorum() (kafka-python) -> quorum dict."""
    topics = described.get("topics") or []
    partition = (topics[0].get("partitions") or [{}])[0] if topics else {}

    def replicas(key):
        return [dict(id=r.get("replica_id"), log_end_offset=r.get("log_end_offset")) for r in partition.get(key) or []]

    return quorum_state(
        partition.get("leader_id"),
        replicas("current_voters"),
        replicas("observers"),
        epoch=partition.get("leader_epoch"),
        high_watermark=partition.get("high_watermark"),
    )


def has_leader(quorum):
    return quorum.get("leader") is not None and quorum["leader"] >= 0


def _lag_problem(row, max_lag):
    if row["lag"] is not None and row["lag"] > max_lag:
        return "node %s lags the metadata log by %d record(s)" % (row["id"], row["lag"])
    return None


def _replicas(quorum):
    return (quorum.get("voters") or []) + (quorum.get("observers") or [])


def quorum_problems(quorum, max_lag, expected_voters=()):
    """Whole quorum: a leader, every expected controller a voter, every replica within ``max_lag``."""
    problems = [] if has_leader(quorum) else [NO_LEADER]
    voter_ids = [v["id"] for v in quorum.get("voters") or []]
    absent = sorted(set(expected_voters) - set(voter_ids))
    if absent:
        problems.append("controller(s) %s are not quorum voters" % ", ".join(str(v) for v in absent))
    problems.extend(p for p in (_lag_problem(row, max_lag) for row in _replicas(quorum)) if p)
    return problems


def node_problems(quorum, node_id, max_lag):
    """One node back in the quorum: a leader, and the node, voter or observer, within ``max_lag``.

    A node missing from the quorum has not (re)joined yet, which no threshold accepts.
    """
    if not has_leader(quorum):
        return [NO_LEADER]
    row = next((r for r in _replicas(quorum) if r["id"] == node_id), None)
    if row is None:
        return ["node %s is not in the KRaft quorum" % node_id]
    if row["lag"] is None:
        return ["the metadata lag of node %s is unknown" % node_id]
    problem = _lag_problem(row, max_lag)
    return [problem] if problem else []


def partition_health(topics):
    """(under_replicated, offline) partition names, as C(topic-partition).

    Under-replicated: fewer in-sync replicas than replicas, not counting
    replicas a reassignment is still adding (Kafka's own definition).
    Offline: no leader.
    """
    urp, offline = [], []
    for topic in topics:
        for p in topic["partitions"]:
            name = "%s-%d" % (topic["name"], p["partition"])
            if p["leader"] is None or p["leader"] < 0:
                offline.append(name)
            if len(p["isr"]) < len(p["replicas"]) - len(p.get("adding") or []):
                urp.append(name)
    return urp, offline


def partition_problems(urp, offline):
    problems = []
    if urp:
        problems.append("%d under-replicated partition(s): %s" % (len(urp), ", ".join(urp[:10])))
    if offline:
        problems.append("%d offline partition(s): %s" % (len(offline), ", ".join(offline[:10])))
    return problems


def health_problems(expected_brokers, live_brokers, quorum, urp, offline, max_lag, expected_voters=()):
    """Every reason the cluster is not healthy, as readable strings (empty = healthy)."""
    problems = []
    missing = sorted(set(expected_brokers) - set(live_brokers))
    if missing:
        problems.append("broker(s) %s not registered" % ", ".join(str(b) for b in missing))
    return problems + quorum_problems(quorum, max_lag, expected_voters) + partition_problems(urp, offline)


def read_cluster_state(admin):
    """Live brokers, the cluster id, the quorum, and every topic (internal ones included) with each
    partition's ``adding`` replicas of an ongoing reassignment, from a KafkaAdminClient."""
    cluster = admin.describe_cluster()
    live = sorted(b["broker_id"] for b in cluster["brokers"] if not b.get("is_fenced"))
    quorum = quorum_summary(admin.describe_metadata_quorum())
    topics = [parse_topic(m) for m in admin.describe_topics() if not m.get("error_code")]
    adding = dict(
        ((tp.topic, tp.partition), info.get("adding_replicas") or [])
        for tp, info in admin.list_partition_reassignments().items()
    )
    for topic in topics:
        for p in topic["partitions"]:
            p["adding"] = adding.get((topic["name"], p["partition"]), [])
    return dict(cluster_id=cluster.get("cluster_id"), brokers=live, quorum=quorum, topics=topics, ongoing=len(adding))


def read_health(admin):
    """The Admin API front end: brokers, quorum, partitions and ongoing reassignments from a KafkaAdminClient."""
    state = read_cluster_state(admin)
    topics = state["topics"]
    urp, offline = partition_health(topics)
    return dict(
        cluster_id=state["cluster_id"],
        brokers=state["brokers"],
        quorum=state["quorum"],
        topics=len(topics),
        partitions=sum(len(t["partitions"]) for t in topics),
        under_replicated=urp,
        offline=offline,
    )
