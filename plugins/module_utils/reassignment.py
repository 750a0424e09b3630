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

import bisect
import collections
import gc
import heapq
import itertools
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
    for broker, count in collections.Counter(itertools.chain.from_iterable(assignment.values())).items():
        counts[broker] = counts.get(broker, 0) + count
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


# How many (size, topic) groups of a source one move weighs at most once it has a
# candidate: bounds the cost of a move when no group offers an even one.
LOOKAHEAD = 32
# _Source.priority() is class * CLASS - how far the broker is above the topic's share
# (scaled by the broker count): classes further apart than any such distance.
CLASS = 1 << 40


class _Source:
    """The replicas one over-quota broker may give away, cheapest first.

    Replicas are grouped by (partition size, topic); a heap orders the groups by
    size, then by priority(). Within a group (keys in order), followers go before
    leaders (no leader change). A priority goes stale as the broker sheds replicas
    of a topic or the brokers below quota fill up: a group whose stored priority
    is stale is re-queued when it reaches the top.
    """

    def __init__(self, plan, broker):
        self.plan = plan
        self.broker = broker
        self.groups = {}  # (size, topic) -> sorted keys
        sizes = plan.sizes
        for key in plan.holding[broker]:
            self.groups.setdefault((sizes.get(key, 0), key[0]), []).append(key)
        for keys in self.groups.values():
            keys.sort()  # already sorted unless the broker took replicas before
        self.heap = [(size, self.priority(topic), topic) for size, topic in self.groups]
        heapq.heapify(self.heap)

    def priority(self, topic):
        """Queue order of a topic's groups, by class: 0 the broker holds more than its
        fair share of the topic and a broker below quota less than the floor of its
        share, 1 the same but only below the ceiling, 2 the broker holds no more than
        its share, 3 no broker below quota may take the topic without going over
        the ceiling. Within a class, the topics the broker is furthest above its
        share of first."""
        plan = self.plan
        above = plan.per_topic[topic].get(self.broker, 0) * plan.width - plan.topic_totals[topic]
        if topic in plan.saturated:
            return 3 * CLASS - above
        if above <= 0 and self.broker in plan.targets:
            return 2 * CLASS - above
        return (CLASS if topic in plan.floor_saturated else 0) - above

    def add(self, key):
        group = (self.plan.sizes.get(key, 0), key[0])
        if group in self.groups:
            bisect.insort(self.groups[group], key)
        else:
            self.groups[group] = [key]
            heapq.heappush(self.heap, (group[0], self.priority(key[0]), key[0]))

    def remove(self, key):
        """Take `key` out; its group stays queued, and is dropped when found empty."""
        self.groups[(self.plan.sizes.get(key, 0), key[0])].remove(key)

    def candidates(self, keys):
        """(is leader, key) of a group's keys, followers first."""
        result, broker = self.plan.result, self.broker
        return itertools.chain(
            ((0, k) for k in keys if result[k][0] != broker), ((1, k) for k in keys if result[k][0] == broker)
        )

    def take(self, dsts):
        """(key, broker) of the replica to move and where to, or None when every
        partition of this broker already has a replica on each broker of `dsts`.

        The smallest partitions first. Among those, the taker is the broker of
        `dsts` with fewest of the topic, and the first move in queue order that
        leaves the giver at or above the floor of its share of the topic and
        the taker at or below it wins; else the first that leaves the taker
        within the ceiling; else the one that narrows the topic's gap between
        the two brokers most."""
        plan = self.plan
        width, result = plan.width, plan.result
        retired = self.broker not in plan.targets
        order = [(plan.counts[d] - plan.targets[d], d) for d in dsts]
        scanned = []
        best = None  # (rank, group's keys, dst)
        while self.heap:
            size, share, topic = self.heap[0]
            keys = self.groups[(size, topic)]
            if not keys:
                heapq.heappop(self.heap)
                del self.groups[(size, topic)]
                continue
            fresh = self.priority(topic)
            if fresh != share:
                heapq.heapreplace(self.heap, (size, fresh, topic))
                continue
            if best is not None and (size > best[0][0] or len(scanned) >= LOOKAHEAD):
                break
            scanned.append(heapq.heappop(self.heap))
            counts = plan.per_topic[topic]
            src_count = counts.get(self.broker, 0)
            low = min([(counts.get(d, 0), excess, d) for excess, d in order])
            total = plan.topic_totals[topic]
            src_above = retired or src_count * width > total
            # Once every broker below quota holds the floor (or the ceiling) of its share
            # of the topic, it stays so: those brokers only gain. Queue the topic's groups
            # behind the others from now on.
            if (low[0] + 1) * width > total:
                plan.floor_saturated.add(topic)
            if low[0] * width >= total:
                plan.saturated.add(topic)
            elif best is not None and not src_above and (size, 2, low[0] - src_count) >= best[0][:3]:
                continue  # cannot be ideal, and no better than the best so far
            choice = None
            member = next((m for m in self.candidates(keys) if low[2] not in result[m[1]]), None)
            if member is not None:
                choice = low
            else:
                ranked = sorted((counts.get(d, 0), excess, d) for excess, d in order)
                for member in self.candidates(keys):
                    replicas = result[member[1]]
                    choice = next((r for r in ranked if r[2] not in replicas), None)
                    if choice is not None:
                        break
                if choice is None:
                    continue
            # 0: the taker stays within the floor of its share, 1: within the ceiling,
            # 2: neither (or the giver drops below its share).
            if not src_above or choice[0] * width >= total:
                level = 2
            else:
                level = 0 if (choice[0] + 1) * width <= total else 1
            rank = (size, level, choice[0] - src_count, member)
            if best is None or rank < best[0]:
                best = (rank, keys, choice[2])
            if level == 0 or (level == 1 and share > 0):
                break  # past class 0: nothing queued behind offers a better level
        for item in scanned:
            heapq.heappush(self.heap, item)
        if best is None:
            return None
        key = best[0][3][1]
        best[1].remove(key)
        return key, best[2]


