"""Records the consumer cannot parse or format never wedge it (real broker, real consumer process).

A header key that is not UTF-8 makes aiokafka's record parsing raise; the consumer must skip
that one record, show a placeholder for it, commit past it and go on without restarting.
A timestamp past year 9999 must render as its raw value instead of failing the page.
"""

from __future__ import annotations

import json
import time
import uuid

import httpx
import pytest
from kafka.admin import KafkaAdminClient

from tests.integration.apps.raw_records import produce_raw
from tests.integration.apps.support import wait_for

pytestmark = pytest.mark.integration

YEAR_10000_MS = 253_402_300_800_000  # 10000-01-01T00:00:00Z: past what datetime can hold


def committed(bootstrap: str, group: str) -> dict[int, int]:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    try:
        offsets = admin.list_group_offsets({group: None}).get(group, {})
    finally:
        admin.close()
    return {tp.partition: meta.offset for tp, meta in offsets.items()}


def sse_records(url: str, wanted, timeout: float) -> list[dict]:
    """Follow /events from the start until a record satisfies `wanted`; return the records seen."""
    seen: list[dict] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with httpx.stream("GET", url + "/events", params={"since": 0}, timeout=5) as stream:
            event = None
            for line in stream.iter_lines():
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and event == "record":
                    seen.append(json.loads(line[6:]))
                    if wanted(seen[-1]):
                        return seen
                elif line == ": keepalive" or time.monotonic() > deadline:
                    break
    raise AssertionError(f"no matching record over SSE within {timeout}s; saw {seen}")


def skipped_total(url: str) -> float:
    for line in httpx.get(url + "/metrics", timeout=5).text.splitlines():
        if line.startswith('consumer_records_skipped_total{reason="undecodable"}'):
            return float(line.split()[-1])
    return 0.0  # not exported (yet): the assertions on its increase fail


def test_undecodable_record_is_skipped_and_committed_past(consumer, app_env, kafka_broker):
    bootstrap, topic, group = kafka_broker.bootstrap, app_env["KAFKA_TOPIC"], app_env["KAFKA_GROUP_ID"]
    tag, now = uuid.uuid4().hex[:8], int(time.time() * 1000)
    pid, skipped_before = consumer.proc.pid, skipped_total(consumer.url)
    # One batch: a readable record, then the poison; the record before it in the same fetch
    # must be shown.
    batch = [(None, f"before-{tag}".encode(), []), (b"k", b"poison", [(b"\xff\xfe-not-utf8", b"x")])]
    poison = produce_raw(bootstrap, topic, 1, batch, now) + 1
    other = produce_raw(bootstrap, topic, 0, [(None, f"other-partition-{tag}".encode(), [])], now)
    after = produce_raw(bootstrap, topic, 1, [(None, f"after-{tag}".encode(), [(b"source", b"test")])], now)
    produced = time.monotonic()

    placeholder = f"undecodable record at partition 1 offset {poison}"
    expected = (f"before-{tag}", f"other-partition-{tag}", f"after-{tag}", placeholder)

    def page_shows_all() -> bool:
        page = httpx.get(consumer.url + "/", timeout=5)
        return page.status_code == 200 and all(text in page.text for text in expected)

    def committed_past() -> bool:
        offsets = committed(bootstrap, group)
        return offsets.get(1, -1) > after > poison and offsets.get(0, -1) > other

    wait_for(page_shows_all, timeout=5, interval=0.2)
    wait_for(committed_past, timeout=max(0.5, 5 - (time.monotonic() - produced)), interval=0.2)

    assert consumer.proc.poll() is None and consumer.proc.pid == pid
    log = consumer.log.read_text()
    assert "consumer failed" not in log, log[-2000:]
    assert log.count(f"partition 1 offset {poison}") == 1, log[-2000:]
    assert httpx.get(consumer.url + "/readyz", timeout=5).status_code == 200
    assert skipped_total(consumer.url) == skipped_before + 1
    records = sse_records(consumer.url, lambda r: r.get("skipped") == placeholder, timeout=10)
    assert [r["offset"] for r in records if r.get("skipped") and r["partition"] == 1] == [poison]


def test_rest_of_the_poison_batch_gets_placeholders_then_consumption_goes_on(consumer, app_env, kafka_broker):
    """aiokafka parses a batch from its start, so the records after the poison in its batch cannot
    be read either; each is shown as a placeholder and the next batch is read normally."""
    bootstrap, topic, group = kafka_broker.bootstrap, app_env["KAFKA_TOPIC"], app_env["KAFKA_GROUP_ID"]
    tag, now = uuid.uuid4().hex[:8], int(time.time() * 1000)
    skipped_before = skipped_total(consumer.url)
    batch = [(None, b"poison", [(b"\xff", b"x")]), (None, b"trailing-1", []), (None, b"trailing-2", [])]
    poison = produce_raw(bootstrap, topic, 2, batch, now)
    after = produce_raw(bootstrap, topic, 2, [(None, f"after-{tag}".encode(), [])], now)
    expected = [f"after-{tag}"] + [f"undecodable record at partition 2 offset {poison + i}" for i in range(3)]

    def page_shows_all() -> bool:
        page = httpx.get(consumer.url + "/", timeout=5)
        return page.status_code == 200 and all(text in page.text for text in expected)

    wait_for(page_shows_all, timeout=10, interval=0.2)
    wait_for(lambda: committed(bootstrap, group).get(2, -1) > after, timeout=5, interval=0.2)
    assert skipped_total(consumer.url) == skipped_before + 3
    assert "consumer failed" not in consumer.log.read_text()


def test_far_future_timestamp_renders_raw(consumer, app_env, kafka_broker):
    bootstrap, topic = kafka_broker.bootstrap, app_env["KAFKA_TOPIC"]
    tag = uuid.uuid4().hex[:8]
    produce_raw(bootstrap, topic, 2, [(None, f"future-{tag}".encode(), [])], YEAR_10000_MS)

    def page() -> httpx.Response | None:
        response = httpx.get(consumer.url + "/", timeout=5)
        return response if response.status_code != 200 or f"future-{tag}" in response.text else None

    response = wait_for(page, timeout=5, interval=0.2)
    assert response.status_code == 200, response.text[:300]
    assert str(YEAR_10000_MS) in response.text
    entry = next(m for m in httpx.get(consumer.url + "/messages").json()["messages"] if m["value"] == f"future-{tag}")
    assert entry["timestamp"] == YEAR_10000_MS
