"""Live-update streams (/events) are capped: past SSE_MAX_CLIENTS a client gets 503 + Retry-After
at once, /healthz keeps answering, and a closed stream frees its slot (real consumer process)."""

from __future__ import annotations

import contextlib
import time

import httpx
import pytest

from tests.integration.apps.support import AppProcess, wait_for

pytestmark = pytest.mark.integration

CAP = 3


@pytest.fixture(scope="module")
def capped_consumer(app_env, tmp_path_factory):
    app = AppProcess("consumer", tmp_path_factory.mktemp("sse-cap"), {**app_env, "SSE_MAX_CLIENTS": str(CAP)}).start()
    app.wait_ready()
    yield app
    app.stop()


def open_stream(stack: contextlib.ExitStack, url: str):
    """An open stream; keep the returned line iterator: dropping it closes the connection."""
    client = stack.enter_context(httpx.Client(timeout=10))
    response = stack.enter_context(client.stream("GET", url + "/events"))
    assert response.status_code == 200
    lines = response.iter_lines()
    next(lines)  # the stream is live: its first line arrived
    return lines


def test_sse_clients_are_capped(capped_consumer):
    url = capped_consumer.url
    with contextlib.ExitStack() as stack:
        streams = [contextlib.ExitStack() for _stream in range(CAP)]
        live = [open_stream(stack.enter_context(own), url) for own in streams]
        assert f"consumer_sse_clients {CAP}.0" in httpx.get(url + "/metrics").text.splitlines()

        started = time.monotonic()
        refused = httpx.get(url + "/events", timeout=10)
        took = time.monotonic() - started
        assert refused.status_code == 503, refused.text
        assert refused.headers["Retry-After"] == "5"
        assert refused.headers["Connection"] == "close"
        assert "SSE_MAX_CLIENTS" in refused.json()["detail"]
        assert took < 2, f"the refusal took {took:.2f}s"
        assert httpx.get(url + "/healthz", timeout=5).status_code == 200

        streams[0].close()  # one client leaves: its slot is free again
        del live[0]
        with contextlib.ExitStack() as again:
            wait_for(lambda: _can_open(again, url), timeout=10, interval=0.2)


def _can_open(stack: contextlib.ExitStack, url: str) -> bool:
    client = stack.enter_context(httpx.Client(timeout=10))
    response = stack.enter_context(client.stream("GET", url + "/events"))
    return response.status_code == 200
