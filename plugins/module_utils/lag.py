# -*- coding: utf-8 -*-
# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0
"""Consumer-group lag for kafkaops.kraft.kafka_consumer_lag and the lag exporter app.

compute_lag() is the pure arithmetic (unit-tested); GroupLagReader gathers
the offsets from Kafka. Works for groups with or without live members, since
committed offsets live in __consumer_offsets, not in the consumers.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Relative: the lag exporter app (apps/kafkaops_apps/lag_exporter) links this file and
# kafka_client.py into its package, where the collection's namespace does not exist.
from .kafka_client import KafkaModuleError

UNKNOWN_TOPIC_OR_PARTITION = 3
# States Kafka reports for a group id it has no record of.
MISSING_GROUP_STATES = ("Dead", "")


def compute_lag(partitions, committed, log_end, log_start, uncommitted="earliest"):
    """Per-partition, per-topic and total lag.

    partitions: [(topic, partition)]; committed: {(topic, partition): offset}
    (absent or negative = nothing committed); log_end/log_start: {(t, p): offset}.
    Lag is log-end minus committed, as kafka-consumer-groups computes it. A
    partition with no commit counts from the log start (uncommitted=earliest,
    what a new consumer with auto.offset.reset=earliest would read) or as 0
    (uncommitted=latest).
    """
    rows = []
    topics = {}
    for topic, partition in sorted(partitions):
        key = (topic, partition)
        end = log_end[key]
        offset = committed.get(key)
        if offset is None or offset < 0:
            offset = None
            lag = end - log_start.get(key, 0) if uncommitted == "earliest" else 0
        else:
            # A commit past the end (after a truncation) is not negative lag.
            lag = end - offset
        lag = max(lag, 0)
        rows.append(
            dict(
                topic=topic,
                partition=partition,
                committed_offset=offset,
                log_start_offset=log_start.get(key),
                log_end_offset=end,
                lag=lag,
            )
        )
        totals = topics.setdefault(topic, dict(lag=0, partitions=0, committed_partitions=0, log_end_offset=0))
        totals["lag"] += lag
        totals["partitions"] += 1
        totals["log_end_offset"] += end
        totals["committed_partitions"] += 0 if offset is None else 1
    return dict(partitions=rows, topics=topics, total_lag=sum(t["lag"] for t in topics.values()))


def lag_gate(total_lag, threshold):
    """Message when total lag is above the threshold, else None (threshold None = no gate)."""
    if threshold is None or total_lag <= threshold:
        return None
    return "consumer lag %d is above the limit of %d" % (total_lag, threshold)


def member_topics(members):
    topics = set()
    for member in members or []:
        assignment = member.get("member_assignment") or {}
        if isinstance(assignment, dict):
            for entry in assignment.get("assigned_partitions") or []:
                topics.add(entry["topic"])
    return topics


class GroupLagReader:
    def __init__(self, admin, timeout_ms):
        self.admin = admin
        self.timeout_ms = timeout_ms

    def group(self, group_id):
        """(state, members) of the group; state 'Dead' when Kafka does not know it."""
        import kafka.errors as kafka_errors

        try:
            description = self.admin.describe_groups([group_id])[group_id]
        except (kafka_errors.CoordinatorNotAvailableError, kafka_errors.GroupIdNotFoundError):
            # No coordinator means __consumer_offsets does not exist yet:
            # no group has ever committed, so this one does not exist either.
            return "Dead", []
        if description.get("error"):
            raise KafkaModuleError("could not describe group %s: %s" % (group_id, description["error"]))
        return description.get("group_state") or "", description.get("members") or []

    def committed(self, group_id):
        import kafka.errors as kafka_errors

        try:
            offsets = self.admin.list_group_offsets({group_id: None}).get(group_id, {})
        except (kafka_errors.CoordinatorNotAvailableError, kafka_errors.GroupIdNotFoundError):
            return {}
        return dict(((tp.topic, tp.partition), meta.offset) for tp, meta in offsets.items())

    def partitions(self, topics):
        """({topic: [partition numbers]}, [missing topics])."""
        found, missing = {}, []
        for meta in self.admin.describe_topics(sorted(topics)):
            if meta["error_code"] == UNKNOWN_TOPIC_OR_PARTITION:
                missing.append(meta["name"])
            elif meta["error_code"]:
                raise KafkaModuleError(
                    "could not describe topic %s: Kafka error code %d" % (meta["name"], meta["error_code"])
                )
            else:
                found[meta["name"]] = sorted(p["partition_index"] for p in meta["partitions"])
        return found, sorted(missing)

    def offsets(self, keys, spec):
        from kafka import TopicPartition

        if not keys:
            return {}
        result = self.admin.list_partition_offsets(
            dict((TopicPartition(t, p), spec) for t, p in keys), timeout_ms=self.timeout_ms
        )
        return dict(((tp.topic, tp.partition), value.offset) for tp, value in result.items())

    def read(self, group_id, topics=None, uncommitted="earliest"):
        from kafka.admin import OffsetSpec

        state, members = self.group(group_id)
        committed = self.committed(group_id)
        wanted = set(topics) if topics else set(t for t, _partition in committed) | member_topics(members)
        found, missing = self.partitions(wanted) if wanted else ({}, [])
        keys = [(t, p) for t, parts in found.items() for p in parts]
        log_end = self.offsets(keys, OffsetSpec.LATEST)
        log_start = self.offsets(keys, OffsetSpec.EARLIEST)
        lag = compute_lag(keys, committed, log_end, log_start, uncommitted)
        exists = state not in MISSING_GROUP_STATES or bool(committed)
        return dict(
            group=group_id, group_exists=exists, state=state, members=len(members), missing_topics=missing, **lag
        )
