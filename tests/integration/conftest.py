"""Fixtures shared by the integration tests."""

import pytest


@pytest.fixture
def admin(kafka_broker):
    """A kafka-python admin client on the session's broker."""
    from kafka import KafkaAdminClient

    client = KafkaAdminClient(bootstrap_servers=kafka_broker.bootstrap, request_timeout_ms=15000)
    yield client
    client.close()


def pytest_terminal_summary(terminalreporter):
    """Print the figures tests recorded with the `figure` fixture, whatever worker ran them."""
    lines = [
        value
        for reports in terminalreporter.stats.values()
        for report in reports
        if getattr(report, "when", None) == "call"
        for name, value in getattr(report, "user_properties", ())
        if name == "figure"
    ]
    if lines:
        terminalreporter.section("measured figures")
        for line in lines:
            terminalreporter.write_line(line)
