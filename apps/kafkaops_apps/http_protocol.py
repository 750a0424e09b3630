"""uvicorn's HTTP protocol with the bounds uvicorn lacks, for `runner.serve()`.

The apps run uvicorn's httptools protocol (uvicorn[standard] installs httptools). It buffers
a request's header section without any size limit (an 8 MB header is taken whole), and its
503 past `limit_concurrency` carries no Retry-After. BoundedHttpTools answers 431 once more
than `max_head_bytes` arrived without the header section ending, and adds Retry-After to
that 503. Without httptools uvicorn runs h11, bounded by h11_max_incomplete_event_size
(it answers 400 there) and its 503 stays without Retry-After.
"""

from __future__ import annotations

import json
from typing import Any

from uvicorn.protocols.http.flow_control import service_unavailable

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - uvicorn without its [standard] extra
    HttpToolsProtocol = None

# How long a refused client may go on sending before the connection is closed.
LINGER_S = 5


def head_too_large_response(limit: int) -> bytes:
    body = json.dumps({"detail": {"error": "request headers too large", "limit_bytes": limit}}).encode()
    head = (
        "HTTP/1.1 431 Request Header Fields Too Large\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode() + body


def busy_app(retry_after_s: int) -> Any:
    """uvicorn's 503 past limit_concurrency, with Retry-After as every capacity 503 of the apps has."""
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", b"19"),
        (b"retry-after", str(retry_after_s).encode()),
        (b"connection", b"close"),
    ]

    async def busy(scope: dict, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": b"Service Unavailable", "more_body": False})

    return busy


if HttpToolsProtocol is not None:

    class BoundedHttpTools(HttpToolsProtocol):
        """Counts the bytes of the header section being received; bytes counted all belong to it,
        so a request is never refused for its body. Memory per connection stays below
        max_head_bytes plus one read."""

        max_head_bytes = 16 * 1024
        retry_after_s = 5

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._in_head = True
            self._head_bytes = 0
            self._busy = busy_app(self.retry_after_s)
            self._refused = False

        def data_received(self, data: bytes) -> None:
            if self._refused:
                return  # dropped, not buffered, until the client stops or LINGER_S ends
            if self._in_head:
                self._head_bytes += len(data)
            super().data_received(data)
            if self._in_head and self._head_bytes > self.max_head_bytes and not self.transport.is_closing():
                self._refuse_head()

        def _refuse_head(self) -> None:
            """431, then a half close: closing with unread request bytes would send a TCP reset,
            and the client would lose the answer while it is still sending."""
            self.logger.warning("Request header section over %d bytes.", self.max_head_bytes)
            self.transport.write(head_too_large_response(self.max_head_bytes))
            if not self.transport.can_write_eof():
                self.transport.close()
                return
            self._refused = True
            self.transport.write_eof()
            self.loop.call_later(LINGER_S, self.transport.close)

        def on_headers_complete(self) -> None:
            self._in_head = False
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            self._in_head, self._head_bytes = True, 0  # the next bytes start the next request
            super().on_message_complete()

        def _start_asgi_task(self, cycle: Any, app: Any) -> None:
            super()._start_asgi_task(cycle, self._busy if app is service_unavailable else app)


def server_options(max_head_bytes: int, retry_after_s: int, limit_concurrency: int) -> dict[str, Any]:
    """uvicorn.Config keywords: the bounded protocol, and the concurrency cap."""
    options: dict[str, Any] = {"limit_concurrency": limit_concurrency, "h11_max_incomplete_event_size": max_head_bytes}
    if HttpToolsProtocol is not None:
        attrs = {"max_head_bytes": max_head_bytes, "retry_after_s": retry_after_s}
        options["http"] = type("BoundedHttpTools", (BoundedHttpTools,), attrs)
    return options
