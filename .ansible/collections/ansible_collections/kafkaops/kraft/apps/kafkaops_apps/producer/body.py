"""Reading and validating producer request bodies: content type, size limit, JSON/NDJSON."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

JSON_TYPES = ("application/json",)
NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines")
MAX_BATCH_RECORDS = 10_000
HEADER_PREFIX = "x-record-header-"


@dataclass
class BodyError(Exception):
    """A client error with the HTTP status it maps to."""

    status: int
    detail: object


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def require_type(content_type: str | None, allowed: tuple[str, ...]) -> str:
    kind = media_type(content_type)
    if kind not in allowed:
        raise BodyError(415, {"error": "unsupported content type", "got": kind or None, "expected": list(allowed)})
    return kind


async def read_limited(chunks: AsyncIterator[bytes], content_length: str | None, limit: int) -> bytes:
    """Read at most `limit` bytes; refuse early on Content-Length, and while streaming otherwise."""
    if content_length and content_length.isdigit() and int(content_length) > limit:
        raise BodyError(413, {"error": "body too large", "limit_bytes": limit, "got_bytes": int(content_length)})
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > limit:
            raise BodyError(413, {"error": "body too large", "limit_bytes": limit})
    return bytes(body)


def _malformed(exc: json.JSONDecodeError | UnicodeDecodeError, line: int | None = None) -> BodyError:
    if isinstance(exc, UnicodeDecodeError):
        detail = {"error": "malformed JSON", "message": f"body is not UTF-8: {exc.reason}"}
    else:
        detail = {"error": "malformed JSON", "message": exc.msg, "line": exc.lineno, "column": exc.colno}
    if line is not None:
        detail["record_line"] = line
    return BodyError(422, detail)


def parse_single(body: bytes) -> bytes:
    """Validate one JSON document; the original bytes become the record value unchanged."""
    try:
        json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _malformed(exc) from None
    return body.strip()


def _encode(doc: object) -> bytes:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


def parse_batch(body: bytes, kind: str) -> list[bytes]:
    """A JSON array or NDJSON body becomes one record value per element or line."""
    if kind in NDJSON_TYPES:
        values = []
        for number, line in enumerate(body.splitlines(), start=1):
            if line.strip():
                try:
                    json.loads(line)
                except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                    raise _malformed(exc, number) from None
                values.append(line.strip())
    else:
        try:
            docs = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise _malformed(exc) from None
        if not isinstance(docs, list):
            raise BodyError(422, {"error": "batch body must be a JSON array (or send NDJSON)"})
        values = [_encode(doc) for doc in docs]
    if not values:
        raise BodyError(422, {"error": "batch is empty"})
    if len(values) > MAX_BATCH_RECORDS:
        raise BodyError(413, {"error": "too many records", "limit_records": MAX_BATCH_RECORDS})
    return values


def record_headers(http_headers: list[tuple[bytes, bytes]], prefix: str = HEADER_PREFIX) -> list[tuple[str, bytes]]:
    """HTTP headers `X-Record-Header-<name>: value` become Kafka record headers `<name>`."""
    out = []
    for raw_name, value in http_headers:
        name = raw_name.decode("latin-1").lower()
        if name.startswith(prefix) and len(name) > len(prefix):
            out.append((name[len(prefix) :], value))
    return out
