"""P7: the rebalance planner on synthetic clusters, no Kafka needed.

Clusters are placed the way Kafka places new topics (rack-unaware: a random
start broker per topic, followers shifted round-robin), then brokers are added
and the collection's plan_reassignment() spreads them.
"""

from __future__ import annotations

import random
import time

from .collection import collection_planner


def kafka_placement(partitions: int, rf: int, brokers: list[int], rng: random.Random) -> list[list[int]]:
    """Kafka's rack-unaware replica assignment for one new topic."""
    n = len(brokers)
    start = rng.randrange(n)
    shift = rng.randrange(n)
    placed = []
    for p in range(partitions):
        if p > 0 and p % n == 0:
            shift += 1
        first = (start + p) % n
        replicas = [brokers[first]]
        for j in range(rf - 1):
            replicas.append(brokers[(first + 1 + (shift + j) % (n - 1)) % n])
        placed.append(replicas)
    return placed


# Partition counts per topic: mostly small topics, a few large ones.
TOPIC_SIZES = (1, 3, 6, 6, 12, 12, 24, 50, 100, 200, 500)


def synthetic_cluster(brokers: int, partitions: int, rf: int = 3, seed: int = 7) -> dict:
    """{(topic, partition): replicas} with `partitions` partitions over brokers 1..`brokers`."""
    rng = random.Random(seed)  # noqa: S311 - reproducible synthetic layout
    ids = list(range(1, brokers + 1))
    current: dict = {}
    topic = 0
    while len(current) < partitions:
        count = min(rng.choice(TOPIC_SIZES), partitions - len(current))
        for p, replicas in enumerate(kafka_placement(count, min(rf, brokers), ids, rng)):
            current[(f"topic-{topic:05d}", p)] = replicas
        topic += 1
    return current


def lower_bound(current: dict, brokers: list[int]) -> int:
    """Fewest replica moves that leave every broker of `brokers` within one of the others.

    Quotas are total // n, and total % n brokers get one more; giving the extra ones
    to the fullest brokers moves least. Every replica above its broker's quota (all of
    a broker outside `brokers`) must move, and one move removes one such replica.
    """
    counts = dict.fromkeys(brokers, 0)
    retired = 0
    for replicas in current.values():
        for b in replicas:
            if b in counts:
                counts[b] += 1
            else:
                retired += 1
    total = sum(counts.values()) + retired
    base, extra = divmod(total, len(brokers))
    fullest = sorted(counts.values(), reverse=True)
    return retired + sum(max(0, c - base - (1 if i < extra else 0)) for i, c in enumerate(fullest))


def moved_replicas(current: dict, target: dict) -> int:
    return sum(len(set(target[k]) - set(current[k])) for k in current)


def topic_off_share(assignment: dict, brokers: list[int]) -> int:
    """How far the worst (topic, broker) count lies outside floor..ceil of the topic's fair share."""
    per_topic: dict = {}
    for (topic, _p), replicas in assignment.items():
        counts = per_topic.setdefault(topic, {})
        for b in replicas:
            counts[b] = counts.get(b, 0) + 1
    worst = 0
    for counts in per_topic.values():
        total = sum(counts.values())
        low, high = total // len(brokers), -(-total // len(brokers))
        worst = max(worst, *(max(counts.get(b, 0) - high, low - counts.get(b, 0)) for b in brokers))
    return worst


# (label, brokers before, brokers after, partitions): the three measured shapes,
# then 100 + 10 brokers at three sizes for the growth curve, then a decommission.
SHAPES = (
    ("6 + 1", 6, 7, 2_000),
    ("12 + 2", 12, 14, 6_000),
    ("30 + 3", 30, 33, 20_000),
    ("100 + 10", 100, 110, 1_000),
    ("100 + 10", 100, 110, 20_000),
    ("100 + 10", 100, 110, 200_000),
    ("110 - 10", 110, 100, 200_000),
)
GOAL_SHAPE = ("100 + 10", 200_000)
GOAL_SECONDS = 10.0
GOAL_RATIO = 1.01


