"""bench/ackload.py: the comparison that decides R1/R2, and the sender against a stub producer."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import ackload
import pytest

SCRIPT = Path(ackload.__file__)


def ack(record_id: str, partition: int, offset: int, attempt: int = 1) -> dict:
    return {"id": record_id, "ok": True, "attempt": attempt, "topic": "t", "partition": partition, "offset": offset}


def test_compare_clean_run_is_ok():
    acks = [ack("r-0", 0, 0), ack("r-1", 1, 0), {"id": "r-2", "ok": False, "attempts": 1, "error": "503"}]
    report = ackload.compare(acks, [(0, 0, "r-0", 1), (1, 0, "r-1", 1)])
    assert report["ok"] and report["failures"] == []
    assert (report["acked"], report["found_acked"], report["failed_requests"]) == (2, 2, 1)


def test_compare_reports_missing_and_misplaced_ids():
    acks = [ack("r-0", 0, 0), ack("r-1", 0, 1), ack("r-2", 0, 2)]
    report = ackload.compare(acks, [(0, 0, "r-0", 1), (0, 5, "r-2", 1)])
    assert not report["ok"]
    assert report["missing"] == 1 and report["examples"]["missing"] == ["r-1"]
    assert report["offset_mismatches"] == 1 and report["examples"]["offset_mismatches"] == ["r-2"]


def test_compare_same_attempt_twice_always_fails():
    report = ackload.compare([ack("r-0", 0, 0)], [(0, 0, "r-0", 1), (0, 1, "r-0", 1)], strict=False)
    assert not report["ok"] and report["duplicates"] == 1 and report["retry_duplicates"] == 0


def test_compare_retry_duplicates_fail_only_when_strict():
    records = [(0, 0, "r-0", 1), (0, 1, "r-0", 2)]  # attempt 1 timed out but was delivered late
    acks = [ack("r-0", 0, 1, attempt=2)]
    assert not ackload.compare(acks, records, strict=True)["ok"]
    lenient = ackload.compare(acks, records, strict=False)
    assert lenient["ok"] and lenient["retry_duplicates"] == 1 and lenient["duplicates"] == 0


def test_compare_counts_failed_requests_delivered_anyway():
    acks = [ack("r-0", 0, 0), {"id": "r-1", "ok": False, "attempts": 1, "error": "503"}]
    report = ackload.compare(acks, [(0, 0, "r-0", 1), (0, 1, "r-1", 1)])
    assert report["ok"] and report["unacked_found"] == 1


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (b'{"id":"abc-7","attempt":2}', ("abc-7", 2)),
        (b'{"id":"abc-7"}', ("abc-7", None)),
        (b'{"id":"other-7","attempt":1}', None),  # another run
        (b'{"key":"Hello Kafka!"}', None),
        (b"not json", None),
        (b"\xff\xfe", None),
        (None, None),
        (b"[1, 2]", None),
    ],
)
def test_parse_record_keeps_only_our_runs(value, expected):
    assert ackload.parse_record(value, {"abc"}) == expected


def test_body_round_trips_through_parse_record():
    body = ackload.body_for(ackload.make_id("9f3a", 41), 3, pad=100)
    assert len(body) > 100
    assert ackload.parse_record(body, {"9f3a"}) == ("9f3a-41", 3)


def test_percentiles_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert ackload.percentiles(values) == {"p50": 50.0, "p90": 90.0, "p99": 99.0, "max": 100.0}
    assert ackload.percentiles([]) == {"p50": None, "p90": None, "p99": None, "max": None}
    assert ackload.percentiles([7.0])["p99"] == 7.0


def test_error_window_spans_first_to_last_failure():
    stats = ackload.LoadStats()
    assert stats.window() == 0.0
    for at in (2.5, 3.0, 7.25):
        stats.error("503", at)
    stats.error("connection", 4.0)
    assert stats.window() == 4.75 and stats.raw_errors == {"503": 3, "connection": 1}


class StubProducer(BaseHTTPRequestHandler):
    """Answers 503 to the first `fail_first` requests, then acknowledges like the producer app."""

    fail_first = 0
    lock = threading.Lock()
    seen: ClassVar[list[dict]] = []

    def do_POST(self):
        doc = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.lock:
            self.seen.append(doc)
            number = len(self.seen)
        if number <= self.fail_first:
            payload, status = b'{"detail":"Kafka unavailable"}', 503
        else:
            payload, status = json.dumps({"topic": "t", "partition": 0, "offset": number, "timestamp": 0}).encode(), 200
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def stub():
    StubProducer.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), StubProducer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_send_retries_503_and_records_every_ack(stub, tmp_path, capsys):
    _server, url = stub
    StubProducer.fail_first = 5
    out = tmp_path / "acks.jsonl"
    args = ackload.parser().parse_args(
        [
            *("send", "--url", url, "--rate", "200", "--duration", "0.5", "--concurrency", "4", "--out", str(out)),
            *("--retries", "10", "--retry-delay", "0.01", "--summary", str(tmp_path / "s.json")),
        ]
    )
    assert ackload.cmd_send(args) == 0
    summary = json.loads((tmp_path / "s.json").read_text())
    lines = ackload.read_acks(out)
    assert summary == json.loads(capsys.readouterr().out)
    assert summary["sent"] == len(lines) == summary["acked"] and summary["failed"] == 0
    assert 80 <= summary["sent"] <= 101  # 200/s for 0.5 s
    assert summary["raw_errors"] == {"503": 5} and summary["raw_non_2xx"] == 5 and summary["retries"] == 5
    assert summary["error_window_s"] >= 0 and summary["first_error_s"] is not None
    assert summary["requests"] == len(StubProducer.seen) == summary["sent"] + 5
    # Every line names the offset the stub gave to exactly that attempt of that id.
    by_offset = {n + 1: doc for n, doc in enumerate(StubProducer.seen)}
    for line in lines:
        assert by_offset[line["offset"]] == {"id": line["id"], "attempt": line["attempt"]}
    assert len({line["id"] for line in lines}) == len(lines)


def test_send_without_retries_counts_final_failures(stub, tmp_path, capsys):
    _server, url = stub
    StubProducer.fail_first = 3
    out = tmp_path / "acks.jsonl"
    args = ackload.parser().parse_args(
        ["send", "--url", url, "--rate", "0", "--duration", "0.3", "--concurrency", "1", "--out", str(out)]
    )
    ackload.cmd_send(args)
    summary = json.loads(capsys.readouterr().out)
    assert summary["failed"] == 3 and summary["retries"] == 0
    assert [line["error"] for line in ackload.read_acks(out) if not line["ok"]] == ["503"] * 3


def test_sigterm_stops_an_endless_run_with_a_summary(stub, tmp_path):
    _server, url = stub
    StubProducer.fail_first = 0
    out = tmp_path / "acks.jsonl"
    cmd = [sys.executable, str(SCRIPT), "send", "--url", url, "--rate", "100", "--duration", "0", "--out", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    stdout, _stderr = proc.communicate(timeout=10)
    summary = json.loads(stdout)
    assert proc.returncode == 0 and summary["interrupted"]
    assert summary["acked"] > 0 and summary["acked"] == len(ackload.read_acks(out))
