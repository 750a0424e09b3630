"""R3 (issue 7): schemathesis against the producer's own OpenAPI schema, on a real broker.

KAFKAOPS_FUZZ_EXAMPLES sets Hypothesis examples per operation (make test: a few hundred
cases in all; `make chaos` raises it past 1,000). Every answer must be below 500, and the
limits the schema cannot express are checked by hand: oversize bodies 413, bad JSON 422.
"""

from __future__ import annotations

import os
from collections import Counter

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

pytestmark = pytest.mark.integration

EXAMPLES = int(os.environ.get("KAFKAOPS_FUZZ_EXAMPLES", "100"))
LIMIT = 1024 * 1024  # MAX_BODY_BYTES default
CASES: Counter = Counter()  # (operation, status) -> answers

# The batch endpoint's NDJSON body is a string in the schema; send it as text.
schemathesis.serializer.alias("application/x-ndjson", "text/plain")


@pytest.fixture(scope="module")
def producer_schema(producer):
    schema = schemathesis.openapi.from_url(producer.url + "/openapi.json")
    # Negative mode sends what the schema forbids (wrong types, missing bodies, odd headers).
    schema.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=EXAMPLES, database="none"
    )
    return schema


schema = schemathesis.pytest.from_fixture("producer_schema")


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_generated_requests_never_get_a_server_error(case):
    response = case.call(timeout=30)
    CASES[(case.operation.label, response.status_code)] += 1
    case.validate_response(response, checks=[not_a_server_error])
    assert response.status_code < 500, f"{case.operation.label}: {response.status_code} {response.text[:300]}"


def test_generated_case_count(figure):
    """Runs after the generated tests (file order) and reports what they sent."""
    total = sum(CASES.values())
    if not total:
        pytest.skip("the generated tests did not run")
    by_status = Counter()
    for (_label, status), n in CASES.items():
        by_status[status] += n
    figure(f"R3 schemathesis: {total} cases, {EXAMPLES} examples/operation, statuses {dict(sorted(by_status.items()))}")
    assert all(status < 500 for status in by_status)
    assert {label for label, _status in CASES} >= {"POST /send", "POST /send/batch"}


def chunks(data: bytes, size: int = 64 * 1024):
    for start in range(0, len(data), size):
        yield data[start : start + size]


@pytest.mark.parametrize("path", ["/send", "/send/batch"])
@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_oversize_body_is_413(producer, path, framing):
    body = b'[{"v": "' + b"x" * LIMIT + b'"}]'
    # A generator body goes out chunked, without Content-Length: the limit must hold while streaming.
    content = body if framing == "content-length" else chunks(body)
    r = httpx.post(producer.url + path, content=content, headers={"Content-Type": "application/json"}, timeout=30)
    assert r.status_code == 413, r.text
    assert r.json()["detail"]["limit_bytes"] == LIMIT


@pytest.mark.parametrize(
    ("path", "content_type", "body"),
    [
        ("/send", "application/json", b'{"key": "Hello'),
        ("/send", "application/json", b""),
        ("/send", "application/json", b"\xff\xfe{}"),
        ("/send", "application/json; charset=utf-8", b"{'single': 'quotes'}"),
        ("/send/batch", "application/json", b"[{}, {]"),
        ("/send/batch", "application/x-ndjson", b'{"ok": 1}\n{"broken": \n'),
    ],
)
def test_malformed_json_is_422(producer, path, content_type, body):
    r = httpx.post(producer.url + path, content=body, headers={"Content-Type": content_type})
    assert r.status_code == 422, r.text
    assert r.json()["detail"]["error"] == "malformed JSON"
