"""The backup's JSON-lines format round-trips any record."""

from __future__ import annotations

import json

import pytest
from ansible_collections.kafkaops.kraft.plugins.module_utils.backup import decode_record, encode_record
from ansible_collections.kafkaops.kraft.plugins.module_utils.kafka_client import KafkaModuleError


def test_text_is_stored_as_text():
    line = encode_record("t", 2, 41, 1700000000000, b"id-1", b'{"id": "id-1"}', [("trace", b"abc")])
    row = json.loads(line)
    assert row == {
        "topic": "t",
        "partition": 2,
        "offset": 41,
        "timestamp": 1700000000000,
        "key": "id-1",
        "value": '{"id": "id-1"}',
        "headers": [{"key": "trace", "value": "abc"}],
    }


@pytest.mark.parametrize(
    ("key", "value", "headers"),
    [
        (None, None, []),
        (b"\xff\x00", b"\x80binary", [("h", b"\xfe"), ("empty", None)]),
        ("ключ".encode(), "значение".encode(), [("h", "ü".encode())]),
    ],
)
def test_any_record_round_trips(key, value, headers):
    record = decode_record(encode_record("t", 0, 5, None, key, value, headers))
    assert record == {"partition": 0, "offset": 5, "timestamp": None, "key": key, "value": value, "headers": headers}


def test_binary_is_marked_base64():
    row = json.loads(encode_record("t", 0, 0, 0, b"\xff", b"ok", []))
    assert row["key_encoding"] == "base64"
    assert "value_encoding" not in row


def test_garbage_line_is_a_clear_error():
    with pytest.raises(KafkaModuleError, match="not a JSON line"):
        decode_record("{not json")
