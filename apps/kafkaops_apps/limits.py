"""Request-header bounds for both apps, as ASGI middleware: answered before any body is read.

http_protocol.py bounds the bytes uvicorn buffers while the header section arrives; this
middleware applies the same size bound to what reached the app (whatever the HTTP protocol)
and bounds the number of header fields, which no uvicorn protocol does.
"""

from __future__ import annotations

import json
from typing import Any

# Each field costs its name, value, ": " and CRLF on the wire.
FIELD_OVERHEAD = 4


def header_problem(headers: list[tuple[bytes, bytes]], max_bytes: int, max_count: int) -> dict[str, Any] | None:
    """What is wrong with a request's header fields (a 431 detail), or None."""
    if len(headers) > max_count:
        return {"error": "too many request headers", "limit_headers": max_count, "got_headers": len(headers)}
    size = sum(len(name) + len(value) + FIELD_OVERHEAD for name, value in headers)
    if size > max_bytes:
        return {"error": "request headers too large", "limit_bytes": max_bytes, "got_bytes": size}
    return None


class HeaderLimits:
    """Answers 431 Request Header Fields Too Large (RFC 6585) and closes the connection."""

    def __init__(self, app: Any, max_bytes: int, max_count: int):
        self.app = app
        self.max_bytes = max_bytes
        self.max_count = max_count

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            problem = header_problem(scope["headers"], self.max_bytes, self.max_count)
            if problem is not None:
                await reply(send, 431, {"detail": problem})
                return
        await self.app(scope, receive, send)


async def reply(send: Any, status: int, body: dict) -> None:
    content = json.dumps(body).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(content)).encode()),
        (b"connection", b"close"),  # the body, if any, is never read
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content})
