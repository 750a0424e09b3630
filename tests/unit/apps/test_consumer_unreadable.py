"""Records the consumer cannot read or format: placeholder rows and out-of-range timestamps."""

from __future__ import annotations

from kafkaops_apps.consumer.buffer import MessageBuffer
from kafkaops_apps.consumer.page import fmt_time, row

YEAR_10000_MS = 253_402_300_800_000


def test_timestamps_past_year_9999_render_raw():
    assert fmt_time(YEAR_10000_MS) == str(YEAR_10000_MS)
    assert fmt_time(2**63 - 1) == str(2**63 - 1)
    assert fmt_time(YEAR_10000_MS - 1) == "9999-12-31 23:59:59.999Z"
    assert fmt_time(-1) == "" and fmt_time(None) == ""


def test_placeholder_row_names_partition_and_offset():
    buf = MessageBuffer(size=3, display_limit=100)
    entry = buf.add_skipped(1, 42, "undecodable record")
    assert entry.skipped == "undecodable record at partition 1 offset 42"
    assert entry.as_dict()["skipped"] == entry.skipped
    assert "undecodable record at partition 1 offset 42" in row(entry) and 'class="skipped"' in row(entry)
    assert buf.add_skipped(1, 42, "undecodable record") is None  # shown once, like a redelivered record
    assert buf.add(1, 43, 0, None, b"v").skipped is None
