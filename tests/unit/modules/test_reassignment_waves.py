"""Waves of kafka_reassignment's step operation, against a simulated cluster.

The simulated cluster answers as Kafka does: describe_topics lists the target
replicas followed by those still being removed while a partition moves, and
list_partition_reassignments lists replicas, adding_replicas and
removing_replicas. Movements take a random number of ticks.
"""

from __future__ import annotations

import math
import random

import pytest
from ansible_collections.kafkaops.kraft.plugins.module_utils.kafka_client import KafkaModuleError
from ansible_collections.kafkaops.kraft.plugins.module_utils.reassignment import (
    plan_reassignment,
    replica_counts,
    spread,
    throttle_settings,
)
from ansible_collections.kafkaops.kraft.plugins.module_utils.waves import (
    broker_load,
    check_limit,
    in_flight_target,
    movement_brokers,
    plan_waves,
    progress_line,
    schedule,
    select_wave,
    settled_assignment,
    wave_changes,
    wave_step,
)


def seed_topic(partitions=6, brokers=(1, 2, 3), rf=3, name="test-topic"):
    n = len(brokers)
    return {(name, p): [brokers[(p + i) % n] for i in range(rf)] for p in range(partitions)}


def random_cluster(rng, brokers, topics=4, rf=3):
    current = {}
    for t in range(topics):
        for p in range(rng.randint(1, 12)):
            current[(f"t{t}", p)] = rng.sample(brokers, rf)
    return current


class FakeCluster:
    """Partitions, reassignments in progress and their remaining ticks."""

    def __init__(self, assignment, rng=None, max_ticks=3):
        self.placed = dict((k, list(v)) for k, v in assignment.items())
        self.moving = {}  # key -> [target, ticks left]
        self.rng = rng or random.Random(0)  # noqa: S311 - reproducible test layouts
        self.max_ticks = max_ticks
        self.submissions = []  # (key, replicas added)
        self.peak = {}

    def ongoing(self):
        result = {}
        for key, (target, _ticks) in self.moving.items():
            before = self.placed[key]
            removing = [b for b in before if b not in target]
            result[key] = dict(
                replicas=list(target) + removing,
                adding_replicas=[b for b in target if b not in before],
                removing_replicas=removing,
            )
        return result

    def describe(self):
        current = dict((k, list(v)) for k, v in self.placed.items())
        for key, info in self.ongoing().items():
            current[key] = info["replicas"]
        return current

    def submit(self, targets):
        for key, target in targets.items():
            assert key not in self.moving, "a partition in progress was submitted again"
            before = self.placed[key]
            self.submissions.append((key, len(set(target) - set(before))))
            if set(target) == set(before):
                self.placed[key] = list(target)  # a reorder completes at once
            else:
                self.moving[key] = [list(target), self.rng.randint(1, self.max_ticks)]
        for broker, count in broker_load(self.ongoing()).items():
            self.peak[broker] = max(self.peak.get(broker, 0), count)

    def tick(self):
        for key in list(self.moving):
            self.moving[key][1] -= 1
            if self.moving[key][1] <= 0:
                self.placed[key] = self.moving.pop(key)[0]


def run_waves(cluster, targets, limit, max_steps=10000, stop_after=None):
    """The playbook's loop: step, then a poll delay (a tick), until complete."""
    steps = 0
    while True:
        step = wave_step(targets, cluster.describe(), cluster.ongoing(), limit)
        assert all(n <= limit for n in step["load"].values()), step["load"]
        if len(step["done"]) == len(targets) and not cluster.moving:
            return steps
        cluster.submit(dict((k, targets[k]) for k in step["submit"]))
        assert all(n <= limit for n in broker_load(cluster.ongoing()).values())
        cluster.tick()
        steps += 1
        if stop_after is not None and steps >= stop_after:
            return steps
        assert steps < max_steps, "the wave loop does not finish"


def targets_of(plan):
    return dict(((c["topic"], c["partition"]), c["target"]) for c in plan["changes"])


# --- the limit ------------------------------------------------------------------


