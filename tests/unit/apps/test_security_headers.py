"""Security headers on every response, streamed bodies untouched."""

from __future__ import annotations

from kafkaops_apps.security_headers import CSP, DOCS_CSP, SecurityHeaders
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, PlainTextResponse, StreamingResponse
from starlette.routing import Route
from starlette.testclient import TestClient

EXPECTED = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


def client(docs: bool = False) -> TestClient:
    async def plain(_request):
        return PlainTextResponse("ok")

    async def own_policy(_request):
        return HTMLResponse("<p>page</p>", headers={"Content-Security-Policy": "default-src 'none'"})

    async def stream(_request):
        async def chunks():
            for n in range(3):
                yield f"data: {n}\n\n".encode()

        return StreamingResponse(chunks(), media_type="text/event-stream")

    app = Starlette(
        routes=[Route("/", plain), Route("/page", own_policy), Route("/events", stream), Route("/docs", plain)]
    )
    return TestClient(SecurityHeaders(app, docs=docs))


def test_every_response_gets_the_headers_404s_included():
    c = client()
    for path in ("/", "/missing"):
        r = c.get(path)
        assert {k: r.headers.get(k) for k in EXPECTED} == EXPECTED, path
    assert "frame-ancestors 'none'" in CSP and "'unsafe-inline'" not in CSP


def test_a_route_policy_wins_and_is_not_doubled():
    r = client().get("/page")
    assert r.headers.get_list("content-security-policy") == ["default-src 'none'"]
    assert r.headers["x-content-type-options"] == "nosniff"


def test_streamed_bodies_pass_unchanged():
    with client().stream("GET", "/events") as r:
        assert r.headers["x-content-type-options"] == "nosniff"
        assert b"".join(r.iter_bytes()) == b"data: 0\n\ndata: 1\n\ndata: 2\n\n"


def test_the_docs_policy_applies_only_when_docs_are_on():
    assert client().get("/docs").headers["content-security-policy"] == CSP
    assert client(docs=True).get("/docs").headers["content-security-policy"] == DOCS_CSP
    assert client(docs=True).get("/").headers["content-security-policy"] == CSP
