"""Per-step wall times for `make test`, so a change can see what it costs.

    python3 tools/timings.py reset                 start a new record
    python3 tools/timings.py run STEP -- CMD ...   run CMD, pass its output through, record its time
    python3 tools/timings.py summary               print the record as a table

For a Molecule run, each phase (create, converge, idempotence, verify, ...) is
recorded as well, from the "➜ phase: Executing/Executed" lines Molecule prints.
The record is build/timings.tsv: step, seconds, exit code.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

RECORD = Path(__file__).resolve().parents[1] / "build" / "timings.tsv"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
PHASE = re.compile(r"(?P<scenario>[\w-]+) ➜ (?P<phase>[\w-]+): (?P<event>Executing|Executed)")


def append(step: str, seconds: float, rc: int | str) -> None:
    RECORD.parent.mkdir(parents=True, exist_ok=True)
    with RECORD.open("a", encoding="utf-8") as record:
        record.write(f"{step}\t{seconds:.0f}\t{rc}\n")


def run(step: str, argv: list[str]) -> int:
    began = time.monotonic()
    phases: dict[str, float] = {}
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # noqa: S603
    assert proc.stdout is not None
    for raw in proc.stdout:
        sys.stdout.buffer.write(raw)
        sys.stdout.flush()
        match = PHASE.search(ANSI.sub("", raw.decode(errors="replace")))
        if not match:
            continue
        key = f"{step} / {match['scenario']} {match['phase']}"
        if match["event"] == "Executing":
            phases[key] = time.monotonic()
        elif key in phases:
            append(key, time.monotonic() - phases.pop(key), "ok")
    rc = proc.wait()
    for key, started in phases.items():  # a phase that never finished
        append(key, time.monotonic() - started, "failed")
    append(step, time.monotonic() - began, rc)
    return rc


def summary() -> int:
    if not RECORD.exists():
        print("no timings recorded")
        return 0
    rows = [line.split("\t") for line in RECORD.read_text(encoding="utf-8").splitlines() if line]
    steps = [row for row in rows if " / " not in row[0]]
    total = sum(int(seconds) for _step, seconds, _rc in steps)
    width = max(len(row[0]) for row in rows)
    print("\n== make test: time per step ==")
    for step, seconds, rc in rows:
        nested = " / " in step
        label = f"  {step.split(' / ', 1)[1]}" if nested else step
        status = "" if rc in ("0", "ok") else f"  ({'exit ' + rc if rc.isdigit() else rc})"
        print(f"{label:<{width}}  {int(seconds) // 60:3d}m{int(seconds) % 60:02d}s{status}")
    print(f"{'total':<{width}}  {total // 60:3d}m{total % 60:02d}s")
    return 0


def main(args: list[str]) -> int:
    if args[:1] == ["reset"]:
        RECORD.unlink(missing_ok=True)
        return 0
    if args[:1] == ["summary"]:
        return summary()
    if len(args) >= 4 and args[0] == "run" and args[2] == "--":
        return run(args[1], args[3:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
