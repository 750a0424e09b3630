"""R3 probes schemathesis rarely generates: each known way to a 5xx, with the exact 4xx expected.

Complements test_apps_fuzz.py (generated cases, "never >= 500") with the bodies, headers and
query strings that answered 500 or were taken silently before the request bounds.
"""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.integration

JSON = "application/json"
NDJSON = "application/x-ndjson"

PROBES = [
    # (id, path, content type, body, extra headers, expected status, expected detail error)
    ("deep-nesting", "/send", JSON, b"[" * 1000, {}, 422, "JSON nested too deeply"),
    ("deep-nesting-batch", "/send/batch", JSON, b"[" * 1000, {}, 422, "JSON nested too deeply"),
    ("lone-surrogate-batch", "/send/batch", JSON, b'["\\ud800"]', {}, 422, "invalid JSON string"),
    ("lone-surrogate", "/send", JSON, b'{"v": "\\ud800"}', {}, 422, "invalid JSON string"),
    ("lone-surrogate-ndjson", "/send/batch", NDJSON, b'"\\udc00"\n', {}, 422, "invalid JSON string"),
    ("utf-16", "/send", JSON, '{"v": 1}'.encode("utf-16"), {}, 422, "malformed JSON"),
    ("utf-32-batch", "/send/batch", JSON, "[1]".encode("utf-32"), {}, 422, "malformed JSON"),
    ("nan", "/send", JSON, b'{"v": NaN}', {}, 422, "malformed JSON"),
    ("infinity-batch", "/send/batch", JSON, b"[Infinity]", {}, 422, "malformed JSON"),
    ("huge-header", "/send", JSON, b"{}", {"X-Pad": "x" * (1024 * 1024)}, 431, "request headers too large"),
    (
        "many-record-headers",
        "/send",
        JSON,
        b"{}",
        [(f"X-Record-Header-N{i}", "v") for i in range(20_000)],
        431,
        "request headers too large",
    ),
    ("non-utf8-query-key", "/send?key=%ff", JSON, b"{}", {}, 422, "invalid record key"),
]


@pytest.mark.parametrize(
    ("path", "content_type", "body", "headers", "status", "error"), [p[1:] for p in PROBES], ids=[p[0] for p in PROBES]
)
def test_probe_gets_the_right_4xx(producer, path, content_type, body, headers, status, error):
    headers = [("Content-Type", content_type), *(headers.items() if isinstance(headers, dict) else headers)]
    r = httpx.post(producer.url + path, content=body, headers=headers, timeout=30)
    assert r.status_code < 500, f"{r.status_code} {r.text[:300]}"
    assert r.status_code == status, r.text[:300]
    assert r.json()["detail"]["error"] == error
    assert httpx.get(producer.url + "/healthz").status_code == 200
