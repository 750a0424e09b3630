"""API tokens: hash format, verification (constant time, cached, bounded) and the ASGI gate."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest
from kafkaops_apps import auth
from kafkaops_apps.auth import (
    AuthMiddleware,
    TokenVerifier,
    VerifierBusy,
    bearer_token,
    hash_token,
    parse_token_hash,
)
from kafkaops_apps.session import BrowserSessions
from kafkaops_apps.settings import SettingsError, parse_settings
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

APPS = Path(__file__).resolve().parents[3] / "apps"
TOKEN = "s3cret-token-for-tests-0123456789"  # noqa: S105 - test token
FAST = 1_000  # iterations: the format allows few so tests stay quick
BASE = {"KAFKA_BOOTSTRAP_SERVERS": "k1:9092"}


def test_hash_round_trip_and_format():
    text = hash_token(TOKEN, FAST)
    scheme, iterations, salt, digest = text.split("$")
    assert (scheme, iterations) == ("pbkdf2_sha256", "1000") and salt and digest
    parsed = parse_token_hash(text)
    assert parsed.matches(TOKEN) and not parsed.matches(TOKEN + "x")
    assert hash_token(TOKEN, FAST) != text  # fresh salt each time
    assert parse_token_hash(hash_token(TOKEN)).iterations == auth.DEFAULT_ITERATIONS


@pytest.mark.parametrize(
    "text",
    [
        "",
        "sha256$1000$c2FsdHNhbHQ$" + "A" * 43,
        "pbkdf2_sha256$10$c2FsdHNhbHQ$" + "A" * 43,
        "pbkdf2_sha256$1000$not*base64$" + "A" * 43,
        "pbkdf2_sha256$1000$c2FsdHNhbHQ$QUJD",
    ],
)
def test_malformed_hashes_are_refused(text):
    with pytest.raises(ValueError):
        parse_token_hash(text)


def test_the_digest_is_compared_in_constant_time_against_every_hash(monkeypatch):
    calls = []
    real = auth.hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(auth.hmac, "compare_digest", spy)
    verifier = TokenVerifier(
        [parse_token_hash(hash_token(TOKEN, FAST)), parse_token_hash(hash_token("other" * 4, FAST))]
    )
    assert verifier.check(TOKEN) is True
    assert len(calls) == 2  # no early exit on the first match: the time says nothing about which one


def test_a_verified_token_runs_the_kdf_once_per_process():
    runs = []

    class Counting(TokenVerifier):
        def check(self, token):
            runs.append(token)
            return super().check(token)

    verifier = Counting([parse_token_hash(hash_token(TOKEN, FAST))])

    async def scenario():
        return [await verifier.verify(TOKEN) for _call in range(5)] + [await verifier.verify("wrong-token-value")]

    assert asyncio.run(scenario()) == [True] * 5 + [False]
    assert runs == [TOKEN, "wrong-token-value"]
    assert TOKEN.encode() not in b"".join(verifier._known)  # keyed digests only, never the token


def test_the_cache_is_bounded_and_pending_checks_are_capped():
    tokens = [f"token-number-{n:04d}-abcdef" for n in range(5)]
    verifier = TokenVerifier([parse_token_hash(hash_token(t, FAST)) for t in tokens], cache_size=2)

    async def verify_all():
        return [await verifier.verify(t) for t in tokens]

    assert asyncio.run(verify_all()) == [True] * 5
    assert len(verifier._known) == 2
    busy = TokenVerifier([parse_token_hash(hash_token(TOKEN, FAST))], max_pending=0)
    with pytest.raises(VerifierBusy):
        asyncio.run(busy.verify(TOKEN))
    assert asyncio.run(verifier.verify("x" * (auth.MAX_TOKEN_CHARS + 1))) is False


@pytest.mark.parametrize(
    ("header", "token"),
    [(b"Bearer abc", "abc"), (b"bearer  abc ", "abc"), (b"Bearer", None), (b"Basic dXNlcjpwdw==", "")],
)
def test_bearer_header_parsing(header, token):
    assert bearer_token(header) == token


def gated_app(metrics_open=True, sessions=None) -> TestClient:
    async def ok(_request):
        return PlainTextResponse("ok")

    app = Starlette(routes=[Route(p, ok) for p in ("/", "/send", "/healthz", "/readyz", "/metrics", "/events")])
    verifier = TokenVerifier([parse_token_hash(hash_token(TOKEN, FAST))])
    open_paths = {"/healthz", "/readyz"} | ({"/metrics"} if metrics_open else set())
    gated = AuthMiddleware(app, verifier, open_paths, sessions=sessions)
    return TestClient(gated, base_url="http://testserver")


def test_middleware_asks_for_a_token_and_names_a_wrong_one():
    client = gated_app()
    missing = client.get("/send")
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == 'Bearer realm="kafkaops"'
    wrong = client.get("/send", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.headers["www-authenticate"] == 'Bearer realm="kafkaops", error="invalid_token"'
    assert client.get("/send", headers={"Authorization": "Basic dXNlcjpwdw=="}).status_code == 401
    assert client.get("/send", headers={"Authorization": f"Bearer {TOKEN}"}).text == "ok"
    assert client.get("/healthz").status_code == client.get("/readyz").status_code == 200
    assert client.get("/metrics").status_code == 200
    assert gated_app(metrics_open=False).get("/metrics").status_code == 401


def test_browser_login_sets_a_short_lived_cookie():
    now = [1_000_000.0]
    sessions = BrowserSessions(60, "kafkaops_session_8002", clock=lambda: now[0])
    client = gated_app(sessions=sessions)
    page = client.get("/", headers={"Accept": "text/html"})
    assert page.status_code == 401 and '<form method="post" action="/login">' in page.text
    assert client.get("/events").status_code == 401  # not HTML: JSON 401
    refused = client.post("/login", data={"token": "wrong"}, follow_redirects=False)
    assert refused.status_code == 401 and "not accepted" in refused.text and not refused.cookies
    login = client.post("/login", data={"token": TOKEN}, follow_redirects=False)
    assert login.status_code == 303 and login.headers["location"] == "/"
    cookie = login.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Max-Age=60" in cookie
    assert TOKEN not in cookie
    assert client.get("/events").text == "ok"  # the cookie jar now carries the session
    value = client.cookies["kafkaops_session_8002"]
    client.cookies.clear()
    expires, mac = value.split(".")
    tampered = {"Cookie": f"kafkaops_session_8002={int(expires) + 30}.{mac}"}
    assert client.get("/events", headers=tampered).status_code == 401
    assert client.get("/events", headers={"Cookie": f"kafkaops_session_8002={value}"}).text == "ok"
    now[0] += 61
    assert client.get("/events", headers={"Cookie": f"kafkaops_session_8002={value}"}).status_code == 401
    assert client.post("/login", content=b"token=" + b"a" * 5000).status_code == 413


def test_hash_command_reads_the_token_from_stdin():
    out = subprocess.run(
        [sys.executable, "-m", "kafkaops_apps.auth", "hash", "1000"],
        input=TOKEN + "\n",
        capture_output=True,
        text=True,
        cwd=APPS,
        check=True,
    ).stdout.strip()
    assert parse_token_hash(out).matches(TOKEN)
    usage = subprocess.run(
        [sys.executable, "-m", "kafkaops_apps.auth", TOKEN], capture_output=True, cwd=APPS, check=False
    )
    assert usage.returncode == 2  # a token on the command line is refused, not hashed


def test_settings_turn_auth_on_with_hashes_and_never_fail_open():
    hashed = hash_token(TOKEN, FAST)
    off = parse_settings(BASE)
    assert (off.api_auth, off.metrics_auth, off.api_docs) == (False, False, False)
    on = parse_settings({**BASE, "API_TOKEN_HASHES": f"{hashed}, {hash_token('second-token-1234567', FAST)}"})
    assert (on.api_auth, on.metrics_auth, len(on.api_token_hashes)) == (True, True, 2)
    assert hashed not in repr(on)
    assert parse_settings({**BASE, "API_TOKEN_HASHES": hashed, "METRICS_AUTH": "false"}).metrics_auth is False
    for env, name in (
        ({"API_AUTH": "true"}, "API_TOKEN_HASHES"),
        ({"API_TOKEN_HASHES": "plain-token"}, "API_TOKEN_HASHES"),
        ({"METRICS_AUTH": "true"}, "METRICS_AUTH"),
    ):
        with pytest.raises(SettingsError) as exc:
            parse_settings({**BASE, **env})
        assert exc.value.name == name and "plain-token" not in str(exc.value)
