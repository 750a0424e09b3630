"""The consumer page is escaped and carries a strict CSP with no inline script."""

from __future__ import annotations

import re

from kafkaops_apps.consumer.buffer import MessageBuffer
from kafkaops_apps.consumer.page import CSP, render

STATUS = {
    "kafka": {"reachable": True, "topic_exists": True, "error": None, "checked_at": 0},
    "member": True,
    "group": "test-group",
    "topic": "test-topic",
    "partitions": [0, 2],
    "lag": {},
    "total_lag": 3,
    "consumed": 1,
    "error": None,
}


def test_values_keys_and_headers_are_escaped():
    buf = MessageBuffer(10, 2000)
    buf.add(0, 1, 0, b"<b>k</b>", b'{"x": "<img src=x onerror=alert(1)>"}', [("h", b"<script>alert(2)</script>")])
    html = render(buf.entries(), STATUS, 10)
    assert "<img" not in html and "<b>" not in html and "<script>alert" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_no_inline_script_or_style():
    html = render([], STATUS, 10)
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/app.js" defer>']
    assert "<style" not in html and " style=" not in html
    assert not re.search(r"<[^>]+\son\w+=", html)  # no inline event handlers
    assert "script-src 'self'" in CSP and "unsafe-inline" not in CSP


def test_page_says_plainly_when_kafka_is_down_and_shows_partitions():
    down = {**STATUS, "kafka": {**STATUS["kafka"], "reachable": False, "error": "no answer"}}
    html = render([], down, 10)
    assert "Kafka is unreachable" in html and "Reconnecting" in html
    assert "Partitions owned by this instance: 0, 2. Lag: 3." in render([], STATUS, 10)
