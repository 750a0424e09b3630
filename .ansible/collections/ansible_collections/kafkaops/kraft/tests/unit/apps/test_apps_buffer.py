"""The consumer's bounded buffer and value truncation."""

from __future__ import annotations

from kafkaops_apps.consumer.buffer import MessageBuffer, truncate


def test_buffer_never_exceeds_n_and_is_newest_first():
    buf = MessageBuffer(size=10, display_limit=100)
    for offset in range(1000):
        buf.add(offset % 3, offset, 0, None, b"v%d" % offset)
        assert len(buf) <= 10
    entries = buf.entries()
    assert [e.offset for e in entries] == list(range(999, 989, -1))


def test_redelivered_record_is_ignored():
    buf = MessageBuffer(size=10, display_limit=100)
    assert buf.add(0, 5, 0, b"k", b"v") is not None
    assert buf.add(0, 5, 0, b"k", b"v") is None
    assert len(buf) == 1


def test_since_returns_oldest_first_for_prepending():
    buf = MessageBuffer(size=3, display_limit=100)
    for offset in range(5):
        buf.add(0, offset, 0, None, b"x")
    assert [e.offset for e in buf.since(3)] == [3, 4]


def test_truncation_adds_a_marker():
    text, cut = truncate("a" * 900_000, 2000)
    assert cut and text.startswith("a" * 2000)
    assert "truncated: 2000 of 900000 characters shown" in text
    assert truncate("short", 2000) == ("short", False)


def test_values_are_decoded_leniently():
    buf = MessageBuffer(size=2, display_limit=10)
    entry = buf.add(0, 0, None, b"\xff", b"\xfe\xffok", [("h", b"\x00v")])
    assert entry.key == "\ufffd" and entry.value.endswith("ok") and entry.headers == [("h", "\x00v")]
