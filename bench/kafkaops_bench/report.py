"""Results as JSON (everything) and a Markdown table (the headline figures) under bench/results/."""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
from pathlib import Path

RESULTS = Path(__file__).resolve().parents[1] / "results"


def machine() -> dict[str, str | int]:
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem_kib = int(Path("/proc/meminfo").read_text().split()[1])
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        model = model or next(
            (ln.split(":", 1)[1].strip() for ln in lscpu.splitlines() if ln.startswith("Model name")), ""
        )
    except OSError:
        pass
    return {
        "nproc": os.cpu_count() or 0,
        "ram_gib": round(mem_kib / 1024 / 1024, 1),
        "cpu": model or platform.processor() or "unknown",
        "kernel": platform.release(),
    }


def header(kind: str) -> dict:
    return {"kind": kind, "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"), "machine": machine()}


def machine_line(meta: dict) -> str:
    m = meta["machine"]
    return f"{meta['date']}; {m['nproc']} cores ({m['cpu']}), {m['ram_gib']} GiB RAM, kernel {m['kernel']}"


def write(kind: str, meta: dict, results: list[dict], table: str) -> Path:
    """bench/results/<kind>-<stamp>.{json,md} plus <kind>-latest.{json,md}."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    doc = {**meta, "results": results}
    text = f"# {kind} results\n\n{machine_line(meta)}\n\n{table}\n"
    for name in (f"{kind}-{stamp}", f"{kind}-latest"):
        (RESULTS / f"{name}.json").write_text(json.dumps(doc, indent=2, default=str) + "\n")
        (RESULTS / f"{name}.md").write_text(text)
    return RESULTS / f"{kind}-latest.md"


def table(rows: list[list[str]], head: list[str]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
