"""Idempotency-Key on the producer, against a real broker and a real producer process: a retry
never writes a record twice, also when the broker goes down while the request is in flight.
The topic is read back with Kafka's own console consumer, headers included."""

from __future__ import annotations

import asyncio
import collections
import json
import shutil
import signal
import subprocess
import time
import uuid

import httpx
import pytest

from tests.integration.apps.conftest import SEND_TIMEOUT_S
from tests.support.kafka_broker import KafkaBroker, kafka_home

pytestmark = pytest.mark.integration

OUTAGE_RECORDS = 300
OUTAGE_RATE_PER_S = 20
OUTAGE_START_S = 3
# Longer than the send timeout: first attempts answer 503 while their records wait in the
# producer, and are written once the broker is back.
OUTAGE_S = 4 * SEND_TIMEOUT_S
RETRY_PAUSE_S = 1.0


@pytest.fixture(scope="module")
def kafka_broker(tmp_path_factory):
    """This module stops its broker, so it has its own: the session's shared broker stays up."""
    broker = KafkaBroker(tmp_path_factory.mktemp("kafka-idempotency"))
    broker.start()
    yield broker
    broker.stop()


def read_topic(bootstrap: str, topic: str, idle_ms: int = 8000) -> list[dict]:
    """Every record of the topic through Kafka's console consumer: partition, offset, headers, value."""
    home = kafka_home()
    cmd = [
        shutil.which("java") or "java",
        "-Xmx256m",
        f"-Dlog4j.configuration=file:{home / 'config' / 'tools-log4j.properties'}",
        "-cp",
        str(home / "libs" / "*"),
        "org.apache.kafka.tools.consumer.ConsoleConsumer",  # what kafka-console-consumer.sh runs
        "--bootstrap-server",
        bootstrap,
        "--topic",
        topic,
        "--from-beginning",
        "--timeout-ms",
        str(idle_ms),
        "--property",
        "print.headers=true",
        "--property",
        "print.partition=true",
        "--property",
        "print.offset=true",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    records = []
    for line in out.stdout.splitlines():
        partition, offset, headers, value = line.split("\t", 3)
        records.append(
            {
                "partition": int(partition.removeprefix("Partition:")),
                "offset": int(offset.removeprefix("Offset:")),
                "headers": {} if headers == "NO_HEADERS" else dict(h.split(":", 1) for h in headers.split(",")),
                "value": json.loads(value),
            }
        )
    assert "Processed a total of" in out.stderr, out.stderr[-2000:]
    return records


def metric(producer, name: str) -> float:
    for line in httpx.get(producer.url + "/metrics").text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


def test_same_key_and_body_twice_is_one_record_with_the_first_answer(producer, app_env, kafka_broker):
    replays = metric(producer, "producer_idempotent_replays_total")
    key = str(uuid.uuid4())
    send = {"json": {"order": key}, "headers": {"Idempotency-Key": f'"{key}"', "X-Record-Header-Trace": "t1"}}
    first = httpx.post(producer.url + "/send", **send)
    again = httpx.post(producer.url + "/send", **send)
    assert first.status_code == again.status_code == 200, (first.text, again.text)
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true" and "Idempotent-Replayed" not in first.headers

    batch_key = str(uuid.uuid4())
    batch = {"json": [{"line": 0}, {"line": 1}, {"line": 2}], "headers": {"Idempotency-Key": batch_key}}
    first_batch = httpx.post(producer.url + "/send/batch", **batch)
    again_batch = httpx.post(producer.url + "/send/batch", **batch)
    assert first_batch.status_code == again_batch.status_code == 200, (first_batch.text, again_batch.text)
    assert again_batch.json() == first_batch.json()
    assert metric(producer, "producer_idempotent_replays_total") == replays + 2

    records = read_topic(kafka_broker.bootstrap, app_env["KAFKA_TOPIC"])
    mine = [r for r in records if r["headers"].get("idempotency-key") == key]
    assert [(r["partition"], r["offset"]) for r in mine] == [(first.json()["partition"], first.json()["offset"])]
    assert mine[0]["headers"]["trace"] == "t1" and mine[0]["value"] == {"order": key}
    by_header = collections.Counter(r["headers"].get("idempotency-key") for r in records)
    assert [by_header[f"{batch_key}#{i}"] for i in range(3)] == [1, 1, 1]


def test_same_key_with_another_request_is_422_and_a_malformed_key_400(producer):
    key = str(uuid.uuid4())
    conflicts = metric(producer, "producer_idempotent_conflicts_total")
    assert httpx.post(producer.url + "/send", json={"v": 1}, headers={"Idempotency-Key": key}).status_code == 200
    other_body = httpx.post(producer.url + "/send", json={"v": 2}, headers={"Idempotency-Key": key})
    assert other_body.status_code == 422, other_body.text
    other_record_key = httpx.post(producer.url + "/send?key=k2", json={"v": 1}, headers={"Idempotency-Key": key})
    assert other_record_key.status_code == 422, other_record_key.text
    other_endpoint = httpx.post(producer.url + "/send/batch", json=[{"v": 1}], headers={"Idempotency-Key": key})
    assert other_endpoint.status_code == 422, other_endpoint.text
    assert metric(producer, "producer_idempotent_conflicts_total") == conflicts + 3
    for bad in ("", "x" * 256, "two words", "a#1"):
        r = httpx.post(producer.url + "/send", json={"v": 1}, headers={"Idempotency-Key": bad})
        assert r.status_code == 400, (bad, r.status_code, r.text)


def _kill(broker: KafkaBroker) -> None:
    broker.proc.kill()
    broker.proc.wait()
    broker.proc = None


OUTAGES = {
    # A clean shutdown: the broker hands over leadership, then stops.
    "stop": (KafkaBroker.stop, KafkaBroker.start),
    # A crash: the client keeps the broker as leader and retries its queued records.
    "kill": (_kill, KafkaBroker.start),
    # A stalled broker (GC pause, stuck disk, partition): requests are written late, after the 503.
    "freeze": (lambda b: b.proc.send_signal(signal.SIGSTOP), lambda b: b.proc.send_signal(signal.SIGCONT)),
}


@pytest.mark.parametrize("how", list(OUTAGES))
def test_retries_through_a_broker_outage_write_every_record_exactly_once(producer, app_env, kafka_broker, figure, how):
    run = uuid.uuid4().hex[:8]
    attempts: collections.Counter[str] = collections.Counter()
    answers: dict[int, dict] = {}

    async def deliver(http: httpx.AsyncClient, number: int) -> None:
        await asyncio.sleep(number / OUTAGE_RATE_PER_S)
        headers = {"Idempotency-Key": f"{run}-{number}"}
        while True:
            try:
                r = await http.post("/send", json={"run": run, "id": number}, headers=headers)
            except httpx.TransportError as exc:
                attempts[type(exc).__name__] += 1
            else:
                attempts[str(r.status_code)] += 1
                if r.status_code == 200:
                    answers[number] = r.json()
                    return
                assert r.status_code == 503 and "Retry-After" in r.headers, r.text
            await asyncio.sleep(RETRY_PAUSE_S)

    async def outage() -> float:
        await asyncio.sleep(OUTAGE_START_S)
        stopped = time.monotonic()
        await asyncio.to_thread(OUTAGES[how][0], kafka_broker)
        await asyncio.sleep(OUTAGE_S)
        await asyncio.to_thread(OUTAGES[how][1], kafka_broker)
        return time.monotonic() - stopped

    async def main() -> float:
        limits = httpx.Limits(max_connections=OUTAGE_RECORDS + 10)
        timeout = httpx.Timeout(SEND_TIMEOUT_S + 5)
        async with httpx.AsyncClient(base_url=producer.url, limits=limits, timeout=timeout) as http:
            clients = asyncio.gather(*(deliver(http, n) for n in range(OUTAGE_RECORDS)))
            try:
                down_s, _responses = await asyncio.wait_for(asyncio.gather(outage(), clients), timeout=240)
            finally:
                clients.cancel()
        return down_s

    started = time.monotonic()
    try:
        down_s = asyncio.run(main())
    finally:
        if kafka_broker.proc is None:
            kafka_broker.start()
        else:
            kafka_broker.proc.send_signal(signal.SIGCONT)
    took = time.monotonic() - started

    records = [r for r in read_topic(kafka_broker.bootstrap, app_env["KAFKA_TOPIC"]) if r["value"].get("run") == run]
    written = collections.Counter(r["value"]["id"] for r in records)
    missing = sorted(set(range(OUTAGE_RECORDS)) - set(written))
    duplicated = {number: count for number, count in written.items() if count > 1}
    retries = sum(attempts.values()) - OUTAGE_RECORDS
    figure(
        f"idempotency outage ({how}): {OUTAGE_RECORDS} keys, broker down {down_s:.1f}s, {retries} retries"
        f" ({dict(attempts)}), {len(records)} records in Kafka, {len(missing)} missing,"
        f" {len(duplicated)} duplicated, {took:.1f}s"
    )
    assert attempts["503"] > 0, "no request failed: the outage did not hit the clients"
    assert not missing and not duplicated, f"missing {missing[:10]}, duplicated {list(duplicated.items())[:10]}"
    for record in records:
        number = record["value"]["id"]
        assert record["headers"]["idempotency-key"] == f"{run}-{number}"
        assert (record["partition"], record["offset"]) == (answers[number]["partition"], answers[number]["offset"])
