"""bench/kafkaops_bench: the arithmetic behind the published figures."""

from __future__ import annotations

import math

from kafkaops_bench import load, report, stats


def test_summary_is_min_median_max_over_runs():
    s = stats.summary([3.0, 1.0, 2.0])
    assert (s["n"], s["min"], s["median"], s["max"]) == (3, 1.0, 2.0, 3.0)
    assert math.isnan(stats.summary([])["median"])


def test_percentile_is_nearest_rank():
    values = list(range(1, 101))
    assert stats.percentile(values, 50) == 50
    assert stats.percentile(values, 99) == 99
    assert stats.percentile([7.0], 99) == 7.0


def test_ratios_pair_each_run_with_its_own_baseline():
    assert stats.ratios([50, 60], [100, 200]) == [0.5, 0.3]
    assert math.isnan(stats.ratios([1], [0])[0])


def test_table_cell_and_markdown():
    assert stats.mmm(stats.summary([0.5, 0.4, 0.6])) == "0.50 (0.40\u20130.60)"
    assert stats.mmm(stats.summary([12345.0]), 0) == "12,345"
    assert stats.fmt(0.0023) == "0.0023"  # a small ratio keeps its digits
    assert report.table([["P1", "0.5"]], ["#", "ratio"]).splitlines() == ["| # | ratio |", "|---|---|", "| P1 | 0.5 |"]


def test_json_bodies_have_the_requested_size():
    assert len(load.json_doc(1024)) == 1024
    body = load.batch_body(3, 1024)
    assert body.startswith(b"[") and body.count(b'"pad"') == 3
