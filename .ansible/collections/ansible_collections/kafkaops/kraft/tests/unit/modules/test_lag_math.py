"""Lag arithmetic of kafka_consumer_lag."""

from __future__ import annotations

from ansible_collections.kafkaops.kraft.plugins.module_utils.lag import compute_lag, lag_gate, member_topics

KEYS = [("t", 0), ("t", 1), ("u", 0)]
END = {("t", 0): 12, ("t", 1): 8, ("u", 0): 5}
START = {("t", 0): 0, ("t", 1): 2, ("u", 0): 0}


def test_lag_is_end_minus_committed():
    result = compute_lag(KEYS, {("t", 0): 5, ("t", 1): 8, ("u", 0): 1}, END, START)
    assert [r["lag"] for r in result["partitions"]] == [7, 0, 4]
    assert result["topics"]["t"] == dict(lag=7, partitions=2, committed_partitions=2, log_end_offset=20)
    assert result["topics"]["u"]["lag"] == 4
    assert result["total_lag"] == 11


def test_uncommitted_partitions():
    earliest = compute_lag(KEYS, {("t", 0): 5, ("t", 1): -1}, END, START)
    rows = {(r["topic"], r["partition"]): r for r in earliest["partitions"]}
    assert rows[("t", 1)]["committed_offset"] is None
    assert rows[("t", 1)]["lag"] == 6  # 8 - log start 2
    assert rows[("u", 0)]["lag"] == 5
    assert earliest["topics"]["t"]["committed_partitions"] == 1
    latest = compute_lag(KEYS, {("t", 0): 5}, END, START, uncommitted="latest")
    assert latest["total_lag"] == 7


def test_commit_beyond_log_end_is_not_negative():
    assert compute_lag([("t", 0)], {("t", 0): 20}, {("t", 0): 12}, {("t", 0): 0})["total_lag"] == 0


def test_empty():
    assert compute_lag([], {}, {}, {}) == dict(partitions=[], topics={}, total_lag=0)


def test_lag_gate():
    assert lag_gate(10, None) is None
    assert lag_gate(10, 10) is None
    assert lag_gate(11, 10) == "consumer lag 11 is above the limit of 10"
    assert lag_gate(1, 0) == "consumer lag 1 is above the limit of 0"


def test_member_topics():
    members = [
        {"member_assignment": {"assigned_partitions": [{"topic": "a", "partitions": [0]}]}},
        {"member_assignment": {"assigned_partitions": [{"topic": "b", "partitions": [1]}]}},
        {"member_assignment": b"undecodable"},
    ]
    assert member_topics(members) == {"a", "b"}
