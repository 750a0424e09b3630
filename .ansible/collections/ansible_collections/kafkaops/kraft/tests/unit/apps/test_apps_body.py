"""Producer body handling: content types, limits, JSON and NDJSON parsing, record headers."""

from __future__ import annotations

import asyncio

import pytest
from kafkaops_apps.producer.body import (
    BodyError,
    parse_batch,
    parse_single,
    read_limited,
    record_headers,
    require_type,
)


def test_seed_body_is_sent_unchanged():
    assert parse_single(b'{"key": "Hello Kafka!"}\n') == b'{"key": "Hello Kafka!"}'


def test_malformed_json_reports_the_parse_error():
    with pytest.raises(BodyError) as err:
        parse_single(b'{"key": ')
    assert err.value.status == 422
    assert err.value.detail["message"] == "Expecting value" and err.value.detail["column"] == 9


@pytest.mark.parametrize("ctype", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_wrong_content_type_is_415(ctype):
    with pytest.raises(BodyError) as err:
        require_type(ctype, ("application/json",))
    assert err.value.status == 415


def test_content_type_parameters_are_ignored():
    assert require_type("Application/JSON; charset=utf-8", ("application/json",)) == "application/json"


async def _chunks(*parts):
    for part in parts:
        yield part


def test_size_limit_checks_header_and_stream():
    with pytest.raises(BodyError) as err:
        asyncio.run(read_limited(_chunks(b""), "2000", 1024))
    assert err.value.status == 413
    with pytest.raises(BodyError):
        asyncio.run(read_limited(_chunks(b"x" * 1000, b"x" * 100), None, 1024))
    assert asyncio.run(read_limited(_chunks(b"ab", b"c"), "3", 1024)) == b"abc"


def test_batch_array_and_ndjson():
    assert parse_batch(b'[{"a": 1}, "x"]', "application/json") == [b'{"a":1}', b'"x"']
    assert parse_batch(b'{"a": 1}\n\n{"b": 2}\n', "application/x-ndjson") == [b'{"a": 1}', b'{"b": 2}']
    with pytest.raises(BodyError) as err:
        parse_batch(b'{"a": 1}\n{"b": \n', "application/x-ndjson")
    assert err.value.status == 422 and err.value.detail["record_line"] == 2
    with pytest.raises(BodyError):
        parse_batch(b'{"a": 1}', "application/json")


def test_record_headers_come_from_prefixed_http_headers():
    raw = [(b"content-type", b"application/json"), (b"X-Record-Header-Trace", b"abc"), (b"x-record-header-", b"no")]
    assert record_headers(raw) == [("trace", b"abc")]
