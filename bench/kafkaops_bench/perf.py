"""P1-P6: each figure beside a baseline measured in the same run."""

from __future__ import annotations

import asyncio
import http.client
import json
import multiprocessing
import re
import subprocess
import time
import uuid

from . import lab, load
from .stats import percentile, ratios, summary

BODY_BYTES = 1024


def warm_up(seconds: int, connections: int = 64) -> None:
    load.wrk(lab.PRODUCER + "/send", "POST", load.json_doc(BODY_BYTES), connections, seconds)


def p1_send_vs_healthz(runs: int, seconds: int = 10, connections: int = 64) -> dict:
    """/send (acks=all, 1 KB) against a bare 200 on the same server, same wrk load."""
    body = load.json_doc(BODY_BYTES)
    # Warm-up long enough for the brokers' JIT: right after P4's cold deploy a 3 s warm-up
    # left /send at half its warm-lab rate.
    load.wrk(lab.PRODUCER + "/send", "POST", body, connections, 15)
    base, send = [], []
    for _run in range(runs):
        base.append(load.wrk(lab.PRODUCER + "/healthz", "GET", None, connections, seconds))
        send.append(load.wrk(lab.PRODUCER + "/send", "POST", body, connections, seconds))
    r = ratios([s["ok_per_s"] for s in send], [b["ok_per_s"] for b in base])
    return {
        "id": "P1",
        "measure": "/send req/s ÷ /healthz req/s (acks=all, 1 KB, 64 connections)",
        "goal": ">= 0.75",
        "ratio": summary(r),
        "pass": summary(r)["median"] >= 0.75,
        "send_req_s": summary([s["ok_per_s"] for s in send]),
        "healthz_req_s": summary([b["ok_per_s"] for b in base]),
        "send_p99_ms": summary([s["p99_us"] / 1000 for s in send]),
        "send_non_2xx": sum(s["other"] + s["socket_errors"] for s in send),
        "raw": {"send": send, "healthz": base},
    }


def p2_batch_vs_perf(
    runs: int, seconds: int = 10, batch: int = 200, connections: int = 8, perf_records: int = 100_000
) -> dict:
    """/send/batch messages/s against ProducerPerformance (1 KB, acks=all, test-topic)."""
    body = load.batch_body(batch, BODY_BYTES)
    load.wrk(lab.PRODUCER + "/send/batch", "POST", body, connections, 3)
    app, base = [], []
    for _run in range(runs):
        res = load.wrk(lab.PRODUCER + "/send/batch", "POST", body, connections, seconds)
        res["messages_per_s"] = res["ok_per_s"] * batch
        app.append(res)
        base.append(load.producer_perf(perf_records, BODY_BYTES))
    r = ratios([a["messages_per_s"] for a in app], [b["records_per_s"] for b in base])
    return {
        "id": "P2",
        "measure": f"/send/batch msg/s ÷ ProducerPerformance msg/s (1 KB, acks=all; {batch} per request)",
        "goal": ">= 0.5",
        "ratio": summary(r),
        "pass": summary(r)["median"] >= 0.5,
        "batch_msg_s": summary([a["messages_per_s"] for a in app]),
        "perf_msg_s": summary([b["records_per_s"] for b in base]),
        "batch_non_2xx": sum(a["other"] + a["socket_errors"] for a in app),
        "raw": {"batch": app, "producer_performance": base},
    }


def _observe(stop, out, host: str, port: int) -> None:
    """In its own process, so the sender's event loop cannot delay it: id -> when the page's
    SSE stream showed it (CLOCK_MONOTONIC is system-wide)."""
    seen: dict[str, float] = {}
    last_id = None
    while not stop.is_set():
        try:
            conn = http.client.HTTPConnection(host, port, timeout=5)
            conn.request("GET", "/events", headers={"Last-Event-ID": last_id} if last_id else {})
            resp = conn.getresponse()
            event = None
            while not stop.is_set():
                line = resp.readline()
                if not line:
                    break
                now = time.monotonic()
                text = line.decode().rstrip("\n")
                if text.startswith("id: "):
                    last_id = text[4:]
                elif text.startswith("event: "):
                    event = text[7:]
                elif text.startswith("data: ") and event == "record":
                    m = re.search(r'\\"b\\":\\"([^\\"]+)', text)
                    if m and m.group(1) not in seen:
                        seen[m.group(1)] = now
            conn.close()
        except (OSError, http.client.HTTPException):
            time.sleep(0.2)
    out.put(seen)


