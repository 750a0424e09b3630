"""Reading and validating producer requests: content type, size limit, JSON/NDJSON, record key and headers."""

from __future__ import annotations

import base64
import binascii
import io
import json
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from itertools import accumulate
from urllib.parse import unquote_to_bytes

JSON_TYPES = ("application/json",)
NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines")
MAX_BATCH_RECORDS = 10_000
MAX_JSON_DEPTH = 64
MAX_RECORD_HEADERS = 32
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


# Strings are skipped before counting brackets: a "[" inside a string does not nest.
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
# A lone surrogate can only come from a \uD800-\uDFFF escape: strict UTF-8 text holds none.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_WHITESPACE = re.compile(r"[ \t\n\r]*")


def _refuse_constant(name: str) -> object:
    raise BodyError(422, {"error": "malformed JSON", "message": f"{name} is not a JSON number (RFC 8259)"})


_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)


def json_depth(text: str) -> int:
    """Deepest array/object nesting in `text`, counted without recursion."""
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    return max(accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0)


def check_depth(text: str, max_depth: int) -> None:
    """json.loads recurses (in C) and raises RecursionError near 1,000 levels: refuse deep nesting first."""
    if text.count("[") + text.count("{") <= max_depth:
        return  # cannot nest deeper than it has brackets; skips the scan for ordinary bodies
    depth = json_depth(text)
    if depth > max_depth:
        raise BodyError(422, {"error": "JSON nested too deeply", "limit_depth": max_depth, "got_depth": depth})


def lone_surrogate(doc: object) -> str | None:
    """The first string (key or value) in `doc` that UTF-8 cannot encode, walked without recursion."""
    stack = [doc]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return item
    return None


def _refuse_surrogates(doc: object) -> None:
    if (bad := lone_surrogate(doc)) is not None:
        message = f"lone surrogate in {ascii(bad)[:80]}: record values must be valid UTF-8"
        raise BodyError(422, {"error": "invalid JSON string", "message": message})


