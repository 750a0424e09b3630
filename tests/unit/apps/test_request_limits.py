"""Request bounds: strict JSON (RFC 8259), nesting depth, batch size while parsing, record keys
and headers, and the header-size/count middleware."""

from __future__ import annotations

import asyncio
import json

import pytest
from kafkaops_apps.http_protocol import busy_app, head_too_large_response, server_options
from kafkaops_apps.limits import HeaderLimits, header_problem
from kafkaops_apps.producer.body import BodyError, json_depth, parse_batch, parse_single, record_headers, record_key
from kafkaops_apps.settings import SettingsError, parse_settings

JSON, NDJSON = "application/json", "application/x-ndjson"


def refused(call, *args) -> BodyError:
    with pytest.raises(BodyError) as err:
        call(*args)
    return err.value


@pytest.mark.parametrize("call", [parse_single, lambda body: parse_batch(body, JSON)])
def test_deep_nesting_is_422_not_recursion_error(call):
    err = refused(call, b"[" * 1000)  # 1 KB that json.loads answers with RecursionError
    assert err.status == 422 and err.detail["error"] == "JSON nested too deeply" and err.detail["limit_depth"] == 64


def test_nesting_up_to_the_limit_is_accepted_and_the_limit_is_settable():
    assert parse_single(b"[" * 64 + b"]" * 64) == b"[" * 64 + b"]" * 64
    assert refused(parse_single, b"[" * 65 + b"]" * 65).detail["got_depth"] == 65
    assert refused(parse_single, b'{"a": {"b": [1]}}', 2).detail["limit_depth"] == 2


def test_depth_ignores_brackets_inside_strings():
    assert json_depth('["[[[[", {"k": "\\"{{{"}]') == 2
    assert parse_single(b'["' + b"[" * 500 + b'"]') == b'["' + b"[" * 500 + b'"]'


@pytest.mark.parametrize("kind", [JSON, NDJSON])
def test_lone_surrogate_is_422(kind):
    err = refused(parse_batch, b'["\\ud800"]', kind)
    assert err.status == 422 and err.detail["error"] == "invalid JSON string"
    assert refused(parse_single, b'{"\\udfff": 1}').detail["error"] == "invalid JSON string"


def test_surrogate_pairs_and_escaped_backslashes_are_fine():
    assert parse_single(b'["\\ud83d\\ude00"]') == b'["\\ud83d\\ude00"]'
    assert parse_single(b'["\\\\ud800"]') == b'["\\\\ud800"]'  # the text \ud800, not an escape
    assert parse_batch(b'["\\ud83d\\ude00"]', JSON) == ['"😀"'.encode()]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-8-sig"])
def test_only_plain_utf8_is_json(encoding):
    err = refused(parse_single, '{"a": "é"}'.encode(encoding))
    assert err.status == 422 and err.detail["error"] == "malformed JSON"
    assert refused(parse_batch, '[{"a": 1}]'.encode(encoding), JSON).status == 422


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_nan_and_infinity_are_not_json(constant):
    err = refused(parse_single, b'{"v": ' + constant + b"}")
    assert err.status == 422 and constant.decode() in err.detail["message"]
    assert refused(parse_batch, b"[" + constant + b"]", JSON).status == 422
    assert refused(parse_batch, b"1\n" + constant + b"\n", NDJSON).detail["record_line"] == 2


@pytest.mark.parametrize("kind", [JSON, NDJSON])
def test_record_count_is_bounded_while_parsing(kind):
    many = b"[" + b",".join([b"{}"] * 300_000) + b"]" if kind == JSON else b"{}\n" * 300_000
    err = refused(parse_batch, many, kind, 64, 10)
    assert err.status == 413 and err.detail == {"error": "too many records", "limit_records": 10}
    assert len(parse_batch(b"[" + b",".join([b"1"] * 10) + b"]", kind if kind == JSON else JSON, 64, 10)) == 10


@pytest.mark.parametrize(
    ("body", "message"),
    [(b"[1,]", "Expecting value"), (b"[1 2]", "Expecting ',' delimiter"), (b"[1] x", "Extra data"), (b"[1", None)],
)
def test_incremental_array_parse_reports_json_errors(body, message):
    err = refused(parse_batch, body, JSON)
    assert err.status == 422 and err.detail["error"] == "malformed JSON"
    assert message is None or err.detail["message"] == message