async def _post(pool: asyncio.Queue, body: bytes) -> int:
    """POST /send on a pooled keep-alive connection: a bare HTTP/1.1 client, because httpx
    itself saturated a core at 500 req/s here and delayed what it measured."""
    reader, writer = await pool.get()
    try:
        head = (
            f"POST /send HTTP/1.1\r\nHost: {lab.APPS[1]}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        writer.write(head + body)
        status_line = await reader.readline()
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        await reader.readexactly(length)
        return int(status_line.split()[1])
    finally:
        pool.put_nowait((reader, writer))


async def _e2e_app(rate: int, seconds: int, size: int) -> dict:
    """Send at a fixed rate to /send and time each record until the consumer app's SSE shows it."""
    run_id = uuid.uuid4().hex[:8]
    sent_at: dict[str, float] = {}
    answered_ms: list[float] = []  # /send round trip alone, to tell producing from consuming
    status: dict[int, int] = {}
    ctx = multiprocessing.get_context("fork")
    stop, out = ctx.Event(), ctx.Queue()
    watcher = ctx.Process(target=_observe, args=(stop, out, lab.APPS[1], 8002), daemon=True)
    watcher.start()
    pool: asyncio.Queue = asyncio.Queue()
    for _connection in range(64):
        pool.put_nowait(await asyncio.open_connection(lab.APPS[1], 8001))

    async def send_one(i: int) -> None:
        key = f"{run_id}-{i}"
        body = ('{"b":"' + key + '",' + load.json_doc(size, i).decode()[1:]).encode()
        sent_at[key] = time.monotonic()
        try:
            code = await asyncio.wait_for(_post(pool, body), 15)
            answered_ms.append((time.monotonic() - sent_at[key]) * 1000)
        except (OSError, TimeoutError, ValueError, IndexError, asyncio.IncompleteReadError):
            code = 0
        status[code] = status.get(code, 0) + 1

    await asyncio.sleep(1)  # the stream is open before the first record
    start = time.monotonic()
    tasks = []
    for i in range(rate * seconds):
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send_one(i)))
    achieved = len(tasks) / (time.monotonic() - start)
    await asyncio.gather(*tasks)
    await asyncio.sleep(3)  # the last records reach the page
    stop.set()
    seen_at = out.get(timeout=30)
    watcher.join(10)
    while not pool.empty():
        pool.get_nowait()[1].close()
    lat = [(seen_at[k] - sent_at[k]) * 1000 for k in seen_at if k in sent_at]
    return {
        "sent": len(sent_at),
        "observed": len(lat),
        "achieved_rate": achieved,
        "status": status,
        "p50_ms": percentile(lat, 50),
        "p99_ms": percentile(lat, 99),
        "max_ms": max(lat) if lat else None,
        "send_p50_ms": percentile(answered_ms, 50),
        "send_p99_ms": percentile(answered_ms, 99),
    }


