"""Request bounds on a real producer process: header size and count (431), record headers (422),
concurrency (503 + Retry-After), and the record key as bytes (read back from Kafka)."""

from __future__ import annotations

import http.client

import httpx
import pytest

from tests.integration.apps.support import AppProcess
from tests.integration.apps.test_apps_producer import read_record

pytestmark = pytest.mark.integration

JSON = {"Content-Type": "application/json"}


def test_header_over_the_size_limit_is_431_and_the_app_stays_up(producer):
    for size in (20 * 1024, 8 * 1024 * 1024):  # over MAX_HEADER_BYTES in one read; 8 MB over many
        r = httpx.post(producer.url + "/send", json={}, headers={"X-Big": "x" * size}, timeout=30)
        assert r.status_code == 431, (size, r.status_code, r.text[:200])
        assert r.json()["detail"]["limit_bytes"] == 16 * 1024
    assert httpx.get(producer.url + "/healthz").json() == {"status": "ok"}


def test_too_many_headers_is_431(producer):
    headers = [(f"X-H{i}", "v") for i in range(150)]
    r = httpx.post(producer.url + "/send", json={}, headers=headers)
    assert r.status_code == 431 and r.json()["detail"]["error"] == "too many request headers"
    assert httpx.get(producer.url + "/healthz").status_code == 200


def test_too_many_record_headers_is_422(producer):
    headers = [(f"X-Record-Header-H{i}", "v") for i in range(40)]  # within MAX_HEADER_COUNT, over 32
    r = httpx.post(producer.url + "/send", json={}, headers=headers)
    assert r.status_code == 422, r.text
    assert r.json()["detail"] == {"error": "too many record headers", "limit_record_headers": 32}


def sent_key(producer, kafka_broker, **request) -> bytes | None:
    r = httpx.post(producer.url + "/send", json={"k": 1}, **request)
    assert r.status_code == 200, r.text
    meta = r.json()
    return read_record(kafka_broker.bootstrap, meta["topic"], meta["partition"], meta["offset"]).key


def test_header_key_arrives_as_the_bytes_sent(producer, kafka_broker):
    assert sent_key(producer, kafka_broker, headers={"X-Record-Key": "é".encode()}) == b"\xc3\xa9"
    assert sent_key(producer, kafka_broker, params={"key": "é"}) == b"\xc3\xa9"


def test_key_b64_carries_binary_keys(producer, kafka_broker):
    assert sent_key(producer, kafka_broker, params={"key_b64": "/wAB"}) == b"\xff\x00\x01"


@pytest.mark.parametrize(
    ("target", "headers"),
    [
        ("/send?key=%ff", {}),
        ("/send?key=a&key_b64=YQ%3D%3D", {}),
        ("/send?key_b64=not-base64", {}),
        ("/send", {"X-Record-Key": b"\xff"}),
    ],
)
def test_bad_keys_are_422(producer, target, headers):
    r = httpx.post(producer.url + target, json={}, headers=headers)
    assert r.status_code == 422, r.text
    assert r.json()["detail"]["error"] == "invalid record key"


@pytest.fixture(scope="module")
def small_producer(app_env, tmp_path_factory):
    app = AppProcess("producer", tmp_path_factory.mktemp("small"), {**app_env, "LIMIT_CONCURRENCY": "2"}).start()
    app.wait_ready()
    yield app
    app.stop()


def test_past_limit_concurrency_is_503_with_retry_after(small_producer):
    held = http.client.HTTPConnection("127.0.0.1", small_producer.port, timeout=10)
    try:
        held.request("GET", "/healthz")
        assert held.getresponse().read()  # the kept-alive connection counts toward the limit
        r = httpx.get(small_producer.url + "/healthz")
        assert r.status_code == 503 and r.headers["retry-after"] == "5"
    finally:
        held.close()
    assert httpx.get(small_producer.url + "/healthz").status_code == 200
