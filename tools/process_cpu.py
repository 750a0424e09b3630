"""Where a run's CPU goes, process by process, from the kernel's process accounting.

    python3 tools/process_cpu.py on FILE     start accounting every exiting process into FILE (root)
    python3 tools/process_cpu.py off         stop
    python3 tools/process_cpu.py report FILE [DEPTH]

The kernel writes one acct_v3 record per process as it exits, from every PID
namespace, containers included: its command name, parent, start and CPU time.
The report sums CPU by command and by command with its parents (DEPTH levels),
so that, for example, `python3 < sh < sshd < conmon` (a module run on a
container host) and `ansible-playboo < ansible-playboo` (a controller worker)
stand apart. A process still running when accounting stops is not recorded, and
a Java process is named after whichever of its threads exited last.
"""

from __future__ import annotations

import collections
import ctypes
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

# struct acct_v3 (linux/acct.h): flag, version, tty, exitcode, uid, gid, pid, ppid,
# btime, etime (float, ticks), utime, stime, mem, io, rw, minflt, majflt, swaps (comp_t), comm[16].
ACCT_V3 = struct.Struct("<BBHIIIIIIf8H16s")
TICKS_PER_SECOND = 100  # AHZ


@dataclass
class Process:
    pid: int
    ppid: int
    started: int  # seconds since the epoch
    elapsed: float  # seconds
    cpu: float  # seconds, user + system
    comm: str

    @property
    def ended(self) -> float:
        return self.started + self.elapsed


def comp_t(value: int) -> int:
    """The kernel's comp_t: a 13-bit mantissa and a 3-bit base-8 exponent."""
    return (value & 0x1FFF) << (3 * (value >> 13))


def parse(data: bytes) -> list[Process]:
    found = []
    for offset in range(0, len(data) - ACCT_V3.size + 1, ACCT_V3.size):
        fields = ACCT_V3.unpack_from(data, offset)
        if fields[1] != 3:  # ac_version: anything else is not a v3 record
            continue
        pid, ppid, started, elapsed = fields[6], fields[7], fields[8], fields[9]
        cpu = (comp_t(fields[10]) + comp_t(fields[11])) / TICKS_PER_SECOND
        comm = fields[18].split(b"\0", 1)[0].decode(errors="replace")
        found.append(Process(pid, ppid, started, elapsed / TICKS_PER_SECOND, cpu, comm))
    return found


def chains(processes: list[Process], depth: int) -> list[tuple[Process, str]]:
    """Each process with `comm < parent < grandparent ...`, parents found by pid and lifetime (pids are reused)."""
    by_pid: dict[int, list[Process]] = collections.defaultdict(list)
    for process in processes:
        by_pid[process.pid].append(process)

    def parent(child: Process) -> Process | None:
        candidates = [
            p for p in by_pid.get(child.ppid, []) if p.started <= child.started + 1 and p.ended >= child.started - 1
        ]
        return max(candidates, key=lambda p: p.started, default=None)

    named = []
    for process in processes:
        names, current = [process.comm], process
        for _level in range(depth):
            current = parent(current)
            if current is None:
                break
            names.append(current.comm)
        named.append((process, " < ".join(names)))
    return named


def report(processes: list[Process], depth: int = 3, top: int = 40) -> str:
    total = sum(p.cpu for p in processes)
    lines = [f"{len(processes)} processes, {total / 60:.1f} core-minutes"]
    for title, keyed in (
        ("by command", [(p, p.comm) for p in processes]),
        (f"by command < parents ({depth} levels)", chains(processes, depth)),
    ):
        cpu: collections.Counter = collections.Counter()
        count: collections.Counter = collections.Counter()
        for process, key in keyed:
            cpu[key] += process.cpu
            count[key] += 1
        lines += ["", title, "core-min   count  s/each  command"]
        lines += [
            f"{seconds / 60:8.2f} {count[key]:7d} {seconds / count[key]:7.2f}  {key}"
            for key, seconds in cpu.most_common(top)
        ]
    return "\n".join(lines)


def _acct(path: str | None) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.acct(path.encode() if path else None) != 0:
        raise OSError(ctypes.get_errno(), "acct(2) failed; process accounting needs root")


def main(args: list[str]) -> int:
    if len(args) == 2 and args[0] == "on":
        Path(args[1]).touch()
        _acct(args[1])
        return 0
    if args == ["off"]:
        _acct(None)
        return 0
    if len(args) in (2, 3) and args[0] == "report":
        depth = int(args[2]) if len(args) == 3 else 3
        print(report(parse(Path(args[1]).read_bytes()), depth))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