def p3_latency(runs: int, rate: int = 500, seconds: int = 20, e2e_messages: int = 2000) -> dict:
    """/send -> consumer app buffer at 500 msg/s against EndToEndLatency's p99 (1 KB, acks=all)."""
    load.ensure_topic("bench-e2e", 1)
    app, base = [], []
    for _run in range(runs):
        # P1/P2 leave a backlog; measured behind it, the figure would be the backlog.
        _wait_consumed(0, 1200)
        app.append(asyncio.run(_e2e_app(rate, seconds, BODY_BYTES)))
        base.append(load.end_to_end_latency("bench-e2e", e2e_messages, BODY_BYTES))
    r99 = ratios([a["p99_ms"] for a in app], [b["p99_ms"] for b in base])
    r50 = ratios([a["p50_ms"] for a in app], [b["p99_ms"] for b in base])
    return {
        "id": "P3",
        "measure": f"/send -> consumer page latency at {rate} msg/s ÷ EndToEndLatency p99",
        "goal": "p99 <= 3x",
        "ratio": summary(r99),
        "ratio_p50": summary(r50),
        "pass": summary(r99)["median"] <= 3,
        "app_p50_ms": summary([a["p50_ms"] for a in app]),
        "app_p99_ms": summary([a["p99_ms"] for a in app]),
        "send_p99_ms": summary([a["send_p99_ms"] for a in app]),
        "e2e_p50_ms": summary([b["p50_ms"] for b in base]),
        "e2e_p99_ms": summary([b["p99_ms"] for b in base]),
        "achieved_rate": summary([a["achieved_rate"] for a in app]),
        "observed_share": summary([a["observed"] / max(a["sent"], 1) for a in app]),
        "raw": {"app": app, "end_to_end_latency": base},
    }


