# -*- coding: utf-8 -*-
# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0
"""Partition reassignment planning for kafkaops.kraft.kafka_reassignment.

The pure functions (plan_reassignment, balance_replicas, balance_leaders,
throttle_settings, progress) decide what moves and are unit-tested without
Kafka. ReassignmentService does the I/O against a KafkaAdminClient.

Assignments are dicts {(topic, partition): [broker, ...]}, the first broker
being the preferred leader.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.kafkaops.kraft.plugins.module_utils.kafka_client import KafkaModuleError
from ansible_collections.kafkaops.kraft.plugins.module_utils.topic import parse_topic

UNKNOWN_TOPIC_OR_PARTITION = 3
ELECTION_NOT_NEEDED = 84
# Throttle settings, as kafka-reassign-partitions sets them (KIP-73).
BROKER_THROTTLE_RATES = ("leader.replication.throttled.rate", "follower.replication.throttled.rate")
TOPIC_THROTTLE_REPLICAS = ("leader.replication.throttled.replicas", "follower.replication.throttled.replicas")


# --- pure planning -----------------------------------------------------------


def replica_counts(assignment, brokers=()):
    """Replicas per broker; every broker of `brokers` appears, with 0 if it holds none."""
    counts = dict((b, 0) for b in brokers)
    for replicas in assignment.values():
        for broker in replicas:
            counts[broker] = counts.get(broker, 0) + 1
    return counts


def leader_counts(assignment, brokers=()):
    """Preferred leaders (first replica) per broker."""
    counts = dict((b, 0) for b in brokers)
    for replicas in assignment.values():
        if replicas:
            counts[replicas[0]] = counts.get(replicas[0], 0) + 1
    return counts


def spread(counts, brokers):
    """max - min of the counts over `brokers` (0 for no broker)."""
    values = [counts.get(b, 0) for b in brokers]
    return (max(values) - min(values)) if values else 0


def replica_targets(counts, brokers, total):
    """Per-broker replica quota: total/len(brokers), the remainder going to the
    brokers that already hold the most, so the fewest replicas move."""
    base, extra = divmod(total, len(brokers))
    ranked = sorted(brokers, key=lambda b: (-counts.get(b, 0), b))
    targets = dict((b, base) for b in brokers)
    for broker in ranked[:extra]:
        targets[broker] += 1
    return targets


def _topic_counts(assignment):
    per_topic = {}
    for (topic, _partition), replicas in assignment.items():
        counts = per_topic.setdefault(topic, {})
        for broker in replicas:
            counts[broker] = counts.get(broker, 0) + 1
    return per_topic


def balance_replicas(assignment, brokers, sizes=None):
    """Move the fewest replicas so that every broker of `brokers` holds its quota.

    Replicas on brokers outside `brokers` (retired or dead) always move. Among
    the replicas that could move, the smallest partitions go first (least data),
    then those that even out each topic's spread. A moved replica keeps its
    position, so a partition keeps its leader unless the leader itself moved.
    Returns a new assignment; the input is not modified.
    """
    sizes = sizes or {}
    brokers = sorted(set(brokers))
    if not brokers:
        raise KafkaModuleError("no target brokers to balance onto")
    rf_max = max((len(r) for r in assignment.values()), default=0)
    if rf_max > len(brokers):
        raise KafkaModuleError(
            "a replication factor of %d needs at least %d brokers, only %d given (%s)"
            % (rf_max, rf_max, len(brokers), ", ".join(str(b) for b in brokers))
        )
    result = dict((k, list(v)) for k, v in assignment.items())
    counts = replica_counts(result, brokers)
    total = sum(len(r) for r in result.values())
    targets = replica_targets(counts, brokers, total)
    per_topic = _topic_counts(result)

    def excess(broker):
        return counts.get(broker, 0) - targets.get(broker, 0)

    while True:
        sources = sorted((b for b in counts if excess(b) > 0), key=lambda b: (b in targets, -excess(b), b))
        if not sources:
            break
        src = sources[0]
        moved = False
        for dst in sorted((b for b in brokers if excess(b) < 0), key=lambda b: (excess(b), b)):
            candidates = [k for k, r in result.items() if src in r and dst not in r]
            if not candidates:
                continue
            key = min(
                candidates,
                key=lambda k: (
                    sizes.get(k, 0),
                    -per_topic[k[0]].get(src, 0) + per_topic[k[0]].get(dst, 0),
                    result[k][0] == src,  # prefer moving a follower: no leader change
                    k,
                ),
            )
            replicas = result[key]
            replicas[replicas.index(src)] = dst
            counts[src] -= 1
            counts[dst] = counts.get(dst, 0) + 1
            topic_counts = per_topic[key[0]]
            topic_counts[src] -= 1
            topic_counts[dst] = topic_counts.get(dst, 0) + 1
            moved = True
            break
        if not moved:  # pragma: no cover - impossible by counting, kept as a guard
            raise KafkaModuleError("could not find a replica of broker %d to move" % src)
    return result


def balance_leaders(assignment, brokers):
    """Reorder replicas so preferred leaders spread within +-1 where the replica
    placement allows it. Only the order changes, so no data moves.

    Leadership is shifted along chains (augmenting paths): broker A gives a
    partition to B, B gives another to C..., until a broker with 2 fewer
    leaders than the busiest gets one more.
    """
    result = dict((k, list(v)) for k, v in assignment.items())
    brokers = sorted(set(brokers) | set(b for r in result.values() for b in r))
    leader = dict((k, r[0]) for k, r in result.items() if r)
    load = leader_counts(result, brokers)
    while True:
        top = max(load.values()) if load else 0
        sources = [b for b in brokers if load[b] == top]
        parent = dict((b, None) for b in sources)
        queue = list(sources)
        end = None
        while queue and end is None:
            u = queue.pop(0)
            for key in sorted(k for k, b in leader.items() if b == u):
                for v in result[key]:
                    if v in parent:
                        continue
                    parent[v] = (u, key)
                    if load[v] <= top - 2:
                        end = v
                        break
                    queue.append(v)
                if end is not None:
                    break
        if end is None:
            break
        node = end
        load[end] += 1
        while parent[node] is not None:
            u, key = parent[node]
            leader[key] = node
            node = u
        load[node] -= 1
    for key, replicas in result.items():
        if replicas and replicas[0] != leader[key]:
            replicas.remove(leader[key])
            replicas.insert(0, leader[key])
    return result


def plan_reassignment(current, brokers, sizes=None, balance_leadership=True):
    """The full plan: replicas balanced with the least movement, then leaders spread.

    current: {(topic, partition): replicas}; brokers: target broker ids;
    sizes: {(topic, partition): bytes}. See describe_plan() for the result.
    """
    brokers = sorted(set(brokers))
    target = balance_replicas(current, brokers, sizes)
    if balance_leadership:
        target = balance_leaders(target, brokers)
    return describe_plan(current, target, brokers, sizes)


def describe_plan(current, target, brokers, sizes=None):
    """What moving from `current` to `target` (both full assignments) means:
    the changing partitions, bytes to copy and replica/leader counts before and after."""
    sizes = sizes or {}
    changes = []
    bytes_to_move = 0
    replicas_to_move = 0
    for key in sorted(current):
        before, after = list(current[key]), list(target.get(key, current[key]))
        if before == after:
            continue
        adding = [b for b in after if b not in before]
        removing = [b for b in before if b not in after]
        moved_bytes = sizes.get(key, 0) * len(adding)
        bytes_to_move += moved_bytes
        replicas_to_move += len(adding)
        changes.append(
            dict(
                topic=key[0],
                partition=key[1],
                current=before,
                target=after,
                adding=adding,
                removing=removing,
                bytes=moved_bytes,
                reorder_only=not adding and not removing,
            )
        )
    after_brokers = sorted(set(brokers) | set(b for r in target.values() for b in r))
    before_brokers = sorted(set(after_brokers) | set(b for r in current.values() for b in r))
    after_counts = replica_counts(target, after_brokers)
    return dict(
        changes=changes,
        target=target,
        bytes_to_move=bytes_to_move,
        replicas_to_move=replicas_to_move,
        replicas_before=replica_counts(current, before_brokers),
        replicas_after=after_counts,
        leaders_before=leader_counts(current, before_brokers),
        leaders_after=leader_counts(target, after_brokers),
        balanced_after=spread(after_counts, after_brokers) <= 1,
    )


def throttle_settings(changes):
    """What kafka-reassign-partitions throttles for these changes.

    Leaders throttle on every current replica of a moving partition (they may
    serve the new replicas); followers throttle on the replicas being added.
    Returns (brokers involved, {topic: {config: "partition:broker,..."}}).
    """
    brokers = set()
    topics = {}
    for change in changes:
        if change.get("reorder_only") or not change["adding"]:
            continue
        brokers.update(change["current"])
        brokers.update(change["target"])
        entry = topics.setdefault(change["topic"], dict((k, []) for k in TOPIC_THROTTLE_REPLICAS))
        entry[TOPIC_THROTTLE_REPLICAS[0]].extend("%d:%d" % (change["partition"], b) for b in change["current"])
        entry[TOPIC_THROTTLE_REPLICAS[1]].extend("%d:%d" % (change["partition"], b) for b in change["adding"])
    return sorted(brokers), dict((t, dict((k, ",".join(v)) for k, v in cfg.items())) for t, cfg in topics.items())


def progress(targets, current, ongoing):
    """(done, pending) partition lists: done when Kafka lists the partition's
    replicas exactly as targeted and no reassignment of it is in progress.

    targets/current: {(topic, partition): replicas}; ongoing: set of keys.
    """
    done, pending = [], []
    for key in sorted(targets):
        if key not in ongoing and list(current.get(key, [])) == list(targets[key]):
            done.append(key)
        else:
            pending.append(key)
    return done, pending


def human_bytes(size):
    size = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return ("%d %s" % (size, unit)) if unit == "B" else ("%.1f %s" % (size, unit))
        size /= 1024.0
    return "%d B" % size  # pragma: no cover - loop always returns


def change_line(change):
    """One readable line per changing partition, for the plan printout."""
    if change["reorder_only"]:
        what = "leader order only, no data"
    else:
        what = "+%s -%s, %s" % (
            ",".join(str(b) for b in change["adding"]),
            ",".join(str(b) for b in change["removing"]),
            human_bytes(change["bytes"]),
        )
    return "%s-%d: %s -> %s (%s)" % (change["topic"], change["partition"], change["current"], change["target"], what)


def key_name(key):
    return "%s-%d" % key


def assignment_from_list(entries):
    """Module input [{topic, partition, replicas}] -> {(topic, partition): replicas}."""
    result = {}
    for entry in entries or []:
        try:
            key = (str(entry["topic"]), int(entry["partition"]))
            replicas = [int(b) for b in entry["replicas"]]
        except (KeyError, TypeError, ValueError):
            raise KafkaModuleError(
                "each assignment entry needs topic, partition and replicas (a list of broker ids), got %r" % (entry,)
            ) from None
        if not replicas or len(set(replicas)) != len(replicas):
            raise KafkaModuleError("assignment of %s needs distinct broker ids, got %s" % (key_name(key), replicas))
        result[key] = replicas
    return result


def assignment_to_list(assignment):
    return [dict(topic=k[0], partition=k[1], replicas=list(v)) for k, v in sorted(assignment.items())]


# --- Kafka I/O ---------------------------------------------------------------


class ReassignmentService:
    """The kafka-python 3.x calls the reassignment module needs."""

    def __init__(self, admin, timeout_ms):
        self.admin = admin
        self.timeout_ms = timeout_ms

    def topics(self, names=None):
        """parse_topic() results of `names`, or of every non-internal topic."""
        if names:
            metas = self.admin.describe_topics(list(names))
        else:
            metas = self.admin.describe_topics()
        result = []
        missing = []
        for meta in metas:
            if meta.get("error_code") == UNKNOWN_TOPIC_OR_PARTITION:
                missing.append(meta["name"])
                continue
            if meta.get("error_code"):
                raise KafkaModuleError(
                    "could not describe topic %s: error code %d" % (meta["name"], meta["error_code"])
                )
            parsed = parse_topic(meta)
            if not names and parsed["internal"]:
                continue
            result.append(parsed)
        if missing:
            raise KafkaModuleError("topic(s) %s do not exist" % ", ".join(sorted(missing)), missing_topics=missing)
        return sorted(result, key=lambda t: t["name"])

    @staticmethod
    def assignment(topics):
        return dict(((t["name"], p["partition"]), list(p["replicas"])) for t in topics for p in t["partitions"])

    def live_brokers(self):
        cluster = self.admin.describe_cluster()
        return sorted(b["broker_id"] for b in cluster["brokers"] if not b.get("is_fenced"))

    def controller_id(self):
        return self.admin.describe_cluster().get("controller_id")

    def sizes(self, topic_names, brokers):
        """Largest on-disk size of each partition over its replicas (bytes)."""
        sizes = {}
        if not topic_names:
            return sizes
        for entry in self.admin.describe_log_dirs(topic_partitions=list(topic_names), brokers=list(brokers)):
            for log_dir in entry.get("log_dirs") or []:
                for topic in log_dir.get("topics") or []:
                    for p in topic.get("partitions") or []:
                        if p.get("is_future_key"):
                            continue
                        key = (topic["name"], p["partition_index"])
                        sizes[key] = max(sizes.get(key, 0), int(p.get("partition_size") or 0))
        return sizes

    def ongoing(self):
        """{(topic, partition): {replicas, adding_replicas, removing_replicas}} in progress."""
        result = self.admin.list_partition_reassignments(timeout_ms=self.timeout_ms)
        return dict(((tp.topic, tp.partition), info) for tp, info in result.items())

    def submit(self, target):
        from kafka import TopicPartition

        request = dict((TopicPartition(k[0], k[1]), list(v)) for k, v in target.items())
        result = self.admin.alter_partition_reassignments(request, timeout_ms=self.timeout_ms)
        failed = dict(("%s-%d" % (tp.topic, tp.partition), err.__name__) for tp, err in result.items() if err)
        if failed:
            raise KafkaModuleError("Kafka refused the reassignment of %s" % failed, reassignment_errors=failed)

    def _alter(self, resources):
        result = self.admin.alter_configs(resources, raise_on_unknown=False, incremental=True)
        bad = {}
        for kind, names in result.items():
            for name, outcome in names.items():
                if outcome != "OK":
                    bad["%s %s" % (kind, name)] = str(outcome)
        if bad:
            raise KafkaModuleError("Kafka refused a config change: %s" % bad, config_errors=bad)

    def set_throttles(self, rate, brokers, topic_configs):
        from kafka.admin import ConfigResource

        resources = [
            ConfigResource("BROKER", str(b), dict((k, str(rate)) for k in BROKER_THROTTLE_RATES)) for b in brokers
        ]
        resources += [ConfigResource("TOPIC", t, dict(cfg)) for t, cfg in sorted(topic_configs.items())]
        if resources:
            self._alter(resources)

    def throttles(self, brokers, topic_names):
        """Throttle settings present now: {"broker 1": [keys], "topic t": [keys]}."""
        from kafka.admin import ConfigResource

        present = {}
        resources = [ConfigResource("BROKER", str(b)) for b in brokers] + [
            ConfigResource("TOPIC", t) for t in topic_names
        ]
        for resource in resources:
            described = self.admin.describe_configs([resource], config_filter="modified")
            for kind, names in described.items():
                for name, entries in names.items():
                    keys = sorted(k for k in entries if k in BROKER_THROTTLE_RATES + TOPIC_THROTTLE_REPLICAS)
                    if keys:
                        present["%s %s" % (kind, name)] = keys
        return present

    def clear_throttles(self, brokers, topic_names):
        """Remove every throttle setting from these brokers and topics; returns what was removed."""
        from kafka.admin import AlterConfigOp, ConfigResource

        present = self.throttles(brokers, topic_names)
        resources = []
        for label, keys in sorted(present.items()):
            kind, _sep, name = label.partition(" ")
            resource_type = "BROKER" if kind.lower() == "broker" else "TOPIC"
            resources.append(ConfigResource(resource_type, name, dict((k, (AlterConfigOp.DELETE, None)) for k in keys)))
        if resources:
            self._alter(resources)
        return present

    def elect_preferred(self, topics):
        """Preferred leader election on the partitions whose leader is not the first replica."""
        wanted = {}
        for topic in topics:
            for p in topic["partitions"]:
                if p["replicas"] and p["leader"] != p["replicas"][0]:
                    wanted.setdefault(topic["name"], []).append(p["partition"])
        if not wanted:
            return [], {}
        response = self.admin.elect_leaders(0, wanted, timeout_ms=self.timeout_ms, raise_errors=False)
        errors = {}
        for result in getattr(response, "replica_election_results", None) or []:
            topic = getattr(result, "topic", None)
            for part in getattr(result, "partition_result", None) or []:
                code = getattr(part, "error_code", 0)
                if code and code != ELECTION_NOT_NEEDED:
                    errors["%s-%s" % (topic, getattr(part, "partition_id", "?"))] = "%s %s" % (
                        code,
                        getattr(part, "error_message", "") or "",
                    )
        names = ["%s-%d" % (t, p) for t, parts in sorted(wanted.items()) for p in sorted(parts)]
        return names, errors

    def wait(self, predicate, what, timeout_s):
        deadline = time.monotonic() + timeout_s
        while not predicate():
            if time.monotonic() > deadline:
                raise KafkaModuleError("timed out after %d s waiting for %s" % (timeout_s, what))
            time.sleep(0.5)
