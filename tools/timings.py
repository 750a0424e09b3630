"""Per-step wall times for `make test`, so a change can see what it costs.

    python3 tools/timings.py reset                        start a new record
    python3 tools/timings.py run STEP -- CMD ...          run CMD, pass its output through, record its time
    python3 tools/timings.py lanes N 'JOB=CMD' ...        run the jobs N at a time, in the order given
    python3 tools/timings.py summary                      print the record as a table, then the slowest tests

For a Molecule run, each phase (create, converge, idempotence, verify, ...) is
recorded as well, from the "➜ phase: Executing/Executed" lines Molecule prints.
The record is build/timings.tsv: step, seconds, exit code, start (seconds after reset).

`lanes` runs each job's shell command with its output in build/logs/JOB.log,
prints that log whole when the job ends, and a line as each job and phase starts.
After a failure no new job starts; the running ones finish. `summary` then lists
the slowest tests pytest listed (--durations) in each log, and ends with what
each failed job's log says went wrong, so the last lines of a run name the failure.
While the jobs run, the share of the machine's cores that was busy is sampled each
minute: a run the cores bound shows near 100 %, a run that waits shows less. Where
that CPU went is recorded too: each job's own processes (Molecule, Ansible, pytest),
and the containers, summed by podman network (one per scenario), since a scenario's
hosts run outside its job's process tree.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

BUILD = Path(__file__).resolve().parents[1] / "build"
RECORD = BUILD / "timings.tsv"
LOGS = BUILD / "logs"
STARTED = "started"
CPU_BUSY = "cpu-busy"
CPU_JOB = "cpu-job"
# A step timed inside a job (the checks job's lint, sanity, ...): its CPU is in the job's already.
CPU_STEP = "cpu-step"
IN_JOB = "KAFKAOPS_TIMINGS_IN_JOB"
CPU_HOSTS = "cpu-hosts"
CPU_ROWS = (STARTED, CPU_BUSY, CPU_JOB, CPU_STEP, CPU_HOSTS)
CONTAINER_SAMPLE_S = 10.0
# Container cgroups: cgroup v1 (cpuacct, nanoseconds) and v2 (cpu.stat, microseconds).
CGROUP_GLOBS = (
    ("/sys/fs/cgroup/cpuacct/libpod_parent/libpod-*/cpuacct.usage", 1e-9),
    ("/sys/fs/cgroup/libpod_parent/libpod-*/cpu.stat", 1e-6),
    ("/sys/fs/cgroup/machine.slice/libpod-*.scope/cpu.stat", 1e-6),
)
CONTAINER_ID = re.compile(r"libpod-([0-9a-f]{64})")
PROC_STAT = Path("/proc/stat")
CPU_SAMPLE_S = 60.0
ANSI = re.compile(r"\x1b\[[0-9;]*m")
PHASE = re.compile(r"(?P<scenario>[\w-]+) ➜ (?P<phase>[\w-]+): (?P<event>Executing|Executed)")
SLOWEST = re.compile(r"=+ slowest (\d+ )?durations")
DURATION = re.compile(r"^\s*\d+(\.\d+)?s \w")
# Molecule frames a command's output in a box: "  │ " before each line.
BOX = re.compile(r"^\s*│ ?")
# What a failed job's log says went wrong: pytest's short summary, Ansible's failed tasks,
# Molecule's and make's own errors.
FAILURE = re.compile(r"^(FAILED |ERROR |fatal: \[|failed: \[|CRITICAL |ERROR: |make(\[\d+\])?: \*\*\* )")
FAILURE_LINES = 12
FAILURE_WIDTH = 400
_print_lock = threading.Lock()


def started_at() -> float:
    if RECORD.exists():
        for line in RECORD.read_text(encoding="utf-8").splitlines():
            fields = line.split("\t")
            if fields[0] == STARTED:
                return float(fields[1])
    return time.time()


def append(step: str, seconds: float, rc: int | str, began: float | None = None) -> None:
    RECORD.parent.mkdir(parents=True, exist_ok=True)
    offset = "" if began is None else f"\t{began - started_at():.0f}"
    with RECORD.open("a", encoding="utf-8") as record:
        record.write(f"{step}\t{seconds:.0f}\t{rc}{offset}\n")


def say(text: str) -> None:
    with _print_lock:
        sys.stdout.write(text)
        sys.stdout.flush()


def run(
    step: str, argv: list[str], log: Path | None = None, env: dict[str, str] | None = None, *, cpu_kind: str = CPU_JOB
) -> int:
    """Run one step; its output goes to stdout, or to `log` with a line per phase on stdout."""
    wall, began = time.time(), time.monotonic()
    phases: dict[str, float] = {}
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)  # noqa: S603
    assert proc.stdout is not None
    sink = log.open("wb") if log else None
    try:
        for raw in proc.stdout:
            line = raw.decode(errors="replace")
            if sink:
                sink.write(raw)
                sink.flush()
            else:
                say(line)
            match = PHASE.search(ANSI.sub("", line))
            if not match:
                continue
            key = f"{step} / {match['scenario']} {match['phase']}"
            if match["event"] == "Executing":
                phases[key] = time.monotonic()
                if sink:
                    say(f"[{clock()}] {step}: {match['phase']}\n")
            elif key in phases:
                append(key, time.monotonic() - phases.pop(key), "ok")
        # wait4, not wait: the job's CPU, its children's included, comes with its exit status.
        _pid, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = rc = os.waitstatus_to_exitcode(status)
    finally:
        if sink:
            sink.close()
    for key, started in phases.items():  # a phase that never finished
        append(key, time.monotonic() - started, "failed")
    append(step, time.monotonic() - began, rc, wall)
    append_cpu(cpu_kind, step, usage.ru_utime + usage.ru_stime)
    return rc


def append_cpu(kind: str, name: str, seconds: float) -> None:
    RECORD.parent.mkdir(parents=True, exist_ok=True)
    with RECORD.open("a", encoding="utf-8") as record:
        record.write(f"{kind}\t{name}\t{seconds:.0f}\n")


def cgroup_seconds(text: str, scale: float) -> float:
    """A cgroup's CPU time from cpuacct.usage (one number) or cpu.stat (usage_usec line)."""
    for line in text.splitlines():
        fields = line.split()
        if len(fields) == 1 or (len(fields) == 2 and fields[0] == "usage_usec"):
            return int(fields[-1]) * scale
    return 0.0


