"""Security headers on every response of both apps, errors and 404s included.

A pure ASGI middleware: it only appends headers to `http.response.start`, so streamed
bodies (the consumer's SSE) pass through untouched, unlike BaseHTTPMiddleware. A header
the route set itself (the consumer page's own policy) is kept.
"""

from __future__ import annotations

from .asgi import ASGIApp, Receive, Scope, Send

# The consumer page and the login form have no inline script or style: JS and CSS come
# from /static, so this policy holds for every page the apps serve.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# Swagger UI and ReDoc (API_DOCS=true only) load their code from a CDN and start it inline.
DOCS_CSP = (
    "default-src 'none'; script-src https: 'unsafe-inline'; style-src https: 'unsafe-inline'; "
    "img-src 'self' https: data:; font-src https:; connect-src 'self'; worker-src blob:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
DOCS_PATHS = ("/docs", "/redoc")


def _headers(csp: str) -> tuple[tuple[bytes, bytes], ...]:
    return (
        (b"content-security-policy", csp.encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"x-frame-options", b"DENY"),
    )


class SecurityHeaders:
    def __init__(self, app: ASGIApp, docs: bool = False):
        self.app = app
        self.headers = _headers(CSP)
        self.docs_headers = _headers(DOCS_CSP) if docs else self.headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.docs_headers if scope["path"].startswith(DOCS_PATHS) else self.headers

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _value in headers}
                headers.extend(item for item in extra if item[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
