"""Fixtures shared by the integration tests."""

import pytest

# pytest finds the fixture and the hook by name.
from tests.support.figures import figure, pytest_terminal_summary  # noqa: F401  # pylint: disable=unused-import


@pytest.fixture
def admin(kafka_broker):
    """A kafka-python admin client on the session's broker."""
    from kafka import KafkaAdminClient

    client = KafkaAdminClient(bootstrap_servers=kafka_broker.bootstrap, request_timeout_ms=15000)
    yield client
    client.close()
