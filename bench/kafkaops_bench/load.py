"""Load generators: wrk for HTTP throughput, Kafka's own tools for the baselines, JSON bodies."""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from pathlib import Path

from . import lab

LUA = Path(__file__).with_name("wrk") / "load.lua"


def json_doc(size: int, n: int = 0) -> bytes:
    """A JSON object of exactly `size` bytes."""
    head = json.dumps({"n": n, "pad": ""}, separators=(",", ":")).encode()
    pad = b"x" * max(0, size - len(head))
    return json.dumps({"n": n, "pad": pad.decode()}, separators=(",", ":")).encode()


def batch_body(records: int, size: int) -> bytes:
    return b"[" + b",".join(json_doc(size, i) for i in range(records)) + b"]"


def wrk(
    url: str,
    method: str = "GET",
    body: bytes | None = None,
    connections: int = 64,
    seconds: int = 10,
    threads: int = 2,
    content_type: str = "application/json",
) -> dict:
    """One wrk run; returns ok (2xx) and other responses, socket errors and requests/s of 2xx."""
    with tempfile.NamedTemporaryFile(suffix=".body") as tmp:
        args = [method]
        if body is not None:
            tmp.write(body)
            tmp.flush()
            args += [tmp.name, content_type]
        cmd = [
            "wrk",
            "-t",
            str(threads),
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(LUA),
            url,
            "--",
            *args,
        ]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("WRKJSON "))
    res = json.loads(line[len("WRKJSON ") :])
    res["ok_per_s"] = res["ok"] / (res["duration_us"] / 1e6)
    return res


def producer_perf(records: int, size: int, topic: str = lab.TOPIC, host: str = "kafka1", throughput: int = -1) -> dict:
    """Kafka's ProducerPerformance with acks=all (idempotent, as the app's producer)."""
    out = lab.kafka_tool(
        "org.apache.kafka.tools.ProducerPerformance",
        f"--topic {topic} --num-records {records} --record-size {size} --throughput {throughput} "
        f"--producer-props bootstrap.servers={lab.BOOTSTRAP} acks=all",
        host=host,
    )
    m = re.findall(r"(\d+) records sent, ([\d.]+) records/sec .*?([\d.]+) ms avg latency, ([\d.]+) ms max", out)
    if not m:
        raise RuntimeError(f"ProducerPerformance printed no summary:\n{out[-2000:]}")
    sent, rate, avg, mx = m[-1]
    pct = re.search(r"([\d.]+) ms 50th, ([\d.]+) ms 95th, ([\d.]+) ms 99th", out)
    return {
        "records": int(sent),
        "records_per_s": float(rate),
        "avg_ms": float(avg),
        "max_ms": float(mx),
        "p99_ms": float(pct.group(3)) if pct else None,
    }


def end_to_end_latency(topic: str, messages: int, size: int, host: str = "kafka1") -> dict:
    """Kafka's EndToEndLatency: one record at a time, produce (acks=all) to consume."""
    out = lab.kafka_tool(
        "org.apache.kafka.tools.EndToEndLatency", f"{lab.BOOTSTRAP} {topic} {messages} all {size}", host=host
    )
    m = re.search(r"50th = ([\d.]+), 99th = ([\d.]+), 99\.9th = ([\d.]+)", out)
    avg = re.search(r"Avg latency: ([\d.]+) ms", out)
    if not m:
        raise RuntimeError(f"EndToEndLatency printed no percentiles:\n{out[-2000:]}")
    return {
        "p50_ms": float(m.group(1)),
        "p99_ms": float(m.group(2)),
        "p999_ms": float(m.group(3)),
        "avg_ms": float(avg.group(1)) if avg else None,
    }


def ensure_topic(topic: str, partitions: int, rf: int = 3) -> None:
    lab.kafka_tool(
        "kafka-topics.sh",
        f"--bootstrap-server {lab.BOOTSTRAP} --create --if-not-exists --topic {topic} "
        f"--partitions {partitions} --replication-factor {rf}",
    )
