"""Broker outage: 503 + Retry-After within the timeout, /readyz fails, and both apps recover."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.integration.apps.conftest import SEND_TIMEOUT_S
from tests.integration.apps.support import AppProcess, wait_for

pytestmark = pytest.mark.integration


def test_outage_gives_503_then_apps_recover_without_restart(producer, consumer, app_env, kafka_broker, tmp_path):
    assert httpx.post(producer.url + "/send", json={"before": "outage"}).status_code == 200
    kafka_broker.stop()
    late_producer = None
    try:
        started = time.monotonic()
        r = httpx.post(producer.url + "/send", json={"during": "outage"}, timeout=SEND_TIMEOUT_S + 10)
        took = time.monotonic() - started
        print(f"time to 503: {took:.2f}s (send timeout {SEND_TIMEOUT_S}s)")
        assert r.status_code == 503 and r.headers["Retry-After"] == "5"
        assert took < SEND_TIMEOUT_S + 1
        for app in (producer, consumer):
            wait_for(lambda app=app: httpx.get(app.url + "/readyz").status_code == 503, timeout=10)
        page = httpx.get(consumer.url + "/").text
        assert "Kafka is unreachable" in page and "Reconnecting automatically" in page
        # A process started during the outage must come up anyway (aiokafka's start() raises here).
        late_producer = AppProcess("producer", tmp_path, app_env).start()
        wait_for(lambda: _answers(late_producer), timeout=20)
        r = httpx.post(late_producer.url + "/send", json={"x": 1}, timeout=SEND_TIMEOUT_S + 10)
        assert r.status_code == 503 and "Retry-After" in r.headers
    finally:
        kafka_broker.start()
    try:
        started = time.monotonic()
        apps = [app for app in (producer, consumer, late_producer) if app is not None]
        recovered = {f"{app.kind}:{app.port}": app.wait_ready(60) for app in apps}
        print(
            f"ready again after broker start: { {k: round(v, 1) for k, v in recovered.items()} }"
            f" (total {time.monotonic() - started:.1f}s)"
        )
        r = httpx.post(late_producer.url + "/send", json={"after": "recovery"})
        assert r.status_code == 200, r.text
        meta = r.json()
        wait_for(
            lambda: [
                m
                for m in httpx.get(consumer.url + "/messages").json()["messages"]
                if (m["partition"], m["offset"]) == (meta["partition"], meta["offset"])
            ],
            timeout=20,
        )
        assert httpx.post(producer.url + "/send", json={"after": "recovery"}).status_code == 200
        assert "Connected: consuming" in httpx.get(consumer.url + "/").text
    finally:
        if late_producer is not None:
            late_producer.stop()


def _answers(app: AppProcess) -> bool:
    try:
        return httpx.get(app.url + "/healthz").status_code == 200
    except httpx.HTTPError:
        return False