@pytest.mark.parametrize("limit", [0, -1, -5, None, "two", 1.5])
def test_limit_below_one_or_not_a_number_is_refused_with_a_clear_message(limit):
    with pytest.raises(KafkaModuleError, match="max_moves_per_broker must be a whole number of 1 or more"):
        check_limit(limit)
    with pytest.raises(KafkaModuleError, match="1 or more"):
        wave_step({}, {}, {}, limit)


def test_limit_one_and_above_are_accepted():
    assert check_limit(1) == 1
    assert check_limit(5) == 5


@pytest.mark.parametrize("limit", [1, 2, 3, 5])
@pytest.mark.parametrize("seed", range(8))
def test_limit_is_never_exceeded_and_every_move_is_submitted_once(limit, seed):
    rng = random.Random(seed)  # noqa: S311 - reproducible test layouts
    start = random_cluster(rng, [1, 2, 3, 4, 5], topics=5)
    plan = plan_reassignment(start, [1, 2, 3, 4, 5, 6, 7])
    targets = targets_of(plan)
    cluster = FakeCluster(start, rng, max_ticks=4)
    run_waves(cluster, targets, limit)
    assert cluster.placed == plan["target"]
    assert sorted(k for k, _n in cluster.submissions) == sorted(targets)  # each exactly once
    assert max(cluster.peak.values(), default=0) <= limit


def test_scale_out_3_to_4_with_limit_2_moves_two_at_a_time_onto_the_new_broker():
    start = seed_topic()
    plan = plan_reassignment(start, [1, 2, 3, 4])
    targets = targets_of(plan)
    moving = [k for k in targets if movement_brokers(start[k], targets[k])]
    assert len(moving) == 4  # every one of them adds a replica on broker 4
    step = wave_step(targets, start, {}, 2)
    assert len([k for k in step["submit"] if k in moving]) == 2
    assert step["load"][4] == 2
    assert step["waves_left"] == 2
    cluster = FakeCluster(start, max_ticks=1)
    run_waves(cluster, targets, 2)
    assert cluster.peak[4] == 2
    assert cluster.placed == plan["target"]


def test_limit_1_moves_one_partition_per_broker_at_a_time():
    start = seed_topic()
    targets = targets_of(plan_reassignment(start, [1, 2, 3, 4]))
    cluster = FakeCluster(start, max_ticks=1)
    steps = run_waves(cluster, targets, 1)
    assert max(cluster.peak.values()) == 1
    assert steps >= 4  # broker 4 gains 4 replicas, one at a time


# --- what the cluster reports ------------------------------------------------------


def test_moves_already_in_progress_are_counted_and_not_submitted_again():
    start = seed_topic()
    targets = targets_of(plan_reassignment(start, [1, 2, 3, 4]))
    cluster = FakeCluster(start, max_ticks=100)
    first = sorted(k for k in targets if movement_brokers(start[k], targets[k]))[:2]
    cluster.submit(dict((k, targets[k]) for k in first))
    step = wave_step(targets, cluster.describe(), cluster.ongoing(), 2)
    assert sorted(step["moving"]) == first
    assert not any(movement_brokers(start[k], targets[k]) for k in step["submit"])  # broker 4 is full
    assert len(step["waiting"]) == 2
    assert step["load"][4] == 2


def test_a_move_whose_brokers_are_saturated_waits_and_others_go():
    # Broker 4 is busy with two movements of another topic; the limit is 2.
    foreign = {
        ("other", 0): dict(replicas=[4, 1, 2], adding_replicas=[4], removing_replicas=[2]),
        ("other", 1): dict(replicas=[4, 3, 1], adding_replicas=[4], removing_replicas=[1]),
    }
    current = {("t", 0): [1, 2], ("t", 1): [2, 3], ("t", 2): [1, 3]}
    targets = {("t", 0): [4, 2], ("t", 1): [5, 3], ("t", 2): [3, 1]}
    step = wave_step(targets, current, foreign, 2)
    # t-0 needs broker 4 (full) and waits; t-1 (2 -> 5) goes; t-2 is a reorder and goes.
    assert step["waiting"] == [("t", 0)]
    assert step["submit"] == [("t", 1), ("t", 2)]
    assert step["load"] == {1: 1, 2: 2, 4: 2, 5: 1}
    assert step["waves_left"] == 2


