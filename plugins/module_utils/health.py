# -*- coding: utf-8 -*-
# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0
"""Cluster health for kafkaops.kraft.kafka_cluster_health.

quorum_summary() and health_problems() are pure (unit-tested); read_health()
gathers brokers, the KRaft quorum and partition state from a KafkaAdminClient.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kafkaops.kraft.plugins.module_utils.reassignment import partition_health
from ansible_collections.kafkaops.kraft.plugins.module_utils.topic import parse_topic


def quorum_summary(described):
    """describe_metadata_quorum() -> {leader, epoch, high_watermark, voters: [{id, log_end_offset, lag}], observers}."""
    topics = described.get("topics") or []
    partition = (topics[0].get("partitions") or [{}])[0] if topics else {}
    leader = partition.get("leader_id")
    voters = partition.get("current_voters") or []
    observers = partition.get("observers") or []
    leader_end = max([v.get("log_end_offset", -1) for v in voters if v.get("replica_id") == leader] or [-1])

    def rows(replicas):
        return [
            dict(
                id=r.get("replica_id"),
                log_end_offset=r.get("log_end_offset"),
                lag=max(leader_end - r.get("log_end_offset", -1), 0) if leader_end >= 0 else None,
            )
            for r in sorted(replicas, key=lambda r: r.get("replica_id"))
        ]

    return dict(
        leader=leader,
        epoch=partition.get("leader_epoch"),
        high_watermark=partition.get("high_watermark"),
        voters=rows(voters),
        observers=rows(observers),
    )


def health_problems(expected_brokers, live_brokers, quorum, urp, offline, max_lag, expected_voters=()):
    """Every reason the cluster is not healthy, as readable strings (empty = healthy)."""
    problems = []
    missing = sorted(set(expected_brokers) - set(live_brokers))
    if missing:
        problems.append("broker(s) %s not registered" % ", ".join(str(b) for b in missing))
    if quorum.get("leader") is None or quorum["leader"] < 0:
        problems.append("the KRaft quorum has no leader")
    voter_ids = [v["id"] for v in quorum.get("voters") or []]
    absent = sorted(set(expected_voters) - set(voter_ids))
    if absent:
        problems.append("controller(s) %s are not quorum voters" % ", ".join(str(v) for v in absent))
    for row in (quorum.get("voters") or []) + (quorum.get("observers") or []):
        if row["lag"] is not None and row["lag"] > max_lag:
            problems.append("node %s lags the metadata log by %d record(s)" % (row["id"], row["lag"]))
    if urp:
        problems.append("%d under-replicated partition(s): %s" % (len(urp), ", ".join(urp[:10])))
    if offline:
        problems.append("%d offline partition(s): %s" % (len(offline), ", ".join(offline[:10])))
    return problems


def read_health(admin):
    cluster = admin.describe_cluster()
    live = sorted(b["broker_id"] for b in cluster["brokers"] if not b.get("is_fenced"))
    quorum = quorum_summary(admin.describe_metadata_quorum())
    topics = [parse_topic(m) for m in admin.describe_topics() if not m.get("error_code")]
    urp, offline = partition_health(topics)
    return dict(
        cluster_id=cluster.get("cluster_id"),
        brokers=live,
        quorum=quorum,
        topics=len(topics),
        partitions=sum(len(t["partitions"]) for t in topics),
        under_replicated=urp,
        offline=offline,
    )
