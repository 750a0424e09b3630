"""Fixtures for the apps' integration tests: a topic per module and the two apps as processes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

APPS = Path(__file__).resolve().parents[3] / "apps"
if str(APPS) not in sys.path:
    sys.path.insert(0, str(APPS))

from tests.integration.apps.support import AppProcess, create_topic  # noqa: E402

SEND_TIMEOUT_S = 3


@pytest.fixture(scope="module")
def app_env(kafka_broker) -> dict[str, str]:
    topic = create_topic(kafka_broker.bootstrap, partitions=3)
    return {
        "KAFKA_BOOTSTRAP_SERVERS": kafka_broker.bootstrap,
        "KAFKA_TOPIC": topic,
        "KAFKA_GROUP_ID": f"g-{topic}",
        "KAFKA_SEND_TIMEOUT_S": str(SEND_TIMEOUT_S),
        "KAFKA_CONNECT_TIMEOUT_S": "3",
        "KAFKA_HEALTH_INTERVAL_S": "0.5",
        "BUFFER_SIZE": "10",
        "DISPLAY_LIMIT_CHARS": "2000",
    }


@pytest.fixture(scope="module")
def producer(app_env, tmp_path_factory):
    app = AppProcess("producer", tmp_path_factory.mktemp("producer"), app_env).start()
    app.wait_ready()
    yield app
    app.stop()


@pytest.fixture(scope="module")
def consumer(app_env, tmp_path_factory):
    app = AppProcess("consumer", tmp_path_factory.mktemp("consumer"), app_env).start()
    app.wait_ready()
    yield app
    app.stop()
