"""The quadratic rebalance planner the collection used before it indexed replicas by broker.

Kept here, not in plugins/, only as P7's baseline on the small shapes: each move
scans every partition, so it is exact but slow (27 s for 30 + 3 brokers, 20,000
partitions).
"""

from __future__ import annotations

from .collection import collection_planner

# The counting helpers did not change; only the planning below did.
_SHARED = collection_planner()
replica_counts = _SHARED.replica_counts
leader_counts = _SHARED.leader_counts
spread = _SHARED.spread
replica_targets = _SHARED.replica_targets


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
        raise ValueError("no target brokers to balance onto")
    rf_max = max((len(r) for r in assignment.values()), default=0)
    if rf_max > len(brokers):
        raise ValueError(f"a replication factor of {rf_max} needs at least {rf_max} brokers, only {len(brokers)} given")
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
            raise ValueError(f"could not find a replica of broker {src} to move")
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


def plan_target(current, brokers, sizes=None, balance_leadership=True):
    """The target assignment: replicas balanced with the least movement, then leaders spread."""
    brokers = sorted(set(brokers))
    target = balance_replicas(current, brokers, sizes)
    if balance_leadership:
        target = balance_leaders(target, brokers)
    return target
