"""tools/timings.py: lanes run jobs side by side, stop starting new ones after a failure, and the summary
finds pytest's slowest tests in each job's log."""

from __future__ import annotations

import timings


def isolate(monkeypatch, tmp_path):
    monkeypatch.setattr(timings, "BUILD", tmp_path)
    monkeypatch.setattr(timings, "RECORD", tmp_path / "timings.tsv")
    monkeypatch.setattr(timings, "LOGS", tmp_path / "logs")
    monkeypatch.setattr(timings, "container_cpu", dict)  # the machine's real containers stay out of it
    monkeypatch.delenv(timings.IN_JOB, raising=False)  # the suite itself runs inside a timed job
    assert timings.main(["reset"]) == 0


def records(tmp_path):
    rows = [line.split("\t") for line in (tmp_path / "timings.tsv").read_text().splitlines()]
    return {row[0]: row[2] for row in rows if row[0] not in timings.CPU_ROWS}


def test_jobs_run_side_by_side_and_each_log_is_kept(monkeypatch, tmp_path, capsys):
    isolate(monkeypatch, tmp_path)
    # Each job waits for the other's file: they only finish if both run at once.
    jobs = [
        "a=touch a.up; for i in $(seq 50); do [ -e b.up ] && echo A-done && exit 0; sleep 0.1; done; exit 1",
        "b=touch b.up; for i in $(seq 50); do [ -e a.up ] && echo B-done && exit 0; sleep 0.1; done; exit 1",
    ]
    monkeypatch.chdir(tmp_path)
    assert timings.main(["lanes", "2", *jobs]) == 0
    assert records(tmp_path) == {"a": "0", "b": "0"}
    assert (tmp_path / "logs" / "a.log").read_text() == "A-done\n"
    out = capsys.readouterr().out
    assert "===== a: passed" in out and "B-done" in out


def test_a_failure_stops_new_jobs(monkeypatch, tmp_path):
    isolate(monkeypatch, tmp_path)
    assert timings.main(["lanes", "1", "first=exit 3", "second=true"]) == 1
    assert records(tmp_path) == {"first": "3", "second": "not started"}


def test_summary_lists_the_slowest_tests_of_each_log(monkeypatch, tmp_path, capsys):
    isolate(monkeypatch, tmp_path)
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "molecule-default.log").write_text(
        "noise\n"
        "============================= slowest 12 durations =============================\n"
        "164.20s call     tests/test_zzz_upgrade.py::test_upgrade_under_load\n"
        "90.01s call     tests/test_zx_monitoring.py::test_urp_alert\n"
        "\n"
        "(10 durations < 0.005s hidden.)\n"
    )
    timings.append("molecule default", 760, 0, timings.started_at() + 65)
    assert timings.main(["summary"]) == 0
    out = capsys.readouterr().out
    assert "molecule default   12m40s  start   1m05s" in out
    assert "== molecule-default: the 2 slowest tests ==\n164.20s call     tests/test_zzz_upgrade.py" in out


def test_slowest_tests_read_through_molecules_wrapped_box(tmp_path):
    log = tmp_path / "molecule-default.log"
    log.write_text(
        "  \u2502 ============================= slowest 12 durations\n"
        "  \u2502   =============================\n"
        "  \u2502 598.37s call    \n"
        "  \u2502   molecule/default/tests/test_zzz_upgrade.py::test_one_node_first_then_all_a\n"
        "  \u2502   nd_finalize_under_load\n"
        "  \u2502 69.29s call     molecule/default/tests/test_cluster.py::test_seed\n"
        "  \u2502 \n"
        "  \u2502 ======== 52 passed in 900s ========\n"
    )
    assert timings.slowest_tests(log) == [
        "598.37s call molecule/default/tests/test_zzz_upgrade.py::test_one_node_first_then_all_and_finalize_under_load",
        "69.29s call     molecule/default/tests/test_cluster.py::test_seed",
    ]


def test_summary_ends_with_what_the_failed_job_says(monkeypatch, tmp_path, capsys):
    isolate(monkeypatch, tmp_path)
    job = "integration=echo ok; echo 'FAILED tests/test_a.py::test_b - assert 1 == 2'; exit 1"
    assert timings.main(["lanes", "1", job]) == 1
    (tmp_path / "logs" / "molecule-secure.log").write_text(
        "  \u2502 ======== slowest 12 durations ========\n  \u2502 9.00s call     tests/test_x.py::test_y\n"
    )
    capsys.readouterr()
    assert timings.main(["summary"]) == 0
    out = capsys.readouterr().out
    heading, reason = out.rstrip().splitlines()[-2:]
    assert heading.startswith("== integration: FAILED (exit 1); the lines of ")
    assert heading.endswith("/logs/integration.log that say why ==")
    assert reason == "FAILED tests/test_a.py::test_b - assert 1 == 2"


