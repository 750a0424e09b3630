# -*- coding: utf-8 -*-
# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0
"""Reassignment in waves: at most N partition movements per broker at a time.

Pure functions, unit-tested without Kafka; kafka_reassignment's `step`
operation feeds them what the cluster reports and submits what they select.

A partition movement counts against every broker that gains or loses a
replica in it (Cruise Control's num.concurrent.partition.movements.per.broker):
the gaining broker copies the data, the losing one serves as a leader or
deletes its log at the end. A pure reorder (same replicas, other preferred
leader) moves no data and counts against no broker.

The state is read from the cluster on every call, never from a local file:
`current` is what describe_topics reports and `ongoing` what
list_partition_reassignments reports ({(topic, partition): {replicas,
adding_replicas, removing_replicas}}). A movement Kafka lists as ongoing is
left to finish and counted against its brokers, whoever started it.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kafkaops.kraft.plugins.module_utils.kafka_client import KafkaModuleError
from ansible_collections.kafkaops.kraft.plugins.module_utils.reassignment import change_entry

DEFAULT_MAX_MOVES_PER_BROKER = 5


def check_limit(limit):
    """The per-broker limit as an int >= 1, or a clear error."""
    try:
        value = int(limit)
    except (TypeError, ValueError):
        value = None
    if value is None or value < 1 or value != limit:
        raise KafkaModuleError(
            "max_moves_per_broker must be a whole number of 1 or more (got %r): it caps the partition movements "
            "each broker takes part in at once; 1 moves one partition per broker at a time" % (limit,)
        )
    return value


def movement_brokers(before, after):
    """Brokers that gain or lose a replica when `before` becomes `after` (empty for a reorder)."""
    return frozenset(set(before) ^ set(after))


def in_flight_target(info):
    """Where an ongoing reassignment is heading: its replicas without those being removed.

    During a reassignment Kafka lists the target replicas first, then those it
    will remove, so the order of the target (its preferred leader) is kept.
    """
    removing = set(info.get("removing_replicas") or ())
    return [b for b in info.get("replicas") or () if b not in removing]


def ongoing_brokers(info):
    return frozenset(set(info.get("adding_replicas") or ()) | set(info.get("removing_replicas") or ()))


def settled_assignment(current, ongoing):
    """`current` as it will be once the ongoing reassignments finish.

    The planner runs on this, so a re-run plans from where the cluster is
    heading and neither undoes nor repeats a movement in flight.
    """
    result = dict((k, list(v)) for k, v in current.items())
    for key, info in ongoing.items():
        if key in result:
            target = in_flight_target(info)
            if target:
                result[key] = target
    return result


def broker_load(ongoing):
    """Partition movements in progress per broker."""
    load = {}
    for info in ongoing.values():
        for broker in ongoing_brokers(info):
            load[broker] = load.get(broker, 0) + 1
    return load


class _Selector:
    """Greedy choice of the movements that fit under the limit.

    Each movement is filed under its busiest broker (the one with the most
    movements to do), which is where the waves pile up; the brokers with the
    most movements still to start are served first, larger partitions first
    within a broker. A broker's list is read only until that broker is full,
    so simulating a thousand waves of 50,000 movements takes about a second.
    """

    def __init__(self, moves, sizes=None):
        sizes = sizes or {}
        degree = {}
        for brokers in moves.values():
            for broker in brokers:
                degree[broker] = degree.get(broker, 0) + 1
        self.moves = moves
        self.free = sorted(k for k, brokers in moves.items() if not brokers)
        self.queues = {}
        for key, brokers in moves.items():
            if brokers:
                owner = min(brokers, key=lambda b: (-degree[b], b))
                self.queues.setdefault(owner, []).append(key)
        for queue in self.queues.values():
            queue.sort(key=lambda k: (-sizes.get(k, 0), k))
        self.left = degree  # movements still to start, per broker
        self.remaining = len(moves)

    def next_wave(self, load, limit):
        """Keys to start now, given `load` (updated in place)."""
        picked, self.free = self.free, []
        for owner in sorted(self.queues, key=lambda b: (-self.left[b], b)):
            queue = self.queues[owner]
            kept = []
            for index, key in enumerate(queue):
                if load.get(owner, 0) >= limit:
                    kept.extend(queue[index:])
                    break
                brokers = self.moves[key]
                if all(load.get(b, 0) < limit for b in brokers):
                    picked.append(key)
                    for broker in brokers:
                        load[broker] = load.get(broker, 0) + 1
                        self.left[broker] -= 1
                else:
                    kept.append(key)
            if kept:
                self.queues[owner] = kept
            else:
                del self.queues[owner]
        self.remaining -= len(picked)
        return picked


def select_wave(moves, load, limit, sizes=None):
    """Movements to submit now: moves {key: brokers}, load {broker: in progress}.

    Returns (keys, load after submitting them). A movement whose brokers are
    all below the limit is taken; one touching a full broker waits. With
    nothing in progress at least one movement is always taken, so every
    movement is eventually submitted.
    """
    limit = check_limit(limit)
    load = dict(load)
    return _Selector(moves, sizes).next_wave(load, limit), load


def schedule(moves, limit, load=None, sizes=None):
    """Simulated waves: lists of keys, assuming each wave finishes before the next.

    The first wave shares the brokers with the movements in `load` (already
    in progress); if none fits beside them it is empty, for the wave still
    running. It estimates how many waves a plan takes; the real run submits
    as movements finish, so it is never slower than this.
    """
    limit = check_limit(limit)
    selector = _Selector(moves, sizes)
    waves = []
    wave_load = dict(load or {})
    while selector.remaining:
        had_load = any(wave_load.values())
        picked = selector.next_wave(wave_load, limit)
        if not picked and not had_load:  # pragma: no cover - impossible: an idle cluster always fits one
            raise KafkaModuleError("no movement fits under max_moves_per_broker=%d" % limit)
        waves.append(picked)
        wave_load = {}
    if not waves and load and any(load.values()):
        waves.append([])
    return waves


def plan_waves(changes, limit, ongoing=None, sizes=None):
    """{(topic, partition): wave number (1-based)} and the number of waves of a plan's changes."""
    moves = dict(((c["topic"], c["partition"]), movement_brokers(c["current"], c["target"])) for c in changes)
    byte_sizes = dict(((c["topic"], c["partition"]), c.get("bytes", 0)) for c in changes)
    waves = schedule(moves, limit, broker_load(ongoing or {}), sizes or byte_sizes)
    numbers = {}
    for index, keys in enumerate(waves):
        for key in keys:
            numbers[key] = index + 1
    return numbers, len(waves)


