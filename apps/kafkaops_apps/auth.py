"""Optional bearer-token authentication of both apps (API_AUTH, API_TOKEN_HASHES).

Hosts hold only salted hashes of the tokens, one string per token:

    pbkdf2_sha256$<iterations>$<salt, base64>$<PBKDF2-HMAC-SHA256 of the token, base64>

The KDF is slow on purpose (it guards a weak token if the .env file leaks), so it runs
once per token per process: a verified token is remembered under an HMAC of it with a
per-process random key, and later requests cost one HMAC and a dict lookup. Unknown
tokens run the KDF in a worker thread, a bounded number at a time, so wrong tokens can
neither block the event loop nor queue up without limit (503 + Retry-After past the cap).

`python -m kafkaops_apps.auth hash` reads a token on stdin (never argv, which other users
can see in the process list) and prints its hash.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import secrets
import sys
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .asgi import REALM, ASGIApp, Receive, Scope, Send, header, respond_json
from .session import BrowserSessions

SCHEME = "pbkdf2_sha256"
# OWASP's recommendation for PBKDF2-HMAC-SHA256; ~0.1 s per check on one core.
DEFAULT_ITERATIONS = 600_000
MIN_ITERATIONS, MAX_ITERATIONS = 1_000, 10_000_000
MAX_TOKEN_CHARS = 1024


@dataclass(frozen=True)
class TokenHash:
    iterations: int
    salt: bytes
    digest: bytes

    def matches(self, token: str) -> bool:
        derived = hashlib.pbkdf2_hmac("sha256", token.encode(), self.salt, self.iterations)
        return hmac.compare_digest(derived, self.digest)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def hash_token(token: str, iterations: int = DEFAULT_ITERATIONS, salt: bytes | None = None) -> str:
    """The hash string of a token (a fresh random salt unless one is given)."""
    if not token:
        raise ValueError("empty token")
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", token.encode(), salt, iterations)
    return f"{SCHEME}${iterations}${_b64(salt)}${_b64(digest)}"


def parse_token_hash(text: str) -> TokenHash:
    """Parse one hash string; ValueError says what is wrong without echoing it."""
    parts = text.strip().split("$")
    if len(parts) != 4 or parts[0] != SCHEME:
        raise ValueError(f"not {SCHEME}$<iterations>$<salt>$<hash>")
    if not parts[1].isdigit() or not MIN_ITERATIONS <= int(parts[1]) <= MAX_ITERATIONS:
        raise ValueError(f"iterations must be {MIN_ITERATIONS}..{MAX_ITERATIONS}")
    try:
        salt, digest = _unb64(parts[2]), _unb64(parts[3])
    except (binascii.Error, ValueError):
        raise ValueError("salt or hash is not base64") from None
    if len(salt) < 8 or len(digest) != 32:
        raise ValueError("salt must be 8+ bytes and the hash 32 bytes")
    return TokenHash(int(parts[1]), salt, digest)


class VerifierBusy(Exception):
    """Too many unknown tokens are being checked at once."""


class TokenVerifier:
    """Checks tokens against the configured hashes; remembers the ones that matched."""

    def __init__(self, hashes: Iterable[TokenHash], cache_size: int = 256, max_pending: int = 16):
        self.hashes = tuple(hashes)
        self.cache_size = cache_size
        self.max_pending = max_pending
        self._key = secrets.token_bytes(32)
        self._known: OrderedDict[bytes, None] = OrderedDict()
        self._pending = 0
        self._slot: asyncio.Semaphore | None = None  # created on the serving loop

    def _fingerprint(self, token: str) -> bytes:
        return hmac.new(self._key, token.encode(), hashlib.sha256).digest()

    def check(self, token: str) -> bool:
        """The slow path: the KDF against every hash, so the time says nothing about which matched."""
        matched = False
        for token_hash in self.hashes:
            matched |= token_hash.matches(token)
        return matched

    async def verify(self, token: str) -> bool:
        if not token or len(token) > MAX_TOKEN_CHARS:
            return False
        fingerprint = self._fingerprint(token)
        if fingerprint in self._known:
            self._known.move_to_end(fingerprint)
            return True
        if self._pending >= self.max_pending:
            raise VerifierBusy
        self._slot = self._slot or asyncio.Semaphore(1)
        self._pending += 1
        try:
            async with self._slot:
                matched = await asyncio.to_thread(self.check, token)
        finally:
            self._pending -= 1
        if matched:
            self._known[fingerprint] = None
            if len(self._known) > self.cache_size:
                self._known.popitem(last=False)
        return matched


def bearer_token(authorization: bytes) -> str | None:
    """The token of an `Authorization: Bearer <token>` header; "" when the header is not a bearer one."""
    scheme, _sep, token = authorization.decode("latin-1").strip().partition(" ")
    if scheme.lower() != "bearer":
        return ""
    return token.strip() or None


class AuthMiddleware:
    """Pure ASGI: lets a request through only with a valid bearer token (or browser session).

    `open_paths` (probes, and /metrics unless METRICS_AUTH) and `open_prefixes` (the
    consumer's static files, which the login form needs) pass without credentials.
    `sessions` (session.BrowserSessions) adds the browser login of the consumer page.
    """

    def __init__(
        self,
        app: ASGIApp,
        verifier: TokenVerifier,
        open_paths: Iterable[str] = ("/healthz", "/readyz"),
        open_prefixes: tuple[str, ...] = (),
        sessions: Any = None,
        retry_after_s: int = 5,
    ):
        self.app = app
        self.verifier = verifier
        self.open_paths = frozenset(open_paths)
        self.open_prefixes = open_prefixes
        self.sessions = sessions
        self.retry_after = (b"retry-after", str(retry_after_s).encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path in self.open_paths or path.startswith(self.open_prefixes):
            await self.app(scope, receive, send)
            return
        authorization = header(scope, b"authorization")
        if authorization is not None:
            await self._bearer(authorization, scope, receive, send)
        elif self.sessions is not None:
            await self.sessions.handle(scope, receive, send, self.app, self._verify)
        else:
            await respond_json(send, 401, "authentication required", [(b"www-authenticate", REALM.encode())])

    async def _verify(self, token: str, send: Send) -> bool | None:
        """True/False for the token; None when the verifier is busy and a 503 went out."""
        try:
            return await self.verifier.verify(token)
        except VerifierBusy:
            await respond_json(send, 503, "too many token checks in progress; retry", [self.retry_after])
            return None

    async def _bearer(self, authorization: bytes, scope: Scope, receive: Receive, send: Send) -> None:
        token = bearer_token(authorization)
        if token == "":  # another scheme: ask for a bearer token
            await respond_json(send, 401, "authentication required", [(b"www-authenticate", REALM.encode())])
            return
        matched = await self._verify(token or "", send)
        if matched:
            await self.app(scope, receive, send)
        elif matched is False:
            challenge = f'{REALM}, error="invalid_token"'.encode()
            await respond_json(send, 401, "invalid token", [(b"www-authenticate", challenge)])


def add_auth(app: Any, settings: Any, browser_login: bool = False) -> None:
    """Install AuthMiddleware on a FastAPI app when settings.api_auth is on."""
    if not settings.api_auth:
        return
    open_paths = {"/healthz", "/readyz"} | (set() if settings.metrics_auth else {"/metrics"})
    sessions = None
    if browser_login:
        # Cookies are per host, not per port: each instance signs its own cookie name.
        sessions = BrowserSessions(settings.session_ttl_s, f"kafkaops_session_{settings.consumer_port}")
    app.add_middleware(
        AuthMiddleware,
        verifier=TokenVerifier(settings.api_token_hashes),
        open_paths=open_paths,
        open_prefixes=("/static/",) if browser_login else (),
        sessions=sessions,
        retry_after_s=settings.retry_after_s,
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] != ["hash"] or len(args) > 2 or (len(args) == 2 and not args[1].isdigit()):
        print("usage: python -m kafkaops_apps.auth hash [ITERATIONS] < token-file", file=sys.stderr)
        return 2
    token = sys.stdin.readline().rstrip("\r\n")
    if not token:
        print("kafkaops: no token on stdin", file=sys.stderr)
        return 2
    print(hash_token(token, int(args[1]) if len(args) == 2 else DEFAULT_ITERATIONS))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
