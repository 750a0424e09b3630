"""Pure planning logic of kafka_reassignment: balance within +-1, minimal movement, leaders spread, throttles."""

from __future__ import annotations

import itertools
import random

import pytest
from ansible_collections.kafkaops.kraft.plugins.module_utils.kafka_client import KafkaModuleError
from ansible_collections.kafkaops.kraft.plugins.module_utils.reassignment import (
    assignment_from_list,
    balance_leaders,
    balance_replicas,
    describe_plan,
    leader_counts,
    plan_reassignment,
    progress,
    replica_counts,
    spread,
    throttle_settings,
)


def seed_topic(partitions=6, brokers=(1, 2, 3), rf=3, name="test-topic"):
    """Kafka's round-robin placement, as `kafka-topics --create` on 3 brokers gives."""
    n = len(brokers)
    return {(name, p): [brokers[(p + i) % n] for i in range(rf)] for p in range(partitions)}


def moved_replicas(before, after):
    return sum(len(set(after[k]) - set(before[k])) for k in before)


def test_scale_out_3_to_4_balances_within_one_and_fills_new_broker():
    current = seed_topic()
    plan = plan_reassignment(current, [1, 2, 3, 4])
    counts = replica_counts(plan["target"], [1, 2, 3, 4])
    assert sorted(counts.values()) == [4, 4, 5, 5]
    assert counts[4] >= 4
    assert plan["balanced_after"]
    assert all(len(set(r)) == 3 for r in plan["target"].values())


def test_scale_out_moves_the_minimum_number_of_replicas():
    current = seed_topic()
    plan = plan_reassignment(current, [1, 2, 3, 4])
    # 18 replicas over 4 brokers: 5,5,4,4; broker 4 needs 4, nothing else has to move.
    assert moved_replicas(current, plan["target"]) == 4
    assert plan["replicas_to_move"] == 4


def test_already_balanced_topic_does_not_move():
    current = seed_topic()
    plan = plan_reassignment(current, [1, 2, 3])
    assert plan["changes"] == []
    assert plan["bytes_to_move"] == 0


def test_smallest_partitions_move_first():
    current = seed_topic()
    sizes = {("test-topic", p): (p + 1) * 1000 for p in range(6)}
    plan = plan_reassignment(current, [1, 2, 3, 4], sizes, balance_leadership=False)
    moved = sorted(c["partition"] for c in plan["changes"] if c["adding"])
    assert moved == [0, 1, 2, 3]
    assert plan["bytes_to_move"] == 1000 + 2000 + 3000 + 4000


def test_leaders_spread_within_one_after_scale_out():
    plan = plan_reassignment(seed_topic(partitions=12), [1, 2, 3, 4])
    leaders = leader_counts(plan["target"], [1, 2, 3, 4])
    assert spread(leaders, [1, 2, 3, 4]) <= 1
    assert leaders[4] == 3


def test_leader_balancing_moves_no_data():
    skewed = {("t", p): [1, 2, 3] for p in range(6)}
    balanced = balance_leaders(skewed, [1, 2, 3])
    assert all(sorted(balanced[k]) == sorted(skewed[k]) for k in skewed)
    assert leader_counts(balanced, [1, 2, 3]) == {1: 2, 2: 2, 3: 2}


def test_leader_balancing_uses_chains():
    # Broker 1 leads everything; broker 3 only shares partitions with broker 2.
    current = {("t", 0): [1, 2], ("t", 1): [1, 2], ("t", 2): [1, 2], ("t", 3): [2, 3], ("t", 4): [2, 3]}
    balanced = balance_leaders(current, [1, 2, 3])
    assert spread(leader_counts(balanced, [1, 2, 3]), [1, 2, 3]) <= 1


def test_retired_broker_is_emptied():
    current = seed_topic(brokers=(1, 2, 3, 4))
    plan = plan_reassignment(current, [1, 2, 3])
    counts = replica_counts(plan["target"], [1, 2, 3])
    assert 4 not in {b for r in plan["target"].values() for b in r}
    assert sorted(counts.values()) == [6, 6, 6]