def test_batch_array_whitespace_and_empty():
    assert parse_batch(b' [ 1 , {"a" : [2]} ] \n', JSON) == [b"1", b'{"a":[2]}']
    assert refused(parse_batch, b" [ ] ", JSON).detail["error"] == "batch is empty"


def test_record_headers_are_capped():
    raw = [(f"x-record-header-h{i}".encode(), b"v") for i in range(3)]
    assert len(record_headers(raw, limit=3)) == 3
    err = refused(lambda: record_headers(raw, limit=2))
    assert err.status == 422 and err.detail == {"error": "too many record headers", "limit_record_headers": 2}


@pytest.mark.parametrize(
    ("query", "headers", "key"),
    [
        (b"", [], None),
        (b"key=%C3%A9", [], b"\xc3\xa9"),
        (b"key=", [], b""),
        (b"key=a+b", [(b"x-record-key", b"hdr")], b"a b"),  # the query wins
        (b"", [(b"x-record-key", "é".encode())], b"\xc3\xa9"),  # header bytes as sent, not re-encoded
        (b"key_b64=%2F%2F8AAA%3D%3D", [], b"\xff\xff\x00\x00"),
        (b"key_b64=AP8%3D&other=1", [(b"x-record-key", b"hdr")], b"\x00\xff"),
    ],
)
def test_record_key_sources(query, headers, key):
    assert record_key(query, headers) == key


@pytest.mark.parametrize(
    ("query", "headers", "message"),
    [
        (b"key=%ff", [], "key is not UTF-8"),
        (b"", [(b"x-record-key", b"\xff")], "X-Record-Key is not UTF-8"),
        (b"key=a&key_b64=YQ%3D%3D", [], "not both"),
        (b"key_b64=!!", [], "not base64"),
        (b"key_b64=%2F%2F8", [], "not base64"),  # padding missing
        (b"key=a&key=b", [], "given 2 times"),
        (b"", [(b"x-record-key", b"a"), (b"x-record-key", b"b")], "given 2 times"),
    ],
)
def test_bad_record_keys_are_422(query, headers, message):
    err = refused(record_key, query, headers)
    assert err.status == 422 and err.detail["error"] == "invalid record key" and message in err.detail["message"]


def test_header_problem_counts_fields_and_bytes():
    headers = [(b"host", b"x"), (b"a", b"b" * 10)]
    assert header_problem(headers, 100, 2) is None
    assert header_problem(headers, 100, 1)["error"] == "too many request headers"
    assert header_problem(headers, 20, 2) == {"error": "request headers too large", "limit_bytes": 20, "got_bytes": 24}


def run_asgi(app, headers):
    sent = []

    async def send(message):
        sent.append(message)

    async def receive():
        raise AssertionError("the body must not be read")

    asyncio.run(app({"type": "http", "headers": headers}, receive, send))
    return sent


def test_header_limits_middleware_answers_431_without_reading_the_body():
    async def inner(scope, receive, send):
        await send({"type": "http.response.start", "status": 204, "headers": []})

    app = HeaderLimits(inner, max_bytes=64, max_count=3)
    assert run_asgi(app, [(b"a", b"b")])[0]["status"] == 204
    for headers in ([(b"a", b"b")] * 4, [(b"a", b"b" * 100)]):
        start, body = run_asgi(app, headers)
        assert start["status"] == 431 and (b"connection", b"close") in start["headers"]
        assert json.loads(body["body"])["detail"]["error"].startswith(("too many", "request headers too large"))


def test_protocol_pieces_carry_the_limits():
    assert b"431 Request Header Fields Too Large" in head_too_large_response(100)
    options = server_options(2048, 7, 10)
    assert options["limit_concurrency"] == 10 and options["http"].max_head_bytes == 2048
    assert options["http"].retry_after_s == 7
    start = run_asgi(busy_app(7), [])[0]
    assert start["status"] == 503 and (b"retry-after", b"7") in start["headers"]


def test_limit_settings_defaults_and_validation():
    s = parse_settings({"KAFKA_BOOTSTRAP_SERVERS": "k:9092"})
    assert (s.max_header_bytes, s.max_header_count, s.max_record_headers) == (16384, 100, 32)
    assert (s.max_json_depth, s.limit_concurrency) == (64, 1024)
    for name, bad in [("MAX_JSON_DEPTH", "0"), ("MAX_JSON_DEPTH", "900"), ("LIMIT_CONCURRENCY", "1")]:
        with pytest.raises(SettingsError, match=name):
            parse_settings({"KAFKA_BOOTSTRAP_SERVERS": "k:9092", name: bad})
