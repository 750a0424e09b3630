"""bench/ackload.py with --idempotency-keys (R1k): one record per key, checked strictly."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import ackload
import pytest


def ack(record_id: str, partition: int, offset: int, attempt: int = 1, replayed: bool = False) -> dict:
    return {
        "id": record_id,
        "ok": True,
        "attempt": attempt,
        "topic": "t",
        "partition": partition,
        "offset": offset,
        "key": record_id,
        "replayed": replayed,
    }


def test_keyed_clean_run_is_ok_whatever_attempt_was_acknowledged():
    # Keyed bodies carry no attempt: the acknowledged place alone must match.
    acks = [ack("r-0", 0, 0, attempt=3, replayed=True), ack("r-1", 1, 0)]
    report = ackload.compare(acks, [(0, 0, "r-0", None, "r-0"), (1, 0, "r-1", None, "r-1")], keyed=True)
    assert report["ok"] and report["failures"] == [], report["failures"]
    assert (report["keyed"], report["duplicates"], report["key_mismatches"], report["offset_mismatches"]) == (
        True,
        0,
        0,
        0,
    )


def test_keyed_same_id_twice_fails_even_with_identical_attempts_and_lenient_flag():
    records = [(0, 0, "r-0", None, "r-0"), (0, 7, "r-0", None, "r-0")]
    report = ackload.compare([ack("r-0", 0, 0)], records, strict=False, keyed=True)
    assert not report["ok"]
    assert report["duplicates"] == 1 and report["retry_duplicates"] == 0
    assert report["examples"]["duplicates"] == ["r-0"]
    assert any("Idempotency-Key" in f for f in report["failures"])


def test_keyed_copies_of_different_attempts_are_duplicates_too():
    records = [(0, 0, "r-0", 1, "r-0"), (0, 1, "r-0", 2, "r-0")]
    report = ackload.compare([ack("r-0", 0, 1, attempt=2)], records, strict=False, keyed=True)
    assert not report["ok"] and report["duplicates"] == 1


def test_keyed_unacknowledged_id_stored_twice_fails():
    acks = [ack("r-0", 0, 0), {"id": "r-1", "ok": False, "attempts": 301, "error": "503", "key": "r-1"}]
    records = [(0, 0, "r-0", None, "r-0"), (1, 0, "r-1", None, "r-1"), (1, 1, "r-1", None, "r-1")]
    report = ackload.compare(acks, records, keyed=True)
    assert not report["ok"] and report["duplicates"] == 1 and report["examples"]["duplicates"] == ["r-1"]


@pytest.mark.parametrize("header", [None, "r-9", "r-0#0", ""])
def test_keyed_header_other_than_the_id_fails(header):
    report = ackload.compare([ack("r-0", 0, 0)], [(0, 0, "r-0", None, header)], keyed=True)
    assert not report["ok"] and report["key_mismatches"] == 1
    assert report["examples"]["key_mismatches"] == ["r-0"]
    assert any("idempotency-key header" in f for f in report["failures"])


def test_replays_are_counted_over_acknowledged_lines():
    acks = [ack("r-0", 0, 0, replayed=True), ack("r-1", 0, 1), ack("r-2", 0, 2, attempt=4, replayed=True)]
    records = [(0, n, f"r-{n}", None, f"r-{n}") for n in range(3)]
    report = ackload.compare(acks, records, keyed=True)
    assert report["ok"] and report["replays"] == 2


def test_unkeyed_compare_ignores_headers():
    report = ackload.compare([{**ack("r-0", 0, 0), "key": None}], [(0, 0, "r-0", 1, None)])
    assert report["ok"] and not report["keyed"] and report["key_mismatches"] == 0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([("idempotency-key", b"abc-1")], "abc-1"),
        ([("other", b"x"), ("idempotency-key", b"abc-1")], "abc-1"),
        ([], None),
        (None, None),
        ([("Idempotency-Key", b"abc-1")], None),  # the producer writes the lower-case name
        ([("idempotency-key", b"abc-1"), ("idempotency-key", b"abc-1")], None),
        ([("idempotency-key", None)], None),
    ],
)
def test_idempotency_key_of(headers, expected):
    assert ackload.idempotency_key_of(headers) == expected


def test_stored_records_keep_our_runs_with_their_header():
    records = [
        (0, 0, ackload.body_for("abc-1", None), [("idempotency-key", b"abc-1")]),
        (0, 1, b'{"id":"zzz-1"}', [("idempotency-key", b"zzz-1")]),
        (1, 4, ackload.body_for("abc-2", 2), []),
    ]
    assert ackload.stored_records(records, {"abc"}) == [(0, 0, "abc-1", None, "abc-1"), (1, 4, "abc-2", 2, None)]


def test_sent_with_keys_reads_the_ack_file():
    assert ackload.sent_with_keys([ack("r-0", 0, 0)])
    assert not ackload.sent_with_keys([{"id": "r-0", "ok": True, "attempt": 1, "partition": 0, "offset": 0}])
    assert not ackload.sent_with_keys([])


def test_keyed_body_is_the_same_on_every_attempt():
    assert ackload.body_for("abc-1", None) == b'{"id":"abc-1"}'
    assert ackload.parse_record(ackload.body_for("abc-1", None, pad=10), {"abc"}) == ("abc-1", None)


@pytest.mark.parametrize(
    ("retry_after", "cap", "expected"),
    [
        (None, 1.0, 1.0),
        ("5", 1.0, 1.0),  # the producer's Retry-After is longer than the lab's --retry-delay
        ("0", 1.0, 0.0),
        ("0.25", 1.0, 0.25),
        ("-3", 1.0, 0.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 2.0, 2.0),
        ("", 2.0, 2.0),
    ],
)
def test_retry_wait_honours_retry_after_up_to_the_delay(retry_after, cap, expected):
    assert ackload.retry_wait(retry_after, cap) == expected


def test_keyed_mode_retries_any_5xx_and_429_only():
    assert all(ackload.retryable(s, keyed=True) for s in (429, 500, 501, 503, 505, 599))
    assert not any(ackload.retryable(s, keyed=True) for s in (400, 409, 413, 422))
    assert not ackload.retryable(501, keyed=False) and ackload.retryable(503, keyed=False)


class KeyedStub(BaseHTTPRequestHandler):
    """Behaves like the producer with Idempotency-Key: the first attempt of every key answers
    `first_status` (Retry-After 0) while it writes the record anyway; a retry replays that record."""

    first_status = 503
    lock = threading.Lock()
    requests: ClassVar[list[tuple[str | None, bytes]]] = []
    written: ClassVar[dict[str, int]] = {}  # key -> offset

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        key = self.headers.get("Idempotency-Key")
        with self.lock:
            self.requests.append((key, body))
            replay = key in self.written
            offset = self.written.setdefault(key, len(self.written))
        if replay:
            status, headers = 200, {"Idempotent-Replayed": "true"}
            payload = json.dumps({"topic": "t", "partition": 0, "offset": offset, "timestamp": 0}).encode()
        else:
            status, headers, payload = self.first_status, {"Retry-After": "0"}, b'{"detail":"Kafka unavailable"}'
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def keyed_stub():
    KeyedStub.requests, KeyedStub.written = [], {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), KeyedStub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("first_status", [503, 501])
def test_send_with_keys_repeats_the_request_and_records_replays(keyed_stub, tmp_path, capsys, first_status):
    KeyedStub.first_status = first_status
    out = tmp_path / "acks.jsonl"
    args = ackload.parser().parse_args(
        [
            *("send", "--url", keyed_stub, "--rate", "100", "--duration", "0.3", "--concurrency", "3"),
            *("--out", str(out), "--retries", "3", "--retry-delay", "5", "--idempotency-keys"),
        ]
    )
    assert ackload.cmd_send(args) == 0  # Retry-After: 0 wins over --retry-delay 5, or this takes minutes
    summary = json.loads(capsys.readouterr().out)
    lines = ackload.read_acks(out)
    assert summary["idempotency_keys"] and summary["failed"] == 0
    assert summary["sent"] == summary["acked"] == len(lines) == summary["replays"] == summary["retries"] > 10
    assert summary["raw_errors"] == {str(first_status): summary["sent"]}
    for line in lines:
        assert (line["key"], line["replayed"], line["attempt"]) == (line["id"], True, 2)
        sent = [body for key, body in KeyedStub.requests if key == line["id"]]
        assert sent == [ackload.body_for(line["id"], None)] * 2
        assert line["offset"] == KeyedStub.written[line["id"]]
    assert ackload.sent_with_keys(lines)
    records = [(0, offset, key, None, key) for key, offset in KeyedStub.written.items()]
    assert ackload.compare(lines, records, keyed=True)["replays"] == len(lines)


def test_send_with_keys_gives_up_on_a_conflict(keyed_stub, tmp_path, capsys):
    KeyedStub.first_status = 422
    out = tmp_path / "acks.jsonl"
    args = ackload.parser().parse_args(
        [
            *("send", "--url", keyed_stub, "--rate", "0", "--duration", "0.2", "--concurrency", "1"),
            *("--out", str(out), "--retries", "5", "--retry-delay", "0", "--idempotency-keys"),
        ]
    )
    ackload.cmd_send(args)
    summary = json.loads(capsys.readouterr().out)
    assert summary["acked"] == 0 and summary["retries"] == 0 and summary["failed"] > 0
    assert {(line["error"], line["attempts"], line["key"] == line["id"]) for line in ackload.read_acks(out)} == {
        ("422", 1, True)
    }