def test_drained_broker_moves_through_a_full_broker_when_it_must():
    # Broker 4 is drained; its only partition already has a replica on broker 1, the
    # one broker below quota. The replica parks on broker 2 (or 3), which passes another on.
    current = {("t", 0): [4, 1], ("t", 1): [2, 3], ("t", 2): [2, 3]}
    plan = plan_reassignment(current, [1, 2, 3])
    assert replica_counts(plan["target"], [1, 2, 3]) == {1: 2, 2: 2, 3: 2}
    assert all(len(set(r)) == 2 for r in plan["target"].values())
    assert plan["replicas_to_move"] == 2


def test_plan_for_a_decommission_uses_only_the_remaining_brokers():
    current = seed_topic(partitions=30, brokers=(1, 2, 3, 4, 5), rf=3)
    plan = plan_reassignment(current, [1, 2, 4])
    assert {b for r in plan["target"].values() for b in r} == {1, 2, 4}
    assert sorted(replica_counts(plan["target"], [1, 2, 4]).values()) == [30, 30, 30]
    assert spread(leader_counts(plan["target"], [1, 2, 4]), [1, 2, 4]) == 0
    # Brokers 3 and 5 held 18 replicas each: all 36 move, nothing else does.
    assert plan["replicas_to_move"] == 36


def test_replication_factor_above_broker_count_is_refused():
    with pytest.raises(KafkaModuleError, match="needs at least 3 brokers"):
        balance_replicas(seed_topic(), [1, 2])


@pytest.mark.parametrize("seed", range(25))
def test_random_layouts_balance_and_keep_replicas_distinct(seed):
    rng = random.Random(seed)  # noqa: S311 - reproducible test layouts
    old = list(range(1, rng.randint(3, 6)))
    new = old + list(range(len(old) + 1, len(old) + 1 + rng.randint(0, 3)))
    current = {}
    for t, p in itertools.product(range(rng.randint(1, 3)), range(rng.randint(1, 20))):
        current[(f"t{t}", p)] = rng.sample(old, rng.randint(1, min(3, len(old))))
    plan = plan_reassignment(current, new, {k: rng.randint(0, 10**6) for k in current})
    target = plan["target"]
    counts = replica_counts(target, new)
    assert spread(counts, new) <= 1
    for key in current:
        assert len(target[key]) == len(current[key])
        assert len(set(target[key])) == len(target[key])
    # Minimal: the optimum gives the +1 quotas to the fullest brokers; only the
    # replicas above those quotas move, each once.
    total = sum(len(r) for r in current.values())
    base, extra = divmod(total, len(new))
    fullest_first = sorted(replica_counts(current, new).values(), reverse=True)
    optimum = sum(max(0, c - (base + (1 if i < extra else 0))) for i, c in enumerate(fullest_first))
    assert moved_replicas(current, target) == optimum


def test_throttles_cover_current_replicas_as_leaders_and_new_ones_as_followers():
    current = {("t", 0): [1, 2, 3]}
    target = {("t", 0): [4, 2, 3]}
    plan = describe_plan(current, target, [1, 2, 3, 4])
    brokers, topics = throttle_settings(plan["changes"])
    assert brokers == [1, 2, 3, 4]
    assert topics == {
        "t": {
            "leader.replication.throttled.replicas": "0:1,0:2,0:3",
            "follower.replication.throttled.replicas": "0:4",
        }
    }


def test_reorder_only_changes_need_no_throttle():
    plan = describe_plan({("t", 0): [1, 2, 3]}, {("t", 0): [2, 1, 3]}, [1, 2, 3])
    assert plan["changes"][0]["reorder_only"]
    assert plan["bytes_to_move"] == 0
    assert throttle_settings(plan["changes"]) == ([], {})


def test_progress_counts_done_only_when_placed_and_not_ongoing():
    targets = {("t", 0): [4, 2, 3], ("t", 1): [2, 4, 1]}
    current = {("t", 0): [4, 2, 3], ("t", 1): [2, 4, 1, 3]}
    done, pending = progress(targets, current, {("t", 1)})
    assert done == [("t", 0)]
    assert pending == [("t", 1)]


def test_assignment_input_is_validated():
    assert assignment_from_list([{"topic": "t", "partition": "0", "replicas": ["1", 2]}]) == {("t", 0): [1, 2]}
    with pytest.raises(KafkaModuleError, match="distinct"):
        assignment_from_list([{"topic": "t", "partition": 0, "replicas": [1, 1]}])
    with pytest.raises(KafkaModuleError, match="needs topic"):
        assignment_from_list([{"topic": "t"}])