def decode_utf8(body: bytes, line: int | None = None) -> str:
    """JSON text is UTF-8 (RFC 8259 section 8.1); json.loads on bytes would also take UTF-16 and UTF-32."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _malformed(exc, line) from None


def load_json(body: bytes, max_depth: int = MAX_JSON_DEPTH, line: int | None = None) -> object:
    """One JSON document per RFC 8259: UTF-8, no NaN/Infinity, nesting bounded, strings valid UTF-8."""
    text = decode_utf8(body, line)
    check_depth(text, max_depth)
    try:
        doc = _DECODER.decode(text)
        if _SURROGATE_ESCAPE.search(text):
            _refuse_surrogates(doc)
    except json.JSONDecodeError as exc:
        raise _malformed(exc, line) from None
    except BodyError as exc:
        if line is not None:
            exc.detail["record_line"] = line
        raise
    return doc


def parse_single(body: bytes, max_depth: int = MAX_JSON_DEPTH) -> bytes:
    """Validate one JSON document; the original bytes become the record value unchanged."""
    load_json(body, max_depth)
    return body.strip()


def _encode(doc: object) -> bytes:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


def _too_many(limit: int) -> BodyError:
    return BodyError(413, {"error": "too many records", "limit_records": limit})


def _array_elements(text: str, limit: int) -> Iterator[object]:
    """Elements of a JSON array, decoded one at a time and at most `limit` of them: json.loads of a
    1 MB array of `{}` builds 333,000 objects (~40 MB, 1.5 s) before the count could be checked."""
    idx = _WHITESPACE.match(text).end()
    if not text.startswith("[", idx):
        _DECODER.decode(text)  # raises the JSON error if the body is not JSON at all
        raise BodyError(422, {"error": "batch body must be a JSON array (or send NDJSON)"})
    idx = _WHITESPACE.match(text, idx + 1).end()
    count = 0
    while not text.startswith("]", idx):
        if count == limit:
            raise _too_many(limit)
        if count:
            if not text.startswith(",", idx):
                raise json.JSONDecodeError("Expecting ',' delimiter", text, idx)
            idx = _WHITESPACE.match(text, idx + 1).end()
        doc, idx = _DECODER.raw_decode(text, idx)
        count += 1
        yield doc
        idx = _WHITESPACE.match(text, idx).end()
    idx = _WHITESPACE.match(text, idx + 1).end()
    if idx != len(text):
        raise json.JSONDecodeError("Extra data", text, idx)


def _ndjson_lines(body: bytes) -> Iterator[tuple[int, bytes]]:
    """Non-blank lines with their 1-based numbers, read lazily (no list of every line up front)."""
    for number, line in enumerate(io.BytesIO(body), start=1):
        if line.strip():
            yield number, line.strip()


def parse_batch(
    body: bytes, kind: str, max_depth: int = MAX_JSON_DEPTH, max_records: int = MAX_BATCH_RECORDS
) -> list[bytes]:
    """A JSON array or NDJSON body becomes one record value per element or line."""
    values = []
    if kind in NDJSON_TYPES:
        for number, line in _ndjson_lines(body):
            if len(values) == max_records:
                raise _too_many(max_records)
            load_json(line, max_depth, number)
            values.append(line)
    else:
        text = decode_utf8(body)
        check_depth(text, max_depth)
        escapes = _SURROGATE_ESCAPE.search(text) is not None
        try:
            for doc in _array_elements(text, max_records):
                if escapes:
                    _refuse_surrogates(doc)
                values.append(_encode(doc))
        except json.JSONDecodeError as exc:
            raise _malformed(exc) from None
    if not values:
        raise BodyError(422, {"error": "batch is empty"})
    return values


def record_headers(
    http_headers: list[tuple[bytes, bytes]], prefix: str = HEADER_PREFIX, limit: int = MAX_RECORD_HEADERS
) -> list[tuple[str, bytes]]:
    """HTTP headers `X-Record-Header-<name>: value` become Kafka record headers `<name>`, values as sent."""
    out = []
    for raw_name, value in http_headers:
        name = raw_name.decode("latin-1").lower()
        if name.startswith(prefix) and len(name) > len(prefix):
            if len(out) == limit:
                raise BodyError(422, {"error": "too many record headers", "limit_record_headers": limit})
            out.append((name[len(prefix) :], value))
    return out


KEY_HEADER = b"x-record-key"
KEY_QUERY = (b"key", b"key_b64")


def _key_error(message: str) -> BodyError:
    return BodyError(422, {"error": "invalid record key", "message": message})


def query_values(query_string: bytes, names: tuple[bytes, ...]) -> dict[bytes, list[bytes]]:
    """Percent-decoded values of the named query parameters, as bytes: Starlette's query_params
    would replace bytes that are not UTF-8 with U+FFFD and so change a key silently."""
    found: dict[bytes, list[bytes]] = {}
    for pair in query_string.split(b"&"):
        name, _sep, value = pair.partition(b"=")
        name = unquote_to_bytes(name.replace(b"+", b" "))
        if name in names:
            found.setdefault(name, []).append(unquote_to_bytes(value.replace(b"+", b" ")))
    return found


def _utf8_key(value: bytes, source: str) -> bytes:
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        raise _key_error(f"{source} is not UTF-8; send binary keys base64-encoded in key_b64") from None
    return value


def record_key(query_string: bytes, http_headers: list[tuple[bytes, bytes]]) -> bytes | None:
    """The record key from `?key=` (UTF-8 text), `?key_b64=` (base64, any bytes) or the `X-Record-Key`
    header (UTF-8 bytes, taken as sent, not re-encoded); the query wins over the header."""
    query = query_values(query_string, KEY_QUERY) if query_string else {}
    headers = [value for name, value in http_headers if name.lower() == KEY_HEADER]
    for source, values in ((b"key", query.get(b"key", ())), (b"key_b64", query.get(b"key_b64", ()))):
        if len(values) > 1:
            raise _key_error(f"{source.decode()} is given {len(values)} times")
    if len(headers) > 1:
        raise _key_error(f"X-Record-Key is given {len(headers)} times")
    if b"key" in query and b"key_b64" in query:
        raise _key_error("give key or key_b64, not both")
    if b"key_b64" in query:
        try:
            return base64.b64decode(query[b"key_b64"][0], validate=True)
        except (binascii.Error, ValueError):
            raise _key_error("key_b64 is not base64 (RFC 4648, standard alphabet, padded)") from None
    if b"key" in query:
        return _utf8_key(query[b"key"][0], "key")
    if headers:
        return _utf8_key(headers[0], "X-Record-Key")
    return None
