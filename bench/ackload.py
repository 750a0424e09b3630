"""Acknowledged-load generator and checker for the resilience checks of issue 7.

    send    sustained POST /send load; every id gets one line in a JSON-lines file:
            acknowledged ones with the topic, partition and offset the producer returned,
            failed ones with the last error. A JSON summary goes to stdout (and --summary).
            With --idempotency-keys every request carries `Idempotency-Key: <id>` and every
            attempt of an id sends the same body, so the producer writes it once.
    verify  reads the whole topic on its own (manual assignment, no group) up to the end
            offsets seen at start, and compares it with that file. Exit 1 when an
            acknowledged id is missing, duplicated, or not at its acknowledged offset. For a
            run sent with keys (the file says so) any id stored twice fails, and every
            record's `idempotency-key` header must equal its id.

Standard library only, except aiokafka for `verify`: it runs with the apps' venv on the
apps host as well as with the controller's venv.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import signal
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

RETRYABLE = {429, 500, 502, 503, 504}
RECORD_KEY_HEADER = "idempotency-key"  # the Kafka record header the producer writes the key to
# uvicorn closes idle keep-alive connections after 5 s; a request on such a connection
# would fail without reaching the app and count as an error, so reconnect before that.
IDLE_RECONNECT_S = 2.0
EXAMPLES = 20  # ids listed per problem in the verify report


# ---------------------------------------------------------------- pure helpers


def make_id(run: str, seq: int) -> str:
    return f"{run}-{seq}"


def run_of(record_id: str) -> str:
    return record_id.rsplit("-", 1)[0]


def body_for(record_id: str, attempt: int | None, pad: int = 0) -> bytes:
    """The request body; None leaves the attempt out (keyed retries must repeat the body byte for
    byte, or the producer answers 422)."""
    # The attempt number tells a client retry (two attempts stored) from a Kafka duplicate.
    doc: dict = {"id": record_id} if attempt is None else {"id": record_id, "attempt": attempt}
    if pad:
        doc["pad"] = "x" * pad
    return json.dumps(doc, separators=(",", ":")).encode()


def retryable(status: int, keyed: bool) -> bool:
    # With a key a retry cannot write a second copy, so any server-side failure is worth one.
    return status == 429 or status >= 500 if keyed else status in RETRYABLE


def retry_wait(retry_after: str | None, cap: float) -> float:
    """Seconds before the next attempt: the answer's Retry-After (delta-seconds) when given,
    never more than `cap`; `cap` without one (or with an HTTP-date)."""
    try:
        return min(cap, max(0.0, float(retry_after))) if retry_after is not None else cap
    except ValueError:
        return cap


def percentiles(values: list[float], points: Iterable[int] = (50, 90, 99)) -> dict[str, float | None]:
    """Nearest-rank percentiles plus max, in the values' unit."""
    ordered = sorted(values)
    out: dict[str, float | None] = {}
    for p in points:
        out[f"p{p}"] = ordered[max(0, -(-p * len(ordered) // 100) - 1)] if ordered else None
    out["max"] = ordered[-1] if ordered else None
    return out


@dataclass
class LoadStats:
    """Counters shared by the sender threads; times are seconds since the load started."""

    started: float = field(default_factory=time.monotonic)
    requests: int = 0
    retries: int = 0
    replays: int = 0  # acknowledgements answered from the key's first attempt
    raw_errors: Counter = field(default_factory=Counter)  # "503", "connection", "timeout", ...
    first_error: float | None = None
    last_error: float | None = None
    latencies: list[float] = field(default_factory=list)  # acknowledged attempts only
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def error(self, kind: str, at: float) -> None:
        with self.lock:
            self.raw_errors[kind] += 1
            # Threads may report slightly out of order.
            self.first_error = at if self.first_error is None else min(self.first_error, at)
            self.last_error = at if self.last_error is None else max(self.last_error, at)

    def window(self) -> float:
        """Seconds from the first failed request to the last one (0 without failures)."""
        if self.first_error is None or self.last_error is None:
            return 0.0
        return round(self.last_error - self.first_error, 3)


def summarize(stats: LoadStats, outcomes: Counter, elapsed: float, **extra) -> dict:
    http_errors = sum(n for kind, n in stats.raw_errors.items() if kind.isdigit())
    return {
        **extra,
        "elapsed_s": round(elapsed, 3),
        "sent": outcomes["acked"] + outcomes["failed"],
        "acked": outcomes["acked"],
        "failed": outcomes["failed"],
        "requests": stats.requests,
        "retries": stats.retries,
        "replays": stats.replays,
        "raw_non_2xx": http_errors,
        "raw_errors": dict(sorted(stats.raw_errors.items())),
        "error_window_s": stats.window(),
        "first_error_s": None if stats.first_error is None else round(stats.first_error, 3),
        "last_error_s": None if stats.last_error is None else round(stats.last_error, 3),
        "acked_per_s": round(outcomes["acked"] / elapsed, 1) if elapsed > 0 else 0.0,
        "latency_ms": {k: None if v is None else round(v * 1000, 1) for k, v in percentiles(stats.latencies).items()},
    }


class Stored(NamedTuple):
    """One record of ours in the topic; idempotency_key is its `idempotency-key` header."""

    partition: int
    offset: int
    id: str
    attempt: int | None
    idempotency_key: str | None = None


def compare(
    acks: list[dict],
    records: Iterable[tuple],
    strict: bool = True,
    keyed: bool = False,
) -> dict:
    """Check the acknowledged ids against what the topic holds.

    acks: the lines `send` wrote. records: (partition, offset, id, attempt[, idempotency_key])
    of every record in the topic whose id belongs to one of the runs in `acks`. A duplicate is
    an acknowledged id stored more than once; with strict=False copies of *different* attempts
    (a client retry whose first attempt was delivered late) are reported but allowed.

    keyed: `send` ran with --idempotency-keys. One record per key is then the guarantee: every
    copy of an id beyond the first is a duplicate, whatever attempt wrote it and whether or not
    it was acknowledged (strict does not apply), and each record's header must equal its id.
    """
    acked = {a["id"]: a for a in acks if a.get("ok")}
    attempted = {a["id"] for a in acks}
    found: dict[str, list[Stored]] = {}
    key_mismatched = set()
    for record in (Stored(*r) for r in records):
        found.setdefault(record.id, []).append(record)
        if keyed and record.idempotency_key != record.id:
            key_mismatched.add(record.id)
    missing = sorted(i for i in acked if i not in found)
    duplicates, retry_duplicates = [], []
    for record_id, copies in found.items():
        if len(copies) < 2:
            continue
        if keyed:
            duplicates.append(record_id)
        elif record_id in acked:
            attempts = [c.attempt for c in copies]
            (duplicates if len(set(attempts)) < len(attempts) else retry_duplicates).append(record_id)

    def at_acked_place(a: dict, copies: list[Stored]) -> bool:
        # Keyed bodies carry no attempt: the place alone identifies the acknowledged copy.
        return any(
            (c.partition, c.offset) == (a["partition"], a["offset"]) and (keyed or c.attempt == a.get("attempt"))
            for c in copies
        )

    mismatched = sorted(i for i, a in acked.items() if i in found and not at_acked_place(a, found[i]))
    failures = []
    if missing:
        failures.append(f"{len(missing)} acknowledged ids missing")
    if keyed and duplicates:
        failures.append(f"{len(duplicates)} ids stored more than once under one Idempotency-Key")
    elif duplicates:
        failures.append(f"{len(duplicates)} acknowledged ids stored twice by one attempt")
    if strict and retry_duplicates:
        failures.append(f"{len(retry_duplicates)} acknowledged ids stored by two client attempts")
    if mismatched:
        failures.append(f"{len(mismatched)} acknowledged ids not at their acknowledged offset")
    if key_mismatched:
        failures.append(f"{len(key_mismatched)} ids with records whose {RECORD_KEY_HEADER} header is not the id")
    return {
        "keyed": keyed,
        "acked": len(acked),
        "failed_requests": len(attempted) - len(acked),
        "replays": sum(1 for a in acked.values() if a.get("replayed")),
        "found": len(found),
        "found_acked": sum(1 for i in acked if i in found),
        "missing": len(missing),
        "duplicates": len(duplicates),
        "retry_duplicates": len(retry_duplicates),
        "offset_mismatches": len(mismatched),
        "key_mismatches": len(key_mismatched),
        "unacked_found": sum(1 for i in found if i not in acked),  # failed requests delivered anyway
        "unknown_found": sum(1 for i in found if i not in attempted),
        "examples": {
            "missing": missing[:EXAMPLES],
            "duplicates": sorted(duplicates)[:EXAMPLES],
            "retry_duplicates": sorted(retry_duplicates)[:EXAMPLES],
            "offset_mismatches": mismatched[:EXAMPLES],
            "key_mismatches": sorted(key_mismatched)[:EXAMPLES],
        },
        "failures": failures,
        "ok": not failures,
    }


def parse_record(value: bytes | None, runs: set[str]) -> tuple[str, int | None] | None:
    """(id, attempt) of a record written by one of `runs`; None for anything else in the topic."""
    try:
        doc = json.loads(value or b"")
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("id"), str) or run_of(doc["id"]) not in runs:
        return None
    attempt = doc.get("attempt")
    return doc["id"], attempt if isinstance(attempt, int) else None


def idempotency_key_of(headers: Iterable[tuple[str, bytes | None]] | None) -> str | None:
    """The record's `idempotency-key` header; None when absent or given more than once."""
    values = [value for name, value in headers or () if name == RECORD_KEY_HEADER]
    if len(values) != 1 or values[0] is None:
        return None
    return values[0].decode("utf-8", "replace")


def stored_records(records: Iterable[tuple[int, int, bytes | None, list]], runs: set[str]) -> list[Stored]:
    """The records of `runs` among (partition, offset, value, headers) read from the topic."""
    ours = []
    for partition, offset, value, headers in records:
        parsed = parse_record(value, runs)
        if parsed is not None:
            ours.append(Stored(partition, offset, *parsed, idempotency_key_of(headers)))
    return ours


def sent_with_keys(acks: list[dict]) -> bool:
    # `send --idempotency-keys` names the key on every line it writes.
    return bool(acks) and all("key" in a for a in acks)


def read_acks(path: str | Path) -> list[dict]:
    lines = Path(path).read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


# ---------------------------------------------------------------- send


class Sender:
    """`concurrency` threads, each with one keep-alive connection, sharing one schedule."""

    def __init__(self, args: argparse.Namespace):
        url = urlsplit(args.url)
        self.host, self.port = url.hostname or "127.0.0.1", url.port or 80
        self.path = (url.path.rstrip("/") or "") + "/send"
        self.args = args
        self.run = args.run or uuid.uuid4().hex[:8]
        self.stats = LoadStats()
        self.outcomes: Counter = Counter()
        self.stop = threading.Event()
        self._seq = 0
        self._lock = threading.Lock()
        self._out = Path(args.out).open("w")  # closed by run_load()

    def _next(self) -> int | None:
        """Next sequence number and when it is due, or None once the duration is over."""
        with self._lock:
            seq, self._seq = self._seq, self._seq + 1
        if self.args.rate > 0:
            due = self.stats.started + seq / self.args.rate
            if self.stop.wait(max(0.0, due - time.monotonic())):
                return None
        if self.args.duration and time.monotonic() - self.stats.started >= self.args.duration:
            return None
        return None if self.stop.is_set() else seq

    def _post(self, conn: http.client.HTTPConnection, body: bytes, headers: dict) -> tuple[int, bytes, dict]:
        conn.request("POST", self.path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read(), {k.lower(): v for k, v in response.getheaders()}

    def _one(self, conn_box: list, seq: int) -> dict:
        record_id = make_id(self.run, seq)
        keyed = self.args.idempotency_keys
        headers = {"Content-Type": "application/json"}
        if keyed:
            headers["Idempotency-Key"] = record_id
        keyed_body = body_for(record_id, None, self.args.pad) if keyed else None
        last, tried, wait = "interrupted", 0, self.args.retry_delay
        for attempt in range(1, self.args.retries + 2):
            if attempt > 1:
                if self.stop.wait(wait):
                    break
                with self.stats.lock:
                    self.stats.retries += 1
            tried, wait = attempt, self.args.retry_delay
            began = time.monotonic()
            if conn_box[0] is not None and began - conn_box[1] > IDLE_RECONNECT_S:
                conn_box[0].close()
                conn_box[0] = None
            if conn_box[0] is None:
                conn_box[0] = http.client.HTTPConnection(self.host, self.port, timeout=self.args.timeout)
            with self.stats.lock:
                self.stats.requests += 1
            body = keyed_body if keyed_body is not None else body_for(record_id, attempt, self.args.pad)
            try:
                status, payload, reply = self._post(conn_box[0], body, headers)
                conn_box[1] = time.monotonic()
            except TimeoutError:
                last = "timeout"
            except (OSError, http.client.HTTPException):
                last = "connection"
            else:
                if 200 <= status < 300:
                    meta = json.loads(payload)
                    replayed = reply.get("idempotent-replayed", "").strip().lower() == "true"
                    with self.stats.lock:
                        self.stats.latencies.append(time.monotonic() - began)
                        self.stats.replays += replayed
                    line = {
                        "id": record_id,
                        "ok": True,
                        "attempt": attempt,
                        "topic": meta["topic"],
                        "partition": meta["partition"],
                        "offset": meta["offset"],
                    }
                    return {**line, "key": record_id, "replayed": replayed} if keyed else line
                last = str(status)
                wait = retry_wait(reply.get("retry-after"), self.args.retry_delay)
            if last in ("timeout", "connection"):
                conn_box[0].close()
                conn_box[0] = None
            self.stats.error(last, time.monotonic() - self.stats.started)
            if last.isdigit() and not retryable(int(last), keyed):
                break
        line = {"id": record_id, "ok": False, "attempts": tried, "error": last}
        return {**line, "key": record_id} if keyed else line

    def _worker(self) -> None:
        conn_box: list = [None, 0.0]  # connection, when it was last used
        while (seq := self._next()) is not None:
            line = self._one(conn_box, seq)
            with self._lock:
                self.outcomes["acked" if line["ok"] else "failed"] += 1
                self._out.write(json.dumps(line, separators=(",", ":")) + "\n")
                self._out.flush()
        if conn_box[0] is not None:
            conn_box[0].close()

    def run_load(self) -> dict:
        threads = [threading.Thread(target=self._worker, daemon=True) for _thread in range(self.args.concurrency)]
        for thread in threads:
            thread.start()
        # Join with a timeout so the main thread stays free to run the signal handlers.
        while any(thread.is_alive() for thread in threads):
            for thread in threads:
                thread.join(0.2)
        self._out.close()
        return summarize(
            self.stats,
            self.outcomes,
            time.monotonic() - self.stats.started,
            run=self.run,
            url=self.args.url,
            rate=self.args.rate,
            concurrency=self.args.concurrency,
            idempotency_keys=self.args.idempotency_keys,
            interrupted=self.stop.is_set(),
            out=str(self.args.out),
        )


def cmd_send(args: argparse.Namespace) -> int:
    sender = Sender(args)

    def on_signal(signum, _frame):
        sender.stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    summary = sender.run_load()
    emit(summary, args.summary)
    return 0


# ---------------------------------------------------------------- verify


async def read_topic(
    bootstrap: str, topic: str, timeout: float, since_ms: int | None = None
) -> tuple[list[tuple[int, int, bytes | None, list]], dict]:
    """Every record (partition, offset, value, headers) up to the end offsets taken at start,
    without a group.

    It starts at the beginning, or with since_ms at the first record at or after that time
    (a long-lived topic need not be read from its start).
    """
    from aiokafka import AIOKafkaClient, AIOKafkaConsumer, TopicPartition  # only `verify` needs Kafka

    servers = bootstrap.split(",")
    async with asyncio.timeout(timeout):
        # A consumer's own metadata only covers topics it subscribed to; ask a client instead.
        client = AIOKafkaClient(bootstrap_servers=servers)
        await client.bootstrap()
        try:
            partitions = (await client.fetch_all_metadata()).partitions_for_topic(topic)
        finally:
            await client.close()
        if not partitions:
            raise LookupError(f"topic {topic} does not exist")
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer = AIOKafkaConsumer(
            bootstrap_servers=servers, group_id=None, enable_auto_commit=False, max_partition_fetch_bytes=4 << 20
        )
        await consumer.start()
        try:
            consumer.assign(tps)
            ends = await consumer.end_offsets(tps)
            starts = await consumer.beginning_offsets(tps)
            if since_ms is not None:
                found = await consumer.offsets_for_times(dict.fromkeys(tps, since_ms))
                starts = {tp: ends[tp] if found[tp] is None else found[tp].offset for tp in tps}
            for tp in tps:
                consumer.seek(tp, starts[tp])
            records = []
            todo = {tp for tp in tps if ends[tp] > starts[tp]}
            while todo:
                for tp, batch in (await consumer.getmany(*todo, timeout_ms=1000)).items():
                    records += [(r.partition, r.offset, r.value, list(r.headers)) for r in batch if r.offset < ends[tp]]
                for tp in list(todo):
                    if await consumer.position(tp) >= ends[tp]:
                        todo.discard(tp)
        finally:
            await consumer.stop()
    span = {str(tp.partition): [starts[tp], ends[tp]] for tp in tps}
    return records, span


def cmd_verify(args: argparse.Namespace) -> int:
    acks = read_acks(args.acks)
    runs = {run_of(a["id"]) for a in acks}
    try:
        records, span = asyncio.run(read_topic(args.bootstrap, args.topic, args.timeout, args.since_ms))
    except (LookupError, TimeoutError) as exc:
        print(f"ackload verify: {exc or 'timed out reading the topic'}", file=sys.stderr)
        return 2
    keyed = sent_with_keys(acks)
    report = compare(acks, stored_records(records, runs), strict=not args.allow_retry_duplicates, keyed=keyed)
    report = {"topic": args.topic, "runs": sorted(runs), "records_read": len(records), "offsets": span, **report}
    emit(report, args.summary)
    return 0 if report["ok"] else 1


# ---------------------------------------------------------------- command line


def emit(doc: dict, path: str | None) -> None:
    text = json.dumps(doc, indent=2, sort_keys=False)
    if path:
        Path(path).write_text(text + "\n")
    print(text, flush=True)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("send", help="sustained POST /send load, recording every acknowledged id")
    s.add_argument("--url", required=True, help="producer base URL, e.g. http://127.0.0.1:8001")
    s.add_argument("--rate", type=float, default=100, help="requests started per second; 0 = as fast as possible")
    s.add_argument("--duration", type=float, default=30, help="seconds; 0 = until SIGTERM/SIGINT")
    s.add_argument("--concurrency", type=int, default=8, help="parallel connections")
    s.add_argument("--out", required=True, help="JSON-lines file, one line per id")
    s.add_argument(
        "--retries",
        type=int,
        default=0,
        help="retries per id of a 429/500/502/503/504, timeout or connection failure"
        " (with --idempotency-keys: of any 429 or 5xx too)",
    )
    s.add_argument(
        "--retry-delay",
        type=float,
        default=0.5,
        help="seconds between retries; an answer's Retry-After (seconds) shortens the wait, never lengthens it",
    )
    s.add_argument(
        "--idempotency-keys",
        action="store_true",
        help="send `Idempotency-Key: <id>` and the same body (no attempt number) on every attempt;"
        " each line records whether the answer was a replay; `verify` then fails on any id stored twice",
    )
    s.add_argument("--timeout", type=float, default=30, help="HTTP timeout per request, seconds")
    s.add_argument("--pad", type=int, default=0, help="extra characters per body (bigger records)")
    s.add_argument("--run", help="run id prefixed to every record id (default: random)")
    s.add_argument("--summary", help="also write the JSON summary here")
    s.set_defaults(func=cmd_send)
    v = sub.add_parser("verify", help="read the whole topic and compare it with the acknowledged ids")
    v.add_argument("--bootstrap", required=True, help="host:port[,host:port...]")
    v.add_argument("--topic", required=True)
    v.add_argument("--acks", required=True, help="the file `send --out` wrote")
    v.add_argument("--timeout", type=float, default=120, help="seconds to read the topic")
    v.add_argument("--since-ms", type=int, help="read from the first record at or after this epoch time (ms)")
    v.add_argument(
        "--allow-retry-duplicates",
        action="store_true",
        help="do not fail when two client attempts of one id were both stored (ignored for a run sent"
        " with --idempotency-keys: there one record per id is the guarantee)",
    )
    v.add_argument("--summary", help="also write the JSON report here")
    v.set_defaults(func=cmd_verify)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