def container_cpu() -> dict[str, float]:
    """CPU seconds so far of each running container, by full container id."""
    found: dict[str, float] = {}
    for pattern, scale in CGROUP_GLOBS:
        for path in Path("/").glob(pattern.lstrip("/")):
            match = CONTAINER_ID.search(str(path))
            try:
                if match:
                    found[match[1]] = cgroup_seconds(path.read_text(encoding="ascii"), scale)
            except OSError:  # the container went between the listing and the read
                continue
    return found


def container_network(container_id: str) -> str | None:
    """The container's networks; None for a cgroup podman no longer knows (left after a removal)."""
    try:
        done = subprocess.run(  # noqa: S603
            ["podman", "container", "inspect", "--format", "{{json .NetworkSettings.Networks}}", container_id],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        return ",".join(sorted(json.loads(done.stdout))) or "none" if done.returncode == 0 else None
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return "unknown"


def sample_containers(stop: threading.Event, interval_s: float = CONTAINER_SAMPLE_S) -> None:
    """Sum the CPU of the containers that ran until `stop` by network, as rows at the end."""
    before = container_cpu()  # containers that were up already count from now
    latest: dict[str, float] = {}
    networks: dict[str, str | None] = {}
    while True:
        for container_id, seconds in container_cpu().items():
            latest[container_id] = max(seconds, latest.get(container_id, 0.0))
            if container_id not in networks:
                networks[container_id] = container_network(container_id)
        if stop.wait(interval_s):
            break
    by_network: dict[str, float] = {}
    for container_id, seconds in latest.items():
        network = networks[container_id]
        if network is not None:
            by_network[network] = by_network.get(network, 0.0) + seconds - before.get(container_id, 0.0)
    for network, seconds in sorted(by_network.items()):
        append_cpu(CPU_HOSTS, network, seconds)


def clock() -> str:
    seconds = int(time.time() - started_at())
    return f"+{seconds // 60}m{seconds % 60:02d}s"


def cpu_ticks(stat: str) -> tuple[int, int]:
    """Busy and total ticks of all cores from /proc/stat's first line (guest time is inside user)."""
    fields = [int(value) for value in stat.split("\n", 1)[0].split()[1:9]]
    idle = fields[3] + fields[4]  # idle and iowait
    return sum(fields) - idle, sum(fields)


def busy_percent(before: tuple[int, int], after: tuple[int, int]) -> int:
    total = after[1] - before[1]
    return round(100 * (after[0] - before[0]) / total) if total > 0 else 0


def read_ticks() -> tuple[int, int]:
    return cpu_ticks(PROC_STAT.read_text(encoding="ascii"))


def sample_cpu(stop: threading.Event, interval_s: float = CPU_SAMPLE_S) -> None:
    """Record the cores' busy share for each interval until `stop`, as one row at the end."""
    if not PROC_STAT.exists():
        return
    shares: list[int] = []
    last = read_ticks()
    while True:
        stopped = stop.wait(interval_s)
        now = read_ticks()
        if now[1] > last[1]:
            shares.append(busy_percent(last, now))
        last = now
        if stopped:
            break
    RECORD.parent.mkdir(parents=True, exist_ok=True)
    with RECORD.open("a", encoding="utf-8") as record:
        record.write(f"{CPU_BUSY}\t{','.join(map(str, shares))}\n")


def log_name(job: str) -> str:
    return re.sub(r"[^\w.-]+", "-", job)


def lanes(width: int, jobs: list[tuple[str, str]]) -> int:
    """Run the jobs `width` at a time in the given order; the first failure stops new starts."""
    LOGS.mkdir(parents=True, exist_ok=True)
    queue = list(jobs)
    failed: list[str] = []
    guard = threading.Lock()

    def lane() -> None:
        while True:
            with guard:
                if failed or not queue:
                    return
                name, command = queue.pop(0)
            log = LOGS / (log_name(name) + ".log")
            say(f"[{clock()}] {name}: started ({command}); output in {log.relative_to(BUILD.parent)}\n")
            rc = run(name, ["bash", "-o", "pipefail", "-c", command], log=log, env={**os.environ, IN_JOB: "1"})
            with guard:
                if rc:
                    failed.append(name)
            verdict = "passed" if rc == 0 else f"FAILED (exit {rc})"
            with _print_lock:
                sys.stdout.write(f"\n===== {name}: {verdict} at {clock()} =====\n")
                sys.stdout.write(log.read_text(encoding="utf-8", errors="replace"))
                sys.stdout.write(f"===== end of {name} =====\n\n")
                sys.stdout.flush()

    threads = [threading.Thread(target=lane, name=f"lane-{n}") for n in range(max(1, width))]
    stop_sampling = threading.Event()
    samplers = [
        threading.Thread(target=sample_cpu, args=(stop_sampling,), name="cpu", daemon=True),
        threading.Thread(target=sample_containers, args=(stop_sampling,), name="containers", daemon=True),
    ]
    for thread in samplers + threads:
        thread.start()
    for thread in threads:
        thread.join()
    stop_sampling.set()
    for thread in samplers:
        thread.join()
    for name, _command in queue:
        append(name, 0, "not started")
    if failed:
        say(f"failed: {', '.join(failed)}\n")
    return 1 if failed else 0


def slowest_tests(log: Path, limit: int = 12) -> list[str]:
    """The lines of pytest's --durations list in a log, Molecule's boxed and wrapped output included."""
    text = ANSI.sub("", log.read_text(encoding="utf-8", errors="replace"))
    lines = [BOX.sub("", line).rstrip() for line in text.splitlines()]
    for index, line in enumerate(lines):
        if not SLOWEST.search(line):
            continue
        found: list[str] = []
        for entry in lines[index + 1 :]:
            if DURATION.match(entry):
                found.append(entry.strip())
            elif found and entry.startswith("  ") and entry.strip():
                # Molecule's box wraps at its width: the first piece broke at a space, the rest mid-word.
                found[-1] += (" " if found[-1].endswith(("call", "setup", "teardown")) else "") + entry.strip()
            elif found or not set(entry.strip()) <= {"="}:
                break
        return found[:limit]
    return []


def failure_lines(log: Path, limit: int = FAILURE_LINES) -> list[str]:
    """The last lines of a log that say what failed; its last lines if none does."""
    text = ANSI.sub("", log.read_text(encoding="utf-8", errors="replace"))
    lines = [BOX.sub("", line).rstrip() for line in text.splitlines()]
    found = [line for line in lines if FAILURE.match(line.lstrip())] or [line for line in lines if line.strip()]
    return [line if len(line) <= FAILURE_WIDTH else line[:FAILURE_WIDTH] + " ..." for line in found[-limit:]]


def summary() -> int:
    if not RECORD.exists():
        print("no timings recorded")
        return 0
    rows = [line.split("\t") for line in RECORD.read_text(encoding="utf-8").splitlines() if line]
    busy = [row[1] for row in rows if row[0] == CPU_BUSY and len(row) > 1 and row[1]]
    cpu = [(row[0], row[1], int(row[2])) for row in rows if row[0] in (CPU_JOB, CPU_STEP, CPU_HOSTS) and len(row) == 3]
    rows = [row + [""] * (4 - len(row)) for row in rows if row[0] not in CPU_ROWS]
    steps = [row for row in rows if " / " not in row[0]]
    total = sum(int(row[1]) for row in steps)
    width = max([len(row[0]) for row in rows] + [len("sum of steps")])
    print("\n== make test: time per step (start: minutes after the run began) ==")
    for step, seconds, rc, began in rows:
        nested = " / " in step
        label = f"  {step.split(' / ', 1)[1]}" if nested else step
        start = f"  start {int(began) // 60:3d}m{int(began) % 60:02d}s" if began else ""
        status = "" if rc in ("0", "ok") else f"  ({'exit ' + rc if rc.isdigit() else rc})"
        print(f"{label:<{width}}  {int(seconds) // 60:3d}m{int(seconds) % 60:02d}s{start}{status}")
    print(f"{'sum of steps':<{width}}  {total // 60:3d}m{total % 60:02d}s")
    if any(line.startswith(f"{STARTED}\t") for line in RECORD.read_text(encoding="utf-8").splitlines()):
        wall = int(time.time() - started_at())
        print(f"{'wall time':<{width}}  {wall // 60:3d}m{wall % 60:02d}s")
    for shares in busy:
        values = [int(value) for value in shares.split(",")]
        print(
            f"cores busy while the jobs ran: {round(sum(values) / len(values))} % on average; "
            f"per minute: {' '.join(map(str, values))}"
        )
    if cpu:
        print("CPU time (core-minutes): each job's own processes, then its containers by network")
        for kind, name, seconds in cpu:
            label = {CPU_JOB: name, CPU_STEP: f"  of which {name}", CPU_HOSTS: f"hosts on {name}"}[kind]
            print(f"  {label:<{width}}  {seconds / 60:6.1f}")
        counted = sum(seconds for kind, _name, seconds in cpu if kind != CPU_STEP)
        print(f"  {'all of the above':<{width}}  {counted / 60:6.1f}")
    for log in sorted(LOGS.glob("*.log")) if LOGS.exists() else []:
        slow = slowest_tests(log)
        if slow:
            print(f"\n== {log.stem}: the {len(slow)} slowest tests ==")
            print("\n".join(slow))
    for step, _seconds, rc, _began in steps:
        log = LOGS / (log_name(step) + ".log")
        if rc.isdigit() and rc != "0" and log.exists():
            print(f"\n== {step}: FAILED (exit {rc}); the lines of {log.relative_to(BUILD.parent)} that say why ==")
            print("\n".join(failure_lines(log)))
    return 0


def main(args: list[str]) -> int:
    if args[:1] == ["reset"]:
        RECORD.parent.mkdir(parents=True, exist_ok=True)
        RECORD.write_text(f"{STARTED}\t{time.time():.0f}\t-\n", encoding="utf-8")
        for log in LOGS.glob("*.log") if LOGS.exists() else []:
            log.unlink()
        return 0
    if args[:1] == ["summary"]:
        return summary()
    if len(args) >= 4 and args[0] == "run" and args[2] == "--":
        # A step run by a job is part of that job's CPU, so it is recorded apart and never summed.
        return run(args[1], args[3:], cpu_kind=CPU_STEP if os.environ.get(IN_JOB) else CPU_JOB)
    if len(args) >= 3 and args[0] == "lanes" and args[1].isdigit() and all("=" in job for job in args[2:]):
        return lanes(int(args[1]), [tuple(job.split("=", 1)) for job in args[2:]])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