def _playbook(args: list[str], cmd: list[str] | None = None) -> tuple[float, dict]:
    env = lab.env()
    env["ANSIBLE_CALLBACKS_ENABLED"] = "ansible.posix.timer"
    start = time.monotonic()
    proc = subprocess.run(
        cmd or ["ansible-playbook", "site.yml", "-i", "inventories/lab", *args],
        cwd=lab.REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.monotonic() - start
    if proc.returncode:
        raise RuntimeError(f"deploy failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}")
    took = re.search(r"Playbook run took (\d+) days, (\d+) hours, (\d+) minutes, (\d+) seconds", proc.stdout)
    if took:
        d, h, m, s = (int(x) for x in took.groups())
        wall = ((d * 24 + h) * 60 + m) * 60 + s
    changed = sum(int(x) for x in re.findall(r"changed=(\d+)", proc.stdout))
    tasks = len(re.findall(r"^TASK \[", proc.stdout, re.M))
    return wall, {"changed": changed, "tasks": tasks}


def p4_deploy(cold_runs: int, noop_runs: int) -> dict:
    """site.yml on a fresh lab against a no-op re-run (changed=0)."""
    cold, noop, info = [], [], []
    for _run in range(cold_runs):
        subprocess.run([str(lab.REPO / "tools" / "lab.sh"), "down"], env=lab.env(), check=True, capture_output=True)
        wall, meta = _playbook([], [str(lab.REPO / "tools" / "lab.sh"), "up"])
        cold.append(wall)
        info.append({"cold": meta})
    lab.wait_ready(300)
    for _run in range(noop_runs):
        wall, meta = _playbook([])
        noop.append(wall)
        info.append({"noop": meta})
    changed = [i["noop"]["changed"] for i in info if "noop" in i]
    cold_s, noop_s = summary(cold), summary(noop)
    ratio = noop_s["median"] / cold_s["median"] if cold else float("nan")
    return {
        "id": "P4",
        "measure": "site.yml no-op re-run ÷ cold deploy on a fresh lab",
        "goal": "<= 0.25",
        "ratio": summary([ratio]) if cold else summary([]),
        "pass": bool(cold) and ratio <= 0.25 and not any(changed),
        "cold_s": cold_s,
        "noop_s": noop_s,
        "noop_changed": changed,
        "raw": info,
    }


def _consumer_status() -> dict:
    return lab.get_json(lab.CONSUMER + "/messages", timeout=5).get("status", {})


def _wait_consumed(target: int, timeout: float) -> None:
    def caught_up() -> bool:
        st = _consumer_status()
        return st.get("consumed", 0) >= target and st.get("total_lag") == 0

    lab.wait_until(caught_up, timeout, 2, f"consumer app consumed {target}")


def p5_memory(small: int = 1000, large: int = 1_000_000, size: int = BODY_BYTES) -> dict:
    """Consumer app RSS after `small` and after `large` records, in a fresh process."""
    host = lab.APPS[0]
    lab.sh(host, f"systemctl restart {lab.CONSUMER_UNIT}")
    lab.wait_until(lambda: lab.http("GET", lab.CONSUMER + "/readyz", timeout=3)[0] == 200, 120, 1, "consumer ready")
    _wait_consumed(0, 300)
    load.producer_perf(small, size)
    _wait_consumed(small, 300)
    rss_small = lab.rss_kib(host, lab.CONSUMER_UNIT)
    started = time.monotonic()
    perf = load.producer_perf(large - small, size)
    peak = rss_small
    while True:
        peak = max(peak, lab.rss_kib(host, lab.CONSUMER_UNIT))
        st = _consumer_status()
        if st.get("consumed", 0) >= large and st.get("total_lag") == 0:
            break
        if time.monotonic() - started > 1800:
            raise TimeoutError("consumer app did not catch up within 30 min")
        time.sleep(2)
    consume_s = time.monotonic() - started
    rss_large = lab.rss_kib(host, lab.CONSUMER_UNIT)
    growth_mb = (rss_large - rss_small) / 1024
    return {
        "id": "P5",
        "measure": f"consumer app RSS after {small:,} and after {large:,} records ({size} B)",
        "goal": "growth <= 10 MB",
        "ratio": summary([growth_mb]),
        "pass": growth_mb <= 10,
        "rss_small_mib": rss_small / 1024,
        "rss_large_mib": rss_large / 1024,
        "rss_peak_mib": peak / 1024,
        "growth_mib": growth_mb,
        "produce_msg_s": perf["records_per_s"],
        "consume_msg_s": (large - small) / consume_s,
    }


def _key_for_partition(partition: int) -> str:
    """A record key the producer app hashes to `partition` (found by asking it)."""
    for i in range(500):
        key = f"p6-{i}"
        status, body = lab.http("POST", f"{lab.PRODUCER}/send?key={key}", b'{"probe":true}', timeout=10)
        if status == 200 and json.loads(body)["partition"] == partition:
            return key
    raise RuntimeError(f"no key found for partition {partition}")


def p6_failover(runs: int, partition: int = 0) -> dict:
    """kill -9 of the partition leader's broker -> next acknowledged /send, keyed to that partition
    (and any /send, unkeyed)."""
    keyed, unkeyed, detail = [], [], []
    key = _key_for_partition(partition)
    for _run in range(runs):
        lab.wait_ready(300)
        leader = next(p.leader for p in lab.describe() if p.partition == partition)
        t_any = None
        lab.kill_broker(leader)
        t0 = time.monotonic()
        attempts = 0
        while time.monotonic() - t0 < 120:
            attempts += 1
            if t_any is None:
                s_any, _body = lab.http("POST", lab.PRODUCER + "/send", b'{"p6":"any"}', timeout=15)
                if s_any == 200:
                    t_any = time.monotonic() - t0
            status, _body = lab.http("POST", f"{lab.PRODUCER}/send?key={key}", b'{"p6":"keyed"}', timeout=15)
            if status == 200:
                break
            time.sleep(0.05)
        t_keyed = time.monotonic() - t0
        new_leader = next((p.leader for p in lab.describe() if p.partition == partition), None)
        lab.restore_brokers()
        keyed.append(t_keyed)
        unkeyed.append(t_any if t_any is not None else t_keyed)
        detail.append(
            {"killed": leader, "new_leader": new_leader, "keyed_s": t_keyed, "any_s": t_any, "attempts": attempts}
        )
    return {
        "id": "P6",
        "measure": f"kill -9 of partition {partition}'s leader -> next acknowledged /send to that partition",
        "goal": "<= 10 s",
        "ratio": summary(keyed),
        "pass": summary(keyed)["median"] <= 10,
        "keyed_s": summary(keyed),
        "any_s": summary(unkeyed),
        "raw": detail,
    }