def test_a_reorder_counts_against_no_broker():
    assert movement_brokers([1, 2, 3], [3, 2, 1]) == frozenset()
    keys, load = select_wave({("t", 0): frozenset(), ("t", 1): frozenset({1, 4})}, {1: 1, 4: 1}, 1)
    assert keys == [("t", 0)]
    assert load == {1: 1, 4: 1}


def test_done_only_when_placed_and_no_longer_moving():
    targets = {("t", 0): [4, 2, 3]}
    ongoing = {("t", 0): dict(replicas=[4, 2, 3, 1], adding_replicas=[4], removing_replicas=[1])}
    assert wave_step(targets, {("t", 0): [4, 2, 3, 1]}, ongoing, 1)["moving"] == [("t", 0)]
    assert wave_step(targets, {("t", 0): [4, 2, 3]}, {}, 1)["done"] == [("t", 0)]
    # Placed with the replicas but in another order: a reorder is still to submit.
    assert wave_step(targets, {("t", 0): [2, 4, 3]}, {}, 1)["submit"] == [("t", 0)]


def test_idle_cluster_always_submits_at_least_one_move():
    rng = random.Random(3)  # noqa: S311 - reproducible test layouts
    for _attempt in range(50):
        brokers = rng.sample(range(1, 10), 4)
        moves = dict((("t", p), frozenset(rng.sample(brokers, rng.randint(1, 4)))) for p in range(rng.randint(1, 20)))
        keys, _load = select_wave(moves, {}, 1)
        assert keys


# --- resuming ------------------------------------------------------------------------


def test_settled_assignment_puts_moving_partitions_at_their_in_flight_target():
    current = {("t", 0): [4, 2, 3, 1], ("t", 1): [1, 2, 3]}
    ongoing = {("t", 0): dict(replicas=[4, 2, 3, 1], adding_replicas=[4], removing_replicas=[1])}
    assert in_flight_target(ongoing[("t", 0)]) == [4, 2, 3]
    assert settled_assignment(current, ongoing) == {("t", 0): [4, 2, 3], ("t", 1): [1, 2, 3]}


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("interrupt_after", [1, 2, 3])
def test_an_interrupted_run_resumes_from_the_cluster_state(seed, interrupt_after):
    """Run, stop, forget everything, re-plan from what the cluster reports, finish.

    No replica is copied twice or moved back, and the result is as balanced as
    an uninterrupted run.
    """
    rng = random.Random(seed)  # noqa: S311 - reproducible test layouts
    brokers = [1, 2, 3, 4, 5, 6]
    start = random_cluster(rng, [1, 2, 3, 4], topics=4)
    first_plan = plan_reassignment(start, brokers)
    cluster = FakeCluster(start, rng, max_ticks=5)
    run_waves(cluster, targets_of(first_plan), 2, stop_after=interrupt_after)

    # A new run: the same planner on the settled state; in-flight moves are left alone.
    ongoing = cluster.ongoing()
    resumed_plan = plan_reassignment(settled_assignment(cluster.describe(), ongoing), brokers)
    resumed = targets_of(resumed_plan)
    # A replica being added is kept: the new plan does not undo a movement in flight.
    for key, info in ongoing.items():
        assert set(info["adding_replicas"]) <= set(resumed.get(key, in_flight_target(info)))
    waves, count = plan_waves(resumed_plan["changes"], 2, ongoing)
    assert count == max(waves.values(), default=1 if ongoing else 0)
    run_waves(cluster, resumed, 2)

    final = cluster.placed
    counts = replica_counts(final, brokers)
    assert spread(counts, brokers) <= 1
    assert max(cluster.peak.values(), default=0) <= 2
    # Replicas copied over both runs = what one uninterrupted plan copies.
    copied = sum(n for _k, n in cluster.submissions)
    assert copied == first_plan["replicas_to_move"]
    assert copied == sum(len(set(final[k]) - set(start[k])) for k in start)