def test_a_log_without_a_failure_line_shows_its_last_lines(tmp_path):
    log = tmp_path / "checks.log"
    log.write_text("\n".join(f"line {n}" for n in range(30)) + "\n\n")
    assert timings.failure_lines(log, limit=3) == ["line 27", "line 28", "line 29"]


STAT = "cpu  {user} 0 {system} {idle} {iowait} 0 0 0 0 0\ncpu0  1 2 3 4 5 6 7 8 9 10\n"


def test_busy_share_counts_iowait_as_idle():
    before = timings.cpu_ticks(STAT.format(user=100, system=50, idle=800, iowait=50))
    after = timings.cpu_ticks(STAT.format(user=250, system=100, idle=850, iowait=100))
    assert before == (150, 1000)
    assert timings.busy_percent(before, after) == 67  # 200 busy of 300 ticks
    assert timings.busy_percent(after, after) == 0


def test_the_summary_shows_how_busy_the_cores_were(monkeypatch, tmp_path, capsys):
    isolate(monkeypatch, tmp_path)
    ticks = iter([(0, 0), (90, 100), (140, 200), (140, 200)])
    monkeypatch.setattr(timings, "read_ticks", lambda: next(ticks))

    class TwoIntervals:
        waits = iter([False, False, True])

        def wait(self, _timeout):
            return next(self.waits)

    timings.sample_cpu(TwoIntervals(), 0)
    assert timings.summary() == 0
    out = capsys.readouterr().out
    assert "cores busy while the jobs ran: 70 % on average; per minute: 90 50\n" in out


def test_a_jobs_cpu_includes_its_children(monkeypatch, tmp_path):
    isolate(monkeypatch, tmp_path)
    burn = "python3 -c 'import time; end = time.process_time() + 1.2\nwhile time.process_time() < end: pass'"
    assert timings.main(["lanes", "1", f'burner=sh -c "{burn}"']) == 0
    rows = [line.split("\t") for line in (tmp_path / "timings.tsv").read_text().splitlines()]
    assert [row[1:] for row in rows if row[0] == timings.CPU_JOB] == [["burner", "1"]]


def test_cgroup_cpu_reads_both_cgroup_versions():
    assert timings.cgroup_seconds("2500000000\n", 1e-9) == 2.5
    assert timings.cgroup_seconds("usage_usec 1500000\nuser_usec 1000000\n", 1e-6) == 1.5


def test_summary_shows_cpu_by_job_and_by_network(monkeypatch, tmp_path, capsys):
    isolate(monkeypatch, tmp_path)
    timings.append("molecule default", 760, 0, timings.started_at() + 65)
    timings.append_cpu(timings.CPU_JOB, "molecule default", 300)
    timings.append_cpu(timings.CPU_HOSTS, "kraft-molecule-default", 900)
    timings.append_cpu(timings.CPU_STEP, "lint", 60)  # inside a job: shown, not counted twice
    assert timings.main(["summary"]) == 0
    out = capsys.readouterr().out
    assert "molecule default     5.0" in out
    assert "hosts on kraft-molecule-default    15.0" in out
    assert "of which lint" in out
    assert "all of the above    20.0" in out


def test_steps_timed_inside_a_job_record_their_cpu_as_part_of_it(monkeypatch, tmp_path):
    isolate(monkeypatch, tmp_path)
    assert timings.main(["lanes", "1", f"outer=echo ${timings.IN_JOB}"]) == 0
    assert (tmp_path / "logs" / "outer.log").read_text() == "1\n"  # what a `timings run` in the job sees
    monkeypatch.setenv(timings.IN_JOB, "1")
    assert timings.main(["run", "inner", "--", "true"]) == 0
    rows = [line.split("\t") for line in (tmp_path / "timings.tsv").read_text().splitlines()]
    assert {row[1]: row[0] for row in rows if row[0].startswith("cpu-") and row[0] != timings.CPU_BUSY} == {
        "outer": timings.CPU_JOB,
        "inner": timings.CPU_STEP,
    }
