"""PNG figures where a picture says more than the table: R1's outcome per second around the kill."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path


def outcomes_per_second(acks_path: Path, rate: float) -> tuple[list[int], list[int], list[int]]:
    """Seconds since the load started, and acknowledged / failed ids sent in each.

    ackload numbers ids in send order at a fixed rate, so an id's index says when it was sent.
    """
    acked, failed = Counter(), Counter()
    for line in acks_path.read_text().splitlines():
        row = json.loads(line)
        second = int(int(row["id"].rsplit("-", 1)[1]) / rate)
        (acked if row["ok"] else failed)[second] += 1
    seconds = list(range(max([*acked, *failed], default=-1) + 1))
    return seconds, [acked[s] for s in seconds], [failed[s] for s in seconds]


def r1_timeline(acks_path: Path, rate: float, kill_s: float, restart_s: float, out: Path) -> Path:
    # Imported here: only `make chaos` draws; the rest of the package runs without matplotlib.
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    seconds, acked, failed = outcomes_per_second(acks_path, rate)
    fig, ax = pyplot.subplots(figsize=(9, 3.2), dpi=110)
    ax.bar(seconds, acked, width=1.0, color="#4c78a8", label="acknowledged")
    ax.bar(seconds, failed, width=1.0, bottom=acked, color="#e45756", label="503 (send timeout)")
    for x, text in ((kill_s, "kill -9"), (restart_s, "restart")):
        ax.axvline(x, color="black", linestyle="--", linewidth=1)
        ax.text(x + 0.3, ax.get_ylim()[1] * 0.92, text, fontsize=8)
    ax.set_xlabel("second the request was sent")
    ax.set_ylabel("requests")
    ax.set_title("R1: /send outcomes around a broker kill (every acknowledged id verified in the topic)")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    pyplot.close(fig)
    return out
