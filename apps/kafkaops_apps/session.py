"""Browser login of the consumer page: a token form, then a short-lived signed cookie.

A browser cannot add an Authorization header to a page load, and EventSource (/events)
cannot send headers at all. A token in the URL (?access_token=) would land in proxy
logs, browser history and Referer headers, so the page asks for the token once with a
form (POST /login) and answers with an HttpOnly, SameSite=Strict cookie that the page
and its event stream then carry. The cookie holds only an expiry and an HMAC of it under
a per-process random key: it says nothing about the token, expires after SESSION_TTL_S,
and a restart of the process ends every session (the page then shows the form again).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from html import escape
from urllib.parse import parse_qs

from .asgi import REALM, ASGIApp, Receive, Scope, Send, header, respond, respond_json

LOGIN_PATH = "/login"
MAX_FORM_BYTES = 4096


def login_form(failed: bool = False) -> bytes:
    message = '<p class="status down" role="alert">That token was not accepted.</p>' if failed else ""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in: Kafka messages</title>
<link rel="stylesheet" href="/static/style.css">
</head>
<body>
<h1>Sign in</h1>
{message}
<form method="post" action="{escape(LOGIN_PATH)}">
<label for="token">API token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Sign in</button>
</form>
</body>
</html>
""".encode()


class BrowserSessions:
    def __init__(self, ttl_s: int, cookie_name: str = "kafkaops_session", clock: Callable[[], float] = time.time):
        self.ttl_s = ttl_s
        self.cookie_name = cookie_name
        self.clock = clock
        self._key = secrets.token_bytes(32)

    def _mac(self, expires: int) -> str:
        mac = hmac.new(self._key, f"kafkaops-session|{expires}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def issue(self) -> str:
        expires = int(self.clock()) + self.ttl_s
        return f"{expires}.{self._mac(expires)}"

    def valid(self, value: str) -> bool:
        expires, _sep, mac = value.partition(".")
        if not expires.isdigit() or len(expires) > 12:
            return False
        now = int(self.clock())
        return hmac.compare_digest(mac, self._mac(int(expires))) and now < int(expires) <= now + self.ttl_s

    def cookies_of(self, scope: Scope) -> list[str]:
        """Every value sent under the cookie name (a browser may hold several, e.g. per path)."""
        raw = header(scope, b"cookie") or b""
        pairs = (part.strip().partition("=") for part in raw.decode("latin-1").split(";"))
        return [value for name, _sep, value in pairs if name == self.cookie_name]

    def set_cookie(self, scope: Scope) -> bytes:
        # Secure when the browser reached us over https (directly or, with proxy headers, via the proxy).
        secure = "; Secure" if scope.get("scheme") == "https" else ""
        attributes = f"Path=/; Max-Age={self.ttl_s}; HttpOnly; SameSite=Strict{secure}"
        return f"{self.cookie_name}={self.issue()}; {attributes}".encode()

    async def handle(
        self, scope: Scope, receive: Receive, send: Send, app: ASGIApp, verify: Callable[[str, Send], Awaitable]
    ) -> None:
        """A request without an Authorization header: session cookie, login form or 401."""
        method = scope.get("method", "GET")
        if scope["path"] == LOGIN_PATH and method == "POST":
            await self._login(scope, receive, send, verify)
            return
        if scope["path"] == LOGIN_PATH:
            await respond(send, 200, login_form(), b"text/html; charset=utf-8")
            return
        if any(self.valid(value) for value in self.cookies_of(scope)):
            await app(scope, receive, send)
            return
        challenge = [(b"www-authenticate", REALM.encode())]
        accept = header(scope, b"accept") or b""
        if method == "GET" and b"text/html" in accept:
            await respond(send, 401, login_form(), b"text/html; charset=utf-8", challenge)
        else:
            await respond_json(send, 401, "authentication required", challenge)

    async def _login(self, scope: Scope, receive: Receive, send: Send, verify) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if len(body) > MAX_FORM_BYTES:
                await respond_json(send, 413, f"login form larger than {MAX_FORM_BYTES} bytes")
                return
            if not message.get("more_body", False):
                break
        try:
            fields = parse_qs(body.decode("utf-8", "replace"), max_num_fields=4)
        except ValueError:
            await respond_json(send, 400, "login form has too many fields")
            return
        token = (fields.get("token") or [""])[0].strip()
        matched = await verify(token, send)
        if matched:
            await respond(send, 303, b"", b"text/plain", [(b"location", b"/"), (b"set-cookie", self.set_cookie(scope))])
        elif matched is False:
            challenge = [(b"www-authenticate", REALM.encode())]
            await respond(send, 401, login_form(failed=True), b"text/html; charset=utf-8", challenge)