def test_resume_with_only_moves_in_flight_waits_for_them():
    start = seed_topic()
    plan = plan_reassignment(start, [1, 2, 3, 4])
    cluster = FakeCluster(start, max_ticks=1)
    targets = targets_of(plan)
    moving = sorted(k for k in targets if movement_brokers(start[k], targets[k]))
    cluster.submit(dict((k, targets[k]) for k in moving))
    cluster.submit(dict((k, targets[k]) for k in targets if k not in moving))
    resumed = plan_reassignment(settled_assignment(cluster.describe(), cluster.ongoing()), [1, 2, 3, 4])
    assert resumed["changes"] == []  # the settled state is the target
    step = wave_step({}, cluster.describe(), cluster.ongoing(), 2)
    assert step["submit"] == [] and step["done"] == []
    cluster.tick()
    assert cluster.ongoing() == {}


# --- estimates, throttles, progress -------------------------------------------------------


@pytest.mark.parametrize(("limit", "waves"), [(1, 4), (2, 2), (3, 2), (4, 1), (5, 1)])
def test_scale_out_3_to_4_waves_per_limit(limit, waves):
    plan = plan_reassignment(seed_topic(), [1, 2, 3, 4])
    numbers, count = plan_waves(plan["changes"], limit)
    assert count == waves
    assert sorted(numbers) == sorted((c["topic"], c["partition"]) for c in plan["changes"])


def test_schedule_stays_close_to_the_lower_bound_on_a_scale_out():
    rng = random.Random(7)  # noqa: S311 - reproducible test layouts
    start = random_cluster(rng, list(range(1, 11)), topics=30)
    plan = plan_reassignment(start, list(range(1, 13)))
    moves = dict(((c["topic"], c["partition"]), movement_brokers(c["current"], c["target"])) for c in plan["changes"])
    degree = {}
    for brokers in moves.values():
        for b in brokers:
            degree[b] = degree.get(b, 0) + 1
    for limit in (1, 2, 5):
        waves = schedule(moves, limit)
        # No schedule beats the busiest broker's movements / limit; greedy stays within 10 %.
        bound = math.ceil(max(degree.values()) / limit)
        assert bound <= len(waves) <= bound + max(1, bound // 10)
        assert sorted(k for w in waves for k in w) == sorted(moves)
        for wave in waves:
            load = {}
            for key in wave:
                for b in moves[key]:
                    load[b] = load.get(b, 0) + 1
            assert max(load.values()) <= limit


def test_a_wave_in_progress_counts_as_the_first():
    ongoing = {("t", 9): dict(replicas=[4, 1], adding_replicas=[4], removing_replicas=[2])}
    assert len(schedule({}, 2, broker_load(ongoing))) == 1
    assert schedule({("t", 0): frozenset({4, 3})}, 1, broker_load(ongoing)) == [[], [("t", 0)]]


def test_throttles_cover_what_is_still_added_including_in_flight_moves():
    targets = {("t", 0): [4, 2, 3], ("t", 1): [4, 3, 1]}
    current = {("t", 0): [4, 2, 3, 1], ("t", 1): [2, 3, 1]}
    ongoing = {("t", 0): dict(replicas=[4, 2, 3, 1], adding_replicas=[4], removing_replicas=[1])}
    brokers, topics = throttle_settings(wave_changes(targets, targets, current, ongoing))
    assert brokers == [1, 2, 3, 4]
    assert topics["t"]["follower.replication.throttled.replicas"] == "0:4,1:4"
    assert topics["t"]["leader.replication.throttled.replicas"] == "0:4,0:2,0:3,0:1,1:2,1:3,1:1"


def test_progress_line_reports_partitions_waves_and_bytes():
    start = seed_topic()
    targets = targets_of(plan_reassignment(start, [1, 2, 3, 4]))
    step = wave_step(targets, start, {}, 2)
    line = progress_line(step, len(targets), 0, 4096)
    assert line.startswith(f"0/{len(targets)} partitions done")
    assert "about 2 wave(s) left" in line
    assert "0 of 4096 bytes copied" in line
    assert "busiest broker in 2 movement(s)" in line
