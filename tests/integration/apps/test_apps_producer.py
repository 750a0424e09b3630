"""Producer and consumer apps over real HTTP against a real broker."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
from kafka import KafkaConsumer, TopicPartition

from tests.integration.apps.support import AppProcess, wait_for

pytestmark = pytest.mark.integration


def read_record(bootstrap: str, topic: str, partition: int, offset: int):
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, consumer_timeout_ms=10_000)
    try:
        tp = TopicPartition(topic, partition)
        consumer.assign([tp])
        consumer.seek(tp, offset)
        for batch in consumer.poll(timeout_ms=10_000, max_records=1).values():
            return batch[0]
    finally:
        consumer.close()
    raise AssertionError(f"no record at {topic}/{partition}@{offset}")


def messages(consumer: AppProcess) -> list[dict]:
    return httpx.get(consumer.url + "/messages").json()["messages"]


def test_seed_curl_returns_offset_and_record_is_in_kafka(producer, consumer, app_env, kafka_broker):
    # Byte for byte what the seed's curl sends.
    started = time.perf_counter()
    r = httpx.post(
        producer.url + "/send", content=b'{"key": "Hello Kafka!"}', headers={"Content-Type": "application/json"}
    )
    latency = time.perf_counter() - started
    assert r.status_code == 200, r.text
    meta = r.json()
    assert set(meta) == {"topic", "partition", "offset", "timestamp"} and meta["topic"] == app_env["KAFKA_TOPIC"]
    record = read_record(kafka_broker.bootstrap, meta["topic"], meta["partition"], meta["offset"])
    assert record.value == b'{"key": "Hello Kafka!"}' and record.key is None  # body "key" is not the record key
    assert record.timestamp == meta["timestamp"]
    print(f"/send latency {latency * 1000:.1f} ms")


def test_consumer_shows_record_in_messages_and_page(producer, consumer):
    r = httpx.post(producer.url + "/send", json={"shown": "on the page"}, params={"key": "k1"})
    meta = r.json()
    seen = wait_for(
        lambda: [
            m for m in messages(consumer) if m["offset"] == meta["offset"] and m["partition"] == meta["partition"]
        ],
        timeout=10,
    )
    assert seen[0]["key"] == "k1" and json.loads(seen[0]["value"]) == {"shown": "on the page"}
    page = httpx.get(consumer.url + "/")
    assert "{&quot;shown&quot;:&quot;on the page&quot;}" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_record_key_and_headers_from_http(producer, kafka_broker):
    r = httpx.post(
        producer.url + "/send",
        json={"key": "body field"},
        headers={"X-Record-Key": "hdr-key", "X-Record-Header-Trace-Id": "abc123"},
    )
    meta = r.json()
    record = read_record(kafka_broker.bootstrap, meta["topic"], meta["partition"], meta["offset"])
    assert record.key == b"hdr-key"
    assert ("trace-id", b"abc123") in list(record.headers)


def test_malformed_json_is_422_with_parse_error(producer):
    r = httpx.post(producer.url + "/send", content=b'{"key": "Hello', headers={"Content-Type": "application/json"})
    assert r.status_code == 422
    assert r.json()["detail"]["error"] == "malformed JSON" and "Unterminated string" in r.json()["detail"]["message"]


def test_wrong_content_type_is_415(producer):
    r = httpx.post(producer.url + "/send", content=b"key=value", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415


def test_body_over_limit_is_413(producer):
    body = json.dumps({"v": "x" * (1024 * 1024)}).encode()
    r = httpx.post(producer.url + "/send", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and r.json()["detail"]["limit_bytes"] == 1048576


def test_batch_json_array_and_ndjson(producer, kafka_broker):
    r = httpx.post(producer.url + "/send/batch", json=[{"n": 1}, {"n": 2}, {"n": 3}])
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["index"] for x in results] == [0, 1, 2] and all(x["ok"] for x in results)
    last = results[2]
    assert read_record(kafka_broker.bootstrap, last["topic"], last["partition"], last["offset"]).value == b'{"n":3}'
    nd = httpx.post(
        producer.url + "/send/batch", content=b'{"a":1}\n{"b":2}\n', headers={"Content-Type": "application/x-ndjson"}
    )
    assert nd.status_code == 200 and nd.json()["sent"] == 2


def test_concurrent_requests_all_acknowledged(producer):
    async def burst(n: int) -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=producer.url, timeout=30) as client:
            return await asyncio.gather(*(client.post("/send", json={"i": i}) for i in range(n)))

    started = time.perf_counter()
    responses = asyncio.run(burst(200))
    elapsed = time.perf_counter() - started
    assert all(r.status_code == 200 for r in responses)
    assert len({(r.json()["partition"], r.json()["offset"]) for r in responses}) == 200
    print(f"200 concurrent /send in {elapsed:.2f}s ({200 / elapsed:.0f} req/s)")


def test_buffer_never_exceeds_n(producer, consumer):
    def consumed() -> int:
        return httpx.get(consumer.url + "/messages").json()["status"]["consumed"]

    before = consumed()
    r = httpx.post(producer.url + "/send/batch", json=[{"burst": i} for i in range(35)])
    assert r.status_code == 200
    # Arrival order across partitions decides which 10 stay, so wait for all 35.
    wait_for(lambda: consumed() >= before + 35, timeout=30)
    for _poll in range(10):
        assert len(messages(consumer)) <= 10
    page = httpx.get(consumer.url + "/").text
    assert page.count("<tr data-seq=") == 10


def test_large_value_is_truncated_on_page(producer, consumer):
    big = {"big": "y" * 900_000}
    r = httpx.post(producer.url + "/send", json=big)
    assert r.status_code == 200, r.text
    meta = r.json()
    entry = wait_for(
        lambda: [m for m in messages(consumer) if (m["partition"], m["offset"]) == (meta["partition"], meta["offset"])],
        timeout=15,
    )[0]
    assert entry["truncated"] and entry["value_bytes"] > 900_000
    page = httpx.get(consumer.url + "/")
    assert f"truncated: 2000 of {entry['value_bytes']} characters shown" in page.text
    assert len(page.content) < 200_000


def test_health_metrics_and_docs(producer, consumer):
    assert httpx.get(producer.url + "/healthz").json() == {"status": "ok"}
    assert httpx.get(consumer.url + "/healthz").json() == {"status": "ok"}
    pm = httpx.get(producer.url + "/metrics").text
    assert "producer_send_latency_seconds_bucket" in pm and 'producer_errors_total{kind="http_415"}' in pm
    assert "producer_kafka_up 1.0" in pm
    cm = httpx.get(consumer.url + "/metrics").text
    assert "consumer_records_total" in cm and "consumer_buffer_entries 10.0" in cm
    assert httpx.get(producer.url + "/docs").status_code == 404  # API_DOCS is off by default
    assert "/send/batch" in httpx.get(producer.url + "/openapi.json").json()["paths"]


def test_instances_split_partitions_and_sigterm_leaves_group(consumer, app_env, tmp_path):
    second = AppProcess("consumer", tmp_path, app_env).start()
    try:
        second.wait_ready()

        def split():
            a = httpx.get(consumer.url + "/messages").json()["status"]["partitions"]
            b = httpx.get(second.url + "/messages").json()["status"]["partitions"]
            return (a, b) if a and b else None

        a, b = wait_for(split, timeout=30, interval=0.5)
        assert not set(a) & set(b) and sorted(a + b) == [0, 1, 2]
        assert "Partitions owned by this instance: " + ", ".join(map(str, b)) in httpx.get(second.url + "/").text
    finally:
        started = time.monotonic()
        second.stop()
        stop_s = time.monotonic() - started
    # uvicorn re-raises SIGTERM after a clean shutdown, hence -15.
    assert second.proc.returncode in (0, -15) and stop_s < 10
    assert "Application shutdown complete" in second.log.read_text()
    # Leaving the group on SIGTERM hands the partitions back without waiting for the session timeout.
    wait_for(lambda: httpx.get(consumer.url + "/messages").json()["status"]["partitions"] == [0, 1, 2], timeout=8)