class _ReplicaPlan:
    """State of balance_replicas: the assignment, replicas indexed by broker,
    per-topic counts, a heap of the brokers above quota and the set below it."""

    def __init__(self, assignment, brokers, sizes):
        self.sizes = sizes
        self.width = len(brokers)
        keys = sorted(assignment)
        self.result = dict((k, list(assignment[k])) for k in keys)
        # broker -> keys it held at the start or took since; a broker gives only
        # once it has a _Source, which keeps its own account from then on.
        self.holding = dict((b, []) for b in brokers)
        self.per_topic = {}
        self.topic_totals = {}
        for key in keys:
            topic_counts = self.per_topic.setdefault(key[0], {})
            self.topic_totals[key[0]] = self.topic_totals.get(key[0], 0) + len(self.result[key])
            for broker in self.result[key]:
                self.holding.setdefault(broker, []).append(key)
                topic_counts[broker] = topic_counts.get(broker, 0) + 1
        self.counts = dict((b, len(held)) for b, held in self.holding.items())
        self.targets = replica_targets(self.counts, brokers, sum(self.counts.values()))
        self.sources = {}  # broker -> _Source, built when the broker first gives
        # Topics of which every broker below quota holds the floor, or the ceiling, of its share.
        self.floor_saturated = set()
        self.saturated = set()
        # Retired brokers (outside `brokers`) empty first, then the fullest.
        self.over = [(b in self.targets, -self.excess(b), b) for b in self.counts if self.excess(b) > 0]
        heapq.heapify(self.over)
        self.under = set(b for b in brokers if self.excess(b) < 0)

    def excess(self, broker):
        return self.counts.get(broker, 0) - self.targets.get(broker, 0)

    def move(self, key, src, dst):
        replicas = self.result[key]
        replicas[replicas.index(src)] = dst
        self.holding.setdefault(dst, []).append(key)
        topic_counts = self.per_topic[key[0]]
        topic_counts[src] -= 1
        topic_counts[dst] = topic_counts.get(dst, 0) + 1
        self.counts[src] -= 1
        self.counts[dst] = self.counts.get(dst, 0) + 1
        if dst in self.sources:
            self.sources[dst].add(key)
        for broker in (src, dst):
            excess = self.excess(broker)
            if excess > 0:
                heapq.heappush(self.over, (broker in self.targets, -excess, broker))
            if excess >= 0:
                self.under.discard(broker)

    def step(self):
        """One move; False when every broker holds its quota."""
        while self.over and -self.over[0][1] != self.excess(self.over[0][2]):
            heapq.heappop(self.over)  # stale: the broker gave or took since
        if not self.over:
            return False
        src = self.over[0][2]
        if src not in self.sources:
            self.sources[src] = _Source(self, src)
        source = self.sources[src]
        found = source.take(self.under)
        if found is None:
            # Only a retired broker gets here (one above its quota always holds more
            # partitions than one below it has): park a replica on the emptiest broker
            # its partition does not use; that broker, now above quota, passes one on.
            key = min((k for k in self.holding[src] if src in self.result[k]), key=lambda k: (self.sizes.get(k, 0), k))
            dst = min((b for b in self.targets if b not in self.result[key]), key=lambda b: (self.excess(b), b))
            source.remove(key)
            found = (key, dst)
        self.move(found[0], src, found[1])
        return True


