"""tools/process_cpu.py reads the kernel's acct_v3 records and sums CPU by command and by its parents."""

from __future__ import annotations

import process_cpu


def record(pid, ppid, comm, cpu_ticks, started=1000, elapsed_ticks=500, version=3):
    """One acct_v3 record; CPU in ticks (small values: comp_t's exponent stays 0)."""
    return process_cpu.ACCT_V3.pack(
        0,
        version,
        0,
        0,
        0,
        0,
        pid,
        ppid,
        started,
        float(elapsed_ticks),
        cpu_ticks,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        comm.encode(),
    )


def test_comp_t_scales_by_powers_of_eight():
    assert process_cpu.comp_t(100) == 100
    assert process_cpu.comp_t((1 << 13) | 100) == 800
    assert process_cpu.comp_t((2 << 13) | 3) == 192


def test_records_become_processes_with_seconds():
    (process,) = process_cpu.parse(record(7, 1, "python3", 25))
    assert (process.pid, process.ppid, process.comm, process.cpu, process.elapsed) == (7, 1, "python3", 0.25, 5.0)


def test_records_of_another_version_are_skipped():
    assert process_cpu.parse(record(7, 1, "x", 1, version=2) + record(8, 1, "y", 1)) == [
        process_cpu.Process(8, 1, 1000, 5.0, 0.01, "y")
    ]


def test_a_reused_pid_is_matched_to_the_parent_alive_at_the_childs_start():
    data = (
        record(10, 1, "old-parent", 1, started=1000, elapsed_ticks=100)  # ended at 1001
        + record(10, 1, "sshd", 1, started=2000, elapsed_ticks=1000)
        + record(11, 10, "python3", 20, started=2005)
    )
    named = dict((p.comm, key) for p, key in process_cpu.chains(process_cpu.parse(data), depth=2))
    assert named["python3"] == "python3 < sshd"


def test_report_sums_by_command_and_by_chain():
    data = record(10, 1, "sh", 1) + record(11, 10, "java", 150) + record(12, 10, "java", 50)
    text = process_cpu.report(process_cpu.parse(data), depth=1)
    assert "3 processes, 0.0 core-minutes" in text
    assert "       2    1.00  java\n" in text
    assert "java < sh" in text
