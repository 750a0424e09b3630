"""R1's picture: outcomes per send second, drawn to a real PNG."""

import json

from kafkaops_bench import plot


def acks_file(tmp_path, outcomes):
    path = tmp_path / "r1-acks.jsonl"
    path.write_text("".join(json.dumps({"id": f"run-{i}", "ok": ok}) + "\n" for i, ok in enumerate(outcomes)))
    return path


def test_ids_are_placed_by_their_send_second(tmp_path):
    # rate 2/s: ids 0-1 in second 0, 2-3 in second 1, 4 in second 2
    path = acks_file(tmp_path, [True, True, False, True, False])
    assert plot.outcomes_per_second(path, 2) == ([0, 1, 2], [2, 1, 0], [0, 1, 1])


def test_r1_timeline_writes_a_png(tmp_path):
    path = acks_file(tmp_path, [i % 7 != 0 for i in range(300)])
    out = plot.r1_timeline(path, 10, 15, 25, tmp_path / "out" / "r1.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 5000