def balance_replicas(assignment, brokers, sizes=None):
    """Move the fewest replicas so that every broker of `brokers` holds its quota.

    Replicas on brokers outside `brokers` (retired or dead) always move. Among
    the replicas that could move, the smallest partitions go first (least data),
    then those that keep each topic within its fair share per broker. A moved
    replica keeps its position, so a partition keeps its leader unless the
    leader itself moved. Replicas are indexed by broker and the brokers above
    and below quota kept in heaps, so a plan costs O(P log P), not a scan of
    every partition per move. Returns a new assignment; the input is not modified.
    """
    brokers = sorted(set(brokers))
    if not brokers:
        raise KafkaModuleError("no target brokers to balance onto")
    rf_max = max((len(r) for r in assignment.values()), default=0)
    if rf_max > len(brokers):
        raise KafkaModuleError(
            "a replication factor of %d needs at least %d brokers, only %d given (%s)"
            % (rf_max, rf_max, len(brokers), ", ".join(str(b) for b in brokers))
        )
    plan = _ReplicaPlan(assignment, brokers, sizes or {})
    while plan.step():
        pass
    return plan.result


def balance_leaders(assignment, brokers):
    """Reorder replicas so preferred leaders spread as evenly as the replica
    placement allows. Only the order changes, so no data moves.

    Direct hand-overs first (a broker above the mean gives partitions to their
    least-loaded replica; brokers below it take partitions they follow), then
    leadership shifts along chains (broker A gives a partition to B, B another
    to C...) until no chain runs from a broker to one with 2 fewer leaders.
    Returns a new assignment; the input is not modified.
    """
    result = dict((k, list(v)) for k, v in assignment.items())
    _spread_leaders(result, brokers)
    return result


def _spread_leaders(result, brokers):
    """balance_leaders() in place."""
    keys = sorted(k for k in result if result[k])
    brokers = sorted(set(brokers) | set(itertools.chain.from_iterable(result.values())))
    leader = dict((k, result[k][0]) for k in keys)
    load = dict((b, 0) for b in brokers)
    led = dict((b, {}) for b in brokers)  # broker -> {key: None}, an ordered set
    for key in keys:
        led[leader[key]][key] = None
    for broker in brokers:
        load[broker] = len(led[broker])
    changed = {}

    def hand_over(key, new):
        old = leader[key]
        del led[old][key]
        led[new][key] = None
        leader[key] = new
        load[old] -= 1
        load[new] += 1
        changed[key] = None

    if keys:
        low, high = len(keys) // len(brokers), -(-len(keys) // len(brokers))
        for broker in sorted(brokers, key=lambda b: (-load[b], b)):
            for key in list(led[broker]):
                if load[broker] <= high:
                    break
                new = min(result[key], key=load.__getitem__)
                if load[new] < high and load[new] + 1 < load[broker]:
                    hand_over(key, new)
        takers = set(b for b in brokers if load[b] < low)
        follows = dict((b, []) for b in takers)
        for key in keys if takers else ():
            for broker in result[key][1:]:
                if broker in takers:
                    follows[broker].append(key)
        for broker in sorted(takers, key=lambda b: (load[b], b)):
            for key in follows[broker]:
                if load[broker] >= low:
                    break
                old = leader[key]
                if old != broker and load[old] > low and load[old] >= load[broker] + 2:
                    hand_over(key, broker)
    while load and max(load.values()) - min(load.values()) > 1:
        chain = _leader_chain(brokers, result, led, load)
        if chain is None:
            break
        for key, new in chain:
            hand_over(key, new)
    for key in changed:
        replicas = result[key]
        if replicas[0] != leader[key]:
            replicas.remove(leader[key])
            replicas.insert(0, leader[key])


