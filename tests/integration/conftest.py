"""Fixtures shared by the integration tests."""

import pytest


@pytest.fixture
def admin(kafka_broker):
    """A kafka-python admin client on the session's broker."""
    from kafka import KafkaAdminClient

    client = KafkaAdminClient(bootstrap_servers=kafka_broker.bootstrap, request_timeout_ms=15000)
    yield client
    client.close()
