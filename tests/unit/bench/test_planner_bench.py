"""bench/kafkaops_bench/planner.py: P7's synthetic clusters and lower bound, on small shapes."""

from __future__ import annotations

from kafkaops_bench import planner, planner_baseline
from kafkaops_bench.collection import collection_planner


def test_synthetic_cluster_places_like_kafka():
    current = planner.synthetic_cluster(6, 500)
    assert len(current) == 500
    assert all(len(set(r)) == 3 and set(r) <= set(range(1, 7)) for r in current.values())
    counts = collection_planner().replica_counts(current, range(1, 7))
    assert max(counts.values()) - min(counts.values()) <= 0.1 * 1500 / 6  # Kafka's placement is near even


def test_lower_bound_counts_replicas_above_the_quotas_and_on_drained_brokers():
    current = {("t", 0): [1, 2], ("t", 1): [1, 2], ("t", 2): [1, 3]}
    # 6 replicas on 4 brokers: quotas 2, 2, 1, 1 with the extra ones on 1 and 2.
    assert planner.lower_bound(current, [1, 2, 3, 4]) == 1
    # Broker 3 drained: its replica moves, and nothing else has to (3 and 3 after).
    assert planner.lower_bound(current, [1, 2]) == 1
    assert planner.lower_bound(current, [1, 2, 3]) == 1


def test_p7_small_shapes_meet_the_bound_and_beat_the_old_planner():
    shapes = (("6 + 1", 6, 7, 300), ("100 + 10", 100, 110, 1_000), ("6 - 1", 6, 5, 300))
    result = planner.p7(runs=1, baseline_up_to=300, shapes=shapes)
    rows = result["rows"]
    assert [r["ratio"] for r in rows] == [1.0, 1.0, 1.0]
    assert all(r["replica_spread"] <= 1 and r["leader_spread"] <= 1 for r in rows)
    assert rows[0]["baseline"]["moved"] == rows[0]["moved"]
    assert "baseline" not in rows[1]
    table = planner.table(result)
    assert table.count("\n") == 2 + len(rows) - 1
    assert "| 6 + 1 | 300 |" in table


def test_baseline_is_the_old_quadratic_planner():
    current = planner.synthetic_cluster(3, 60)
    target = planner_baseline.plan_target(current, [1, 2, 3, 4])
    assert planner.moved_replicas(current, target) == planner.lower_bound(current, [1, 2, 3, 4])