def _leader_chain(brokers, result, led, load):
    """Hand-overs [(key, new leader)] that move one leadership along a chain from
    a broker to one with at least 2 fewer, or None when there is no such chain.

    Brokers are swept busiest first; the breadth-first search from each broker
    not yet reached visits only brokers not yet reached. A broker reached before
    was reached from one at least as busy whose search found nothing 2 below it,
    so nothing beyond it is 2 below the current start either: one pass over the
    partitions proves that no chain is left.
    """
    parent = {}
    for start in sorted(brokers, key=lambda b: (-load[b], b)):
        if start in parent:
            continue
        parent[start] = None
        queue = collections.deque([start])
        while queue:
            node = queue.popleft()
            for key in led[node]:
                for broker in result[key]:
                    if broker in parent:
                        continue
                    parent[broker] = (node, key)
                    if load[broker] <= load[start] - 2:
                        chain = []
                        while parent[broker] is not None:
                            node, key = parent[broker]
                            chain.append((key, broker))
                            broker = node
                        return chain
                    queue.append(broker)
    return None


def plan_reassignment(current, brokers, sizes=None, balance_leadership=True):
    """The full plan: replicas balanced with the least movement, then leaders spread.

    current: {(topic, partition): replicas}; brokers: target broker ids;
    sizes: {(topic, partition): bytes}. See describe_plan() for the result.
    """
    brokers = sorted(set(brokers))
    # A large plan allocates millions of small tuples, lists and dicts and no reference
    # cycles; the cyclic collector would rescan them over and over (~40 % of the time
    # at 200,000 partitions), so it pauses for the plan.
    collecting = gc.isenabled()
    gc.disable()
    try:
        target = balance_replicas(current, brokers, sizes)
        if balance_leadership:
            _spread_leaders(target, brokers)  # target is balance_replicas' own copy
        return describe_plan(current, target, brokers, sizes)
    finally:
        if collecting:
            gc.enable()


def change_entry(key, before, after, adding=None):
    """One partition's change from replicas `before` to `after`; `adding` defaults to the new ones."""
    adding = [b for b in after if b not in before] if adding is None else list(adding)
    removing = [b for b in before if b not in after]
    return dict(
        topic=key[0],
        partition=key[1],
        current=list(before),
        target=list(after),
        adding=adding,
        removing=removing,
        reorder_only=not adding and not removing,
    )


def describe_plan(current, target, brokers, sizes=None):
    """What moving from `current` to `target` (both full assignments) means:
    the changing partitions, bytes to copy and replica/leader counts before and after."""
    sizes = sizes or {}
    changes = []
    bytes_to_move = 0
    replicas_to_move = 0
    for key in sorted(current):
        before, after = current[key], target.get(key)
        if after is None or after == before:
            continue
        before, after = list(before), list(after)
        if before == after:
            continue
        change = change_entry(key, before, after)
        change["bytes"] = sizes.get(key, 0) * len(change["adding"])
        bytes_to_move += change["bytes"]
        replicas_to_move += len(change["adding"])
        changes.append(change)
    after_counts = replica_counts(target, brokers)
    after_brokers = sorted(after_counts)
    after_counts = dict((b, after_counts[b]) for b in after_brokers)
    before_counts = replica_counts(current, after_brokers)
    before_brokers = sorted(before_counts)
    return dict(
        changes=changes,
        target=target,
        bytes_to_move=bytes_to_move,
        replicas_to_move=replicas_to_move,
        replicas_before=dict((b, before_counts[b]) for b in before_brokers),
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