def wave_step(targets, current, ongoing, limit, sizes=None):
    """One step of the wave loop, from what the cluster reports now.

    targets: {key: replicas} the plan wants; current: {key: replicas} now;
    ongoing: Kafka's list of reassignments in progress (any topic).
    A target is done when placed exactly and no longer moving; moving while
    Kafka lists it; otherwise it is pending, and submitted now if its brokers
    have room under the limit. Returns a dict: done, moving, submit, waiting
    (key lists), load (per broker after submitting) and waves_left (the wave
    in progress, if any, plus the simulated waves for those still waiting).
    """
    limit = check_limit(limit)
    done, moving, pending = [], [], {}
    for key in sorted(targets):
        target = list(targets[key])
        if key in ongoing:
            moving.append(key)
        elif list(current.get(key, [])) == target:
            done.append(key)
        else:
            pending[key] = movement_brokers(current.get(key, []), target)
    submit, load = select_wave(pending, broker_load(ongoing), limit, sizes)
    chosen = set(submit)
    waiting = dict((k, v) for k, v in pending.items() if k not in chosen)
    waves_left = (1 if moving or submit else 0) + len(schedule(waiting, limit, sizes=sizes))
    return dict(
        done=done,
        moving=sorted(moving + submit),
        submit=sorted(submit),
        waiting=sorted(waiting),
        load=dict((b, n) for b, n in load.items() if n),
        waves_left=waves_left,
    )


def wave_changes(keys, targets, current, ongoing):
    """Change entries (as describe_plan gives) for throttling these keys.

    A key Kafka is moving throttles what it is still adding; any other key
    what its target adds to the current replicas.
    """
    changes = []
    for key in sorted(keys):
        info = ongoing.get(key)
        if info is not None:
            before = list(info.get("replicas") or current.get(key, []))
            after = in_flight_target(info) or list(targets.get(key, []))
            changes.append(change_entry(key, before, after, adding=info.get("adding_replicas") or ()))
        else:
            changes.append(change_entry(key, current.get(key, []), targets[key]))
    return changes


def progress_line(step, total, bytes_done=None, bytes_total=None):
    """One readable progress line for a wave_step() result."""
    parts = [
        "%d/%d partitions done" % (len(step["done"]), total),
        "%d moving (%d submitted now)" % (len(step["moving"]), len(step["submit"])),
        "%d waiting" % len(step["waiting"]),
        "about %d wave(s) left" % step["waves_left"],
    ]
    if bytes_total:
        parts.append("%d of %d bytes copied" % (bytes_done or 0, bytes_total))
    busiest = max(step["load"].values()) if step["load"] else 0
    parts.append("busiest broker in %d movement(s)" % busiest)
    return ", ".join(parts)
