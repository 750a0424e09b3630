"""Bearer tokens, the consumer's browser login and security headers, over real HTTP with real Kafka."""

from __future__ import annotations

import httpx
import pytest
from kafkaops_apps.auth import hash_token

from tests.integration.apps.support import AppProcess

pytestmark = pytest.mark.integration

TOKEN = "integration-token-0123456789abcdef"  # noqa: S105 - test token
ROTATED = "next-token-after-rotation-0123456"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
REALM = 'Bearer realm="kafkaops"'
HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


@pytest.fixture(scope="module")
def auth_env(app_env) -> dict[str, str]:
    return {**app_env, "API_TOKEN_HASHES": f"{hash_token(TOKEN)},{hash_token(ROTATED)}"}


@pytest.fixture(scope="module")
def secured_producer(auth_env, tmp_path_factory):
    app = AppProcess("producer", tmp_path_factory.mktemp("producer-auth"), auth_env).start()
    app.wait_ready()
    yield app
    app.stop()


@pytest.fixture(scope="module")
def secured_consumer(auth_env, tmp_path_factory):
    env = {**auth_env, "METRICS_AUTH": "false"}
    app = AppProcess("consumer", tmp_path_factory.mktemp("consumer-auth"), env).start()
    app.wait_ready()
    yield app
    app.stop()


def assert_security_headers(response: httpx.Response) -> None:
    assert {k: response.headers.get(k) for k in HEADERS} == HEADERS, response.request.url
    csp = response.headers.get("content-security-policy", "")
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp, response.request.url


def test_send_needs_a_valid_bearer_token(secured_producer):
    url = secured_producer.url + "/send"
    missing = httpx.post(url, json={"key": "Hello Kafka!"})
    assert missing.status_code == 401 and missing.headers["www-authenticate"] == REALM
    wrong = httpx.post(url, json={"key": "Hello Kafka!"}, headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 401
    assert wrong.headers["www-authenticate"] == f'{REALM}, error="invalid_token"'
    for token in (TOKEN, ROTATED, TOKEN):  # both hashes of a rotation work; the repeat is the cached path
        ok = httpx.post(url, json={"key": "Hello Kafka!"}, headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200 and "offset" in ok.json(), ok.text
    for response in (missing, wrong, ok):
        assert_security_headers(response)


def test_probes_stay_open_and_metrics_follow_their_switch(secured_producer, secured_consumer):
    for app in (secured_producer, secured_consumer):
        assert httpx.get(app.url + "/healthz").status_code == 200
        assert httpx.get(app.url + "/readyz").status_code == 200
    # METRICS_AUTH defaults to API_AUTH on the producer, and is off on this consumer.
    assert httpx.get(secured_producer.url + "/metrics").status_code == 401
    assert httpx.get(secured_producer.url + "/metrics", headers=BEARER).status_code == 200
    assert httpx.get(secured_consumer.url + "/metrics").status_code == 200
    assert httpx.get(secured_producer.url + "/openapi.json").status_code == 401
    assert httpx.get(secured_consumer.url + "/messages").status_code == 401
    assert httpx.get(secured_consumer.url + "/messages", headers=BEARER).status_code == 200


def test_consumer_page_and_stream_after_browser_login(secured_consumer):
    with httpx.Client(base_url=secured_consumer.url, timeout=10) as browser:
        form = browser.get("/", headers={"Accept": "text/html"})
        assert form.status_code == 401 and 'action="/login"' in form.text
        assert_security_headers(form)
        assert browser.get("/static/style.css").status_code == 200  # the form's stylesheet needs no login
        refused = browser.post("/login", data={"token": "wrong"})
        assert refused.status_code == 401 and not browser.cookies
        login = browser.post("/login", data={"token": TOKEN})
        assert login.status_code == 303 and "HttpOnly" in login.headers["set-cookie"]
        page = browser.get("/", headers={"Accept": "text/html"})
        assert page.status_code == 200 and '<tbody id="rows">' in page.text
        with browser.stream("GET", "/events") as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            assert_security_headers(stream)
            first = b""
            for chunk in stream.iter_bytes():
                first += chunk
                if b"event: status" in first:
                    break
            assert first.startswith(b"retry: 2000")


def test_security_headers_on_every_response(producer, consumer):
    responses = [
        httpx.post(producer.url + "/send", json={"key": "Hello Kafka!"}),
        httpx.post(producer.url + "/send", content=b"{", headers={"Content-Type": "application/json"}),
        httpx.get(producer.url + "/healthz"),
        httpx.get(producer.url + "/metrics"),
        httpx.get(producer.url + "/no-such-path"),
        httpx.get(consumer.url + "/"),
        httpx.get(consumer.url + "/messages"),
        httpx.get(consumer.url + "/static/app.js"),
        httpx.get(consumer.url + "/no-such-path"),
    ]
    assert [r.status_code for r in responses] == [200, 422, 200, 200, 404, 200, 200, 200, 404]
    for response in responses:
        assert_security_headers(response)


def test_docs_are_off_by_default_and_the_schema_stays(producer):
    assert httpx.get(producer.url + "/docs").status_code == 404
    assert httpx.get(producer.url + "/redoc").status_code == 404
    assert "/send" in httpx.get(producer.url + "/openapi.json").json()["paths"]


def test_seed_curl_works_without_auth_by_default(producer):
    r = httpx.post(
        producer.url + "/send", content=b'{"key":"Hello Kafka!"}', headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 200
