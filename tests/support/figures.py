"""The `figure` fixture and the "measured figures" summary, for the integration tests and Molecule's verifiers.

A conftest imports both names: pytest finds fixtures and hooks by name in a conftest module.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def figure(request):
    """Record a line for the run's summary: measured figures show even when the tests pass quietly."""
    # user_properties travel with the test report, so the figures reach the summary from xdist workers.
    return lambda line: request.node.user_properties.append(("figure", line))


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
