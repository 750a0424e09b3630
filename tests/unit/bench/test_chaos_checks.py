"""`python -m kafkaops_bench chaos`: which checks run, in which order, and how they are reported."""

from __future__ import annotations

import pytest
from kafkaops_bench import __main__ as entry
from kafkaops_bench import chaos, lab, report


def test_r1k_runs_right_after_r1_and_every_check_has_its_function():
    assert entry.CHECKS[entry.CHECKS.index("R1") + 1] == "R1k"
    assert all(callable(getattr(chaos, name.lower())) for name in entry.CHECKS)


@pytest.mark.parametrize(("only", "ran"), [("", ["R1", "R1k", "R2"]), ("r1k", ["R1k"]), ("R1K,r1", ["R1", "R1k"])])
def test_chaos_selects_and_reports_r1k_like_the_others(monkeypatch, tmp_path, only, ran):
    calls, written = [], {}

    def fake(name):
        def check(args):
            calls.append(name)
            return chaos._result(name, f"{name} guarantee", True, f"{name} figures")

        return check

    def write(kind, meta, results, table):
        written.update(kind=kind, results=results)
        (tmp_path / "chaos.md").write_text(table)
        return tmp_path / "chaos.md"

    monkeypatch.setattr(entry, "CHECKS", ("R1", "R1k", "R2"))
    for name in ("R1", "R1k", "R2"):
        monkeypatch.setattr(chaos, name.lower(), fake(name))
    monkeypatch.setattr(lab, "ensure_up", lambda: None)
    monkeypatch.setattr(report, "write", write)
    assert entry.main(["chaos", *(["--only", only] if only else [])]) == 0
    assert calls == ran and [r["id"] for r in written["results"]] == ran
    rows = (tmp_path / "chaos.md").read_text().splitlines()[2:]
    assert [row.split(" | ")[0] for row in rows] == [f"| {name}" for name in ran]
    assert ("| R1k | R1k guarantee | R1k figures | pass |" in rows) == ("R1k" in ran)