def time_plan(plan, runs: int) -> tuple[list[float], list[float], object]:
    """Wall and CPU seconds of `runs` calls of plan(), and the last result."""
    wall, cpu, result = [], [], None
    for _run in range(runs):
        w0, c0 = time.perf_counter(), time.process_time()
        result = plan()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return wall, cpu, result


def p7(runs: int = 3, baseline_up_to: int = 6_000, shapes=SHAPES) -> dict:
    """Plan every shape `runs` times with the collection's planner; the quadratic planner of
    before (planner_baseline) plans the shapes of up to `baseline_up_to` partitions once
    beside it, for the speed-up and to compare the replicas moved."""
    from . import planner_baseline  # imports the collection as it loads: only P7 needs it
    from .stats import summary

    reassignment = collection_planner()
    rows = []
    for label, before, after, partitions in shapes:
        current = synthetic_cluster(before, partitions)
        brokers = list(range(1, after + 1))
        print(f"   P7 {label} brokers, {partitions:,} partitions", flush=True)
        wall, cpu, plan = time_plan(lambda: reassignment.plan_reassignment(current, brokers), runs)  # noqa: B023
        target = plan["target"]
        bound = lower_bound(current, brokers)
        moved = moved_replicas(current, target)
        row = {
            "shape": label,
            "partitions": partitions,
            "wall_s": summary(wall),
            "cpu_s": summary(cpu),
            "moved": moved,
            "bound": bound,
            "ratio": moved / bound if bound else 1.0,
            "replica_spread": reassignment.spread(reassignment.replica_counts(target, brokers), brokers),
            "leader_spread": reassignment.spread(reassignment.leader_counts(target, brokers), brokers),
            "topic_off_share": topic_off_share(target, brokers),
        }
        if partitions <= baseline_up_to:
            base_wall, base_cpu, base_target = time_plan(lambda: planner_baseline.plan_target(current, brokers), 1)  # noqa: B023
            row["baseline"] = {
                "wall_s": base_wall[0],
                "cpu_s": base_cpu[0],
                "moved": moved_replicas(current, base_target),
                "topic_off_share": topic_off_share(base_target, brokers),
            }
            row["speedup"] = base_cpu[0] / row["cpu_s"]["median"] if row["cpu_s"]["median"] else float("nan")
        rows.append(row)
    goal = next((r for r in rows if (r["shape"], r["partitions"]) == GOAL_SHAPE), rows[-1])
    return {
        "id": "P7",
        "measure": "plan_reassignment on a synthetic 100 + 10 broker cluster, 200,000 partitions (RF 3): "
        "seconds, and replicas moved ÷ lower bound",
        "goal": f"≤ {GOAL_SECONDS:.0f} s, ≤ {GOAL_RATIO}",
        "plan_s": goal["wall_s"],
        "ratio_goal": goal["ratio"],
        "pass": goal["wall_s"]["median"] <= GOAL_SECONDS and goal["ratio"] <= GOAL_RATIO,
        "rows": rows,
    }


def table(result: dict) -> str:
    """The growth curve: one line per shape."""
    from .report import table as markdown
    from .stats import fmt, mmm

    head = [
        "Brokers",
        "Partitions",
        "Plan s, median (min–max)",
        "CPU s",
        "Moved",
        "Lower bound",
        "Moved ÷ bound",
        "Spread replicas / leaders; topic off share",
        "Quadratic planner before: s; moved; topic off share",
        "Speed-up (CPU)",
    ]
    lines = []
    for r in result["rows"]:
        base = r.get("baseline")
        lines.append(
            [
                r["shape"],
                f"{r['partitions']:,}",
                mmm(r["wall_s"], 2),
                fmt(r["cpu_s"]["median"], 2),
                f"{r['moved']:,}",
                f"{r['bound']:,}",
                f"{r['ratio']:.4f}",
                f"{r['replica_spread']} / {r['leader_spread']}; {r['topic_off_share']}",
                f"{fmt(base['wall_s'], 2)} s; {base['moved']:,}; {base['topic_off_share']}" if base else "not run",
                f"{r['speedup']:.0f}×" if base else "",
            ]
        )
    return markdown(lines, head)
