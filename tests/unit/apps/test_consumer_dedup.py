"""The consumer buffer shows a record with a given idempotency-key header once among its entries."""

from __future__ import annotations

from kafkaops_apps.consumer.buffer import IDEMPOTENCY_HEADER, MessageBuffer


def keyed(key: bytes) -> list[tuple[str, bytes]]:
    return [("trace", b"t"), (IDEMPOTENCY_HEADER, key)]


def test_same_idempotency_key_is_shown_once_and_counted():
    buf = MessageBuffer(size=10, display_limit=100)
    assert buf.add(0, 1, 0, None, b"first", keyed(b"order-7")) is not None
    assert buf.add(2, 9, 0, None, b"retry", keyed(b"order-7")) is None  # other partition, same key
    assert buf.add(0, 2, 0, None, b"other", keyed(b"order-8")) is not None
    assert [e.value for e in buf.entries()] == ["other", "first"]
    assert buf.deduplicated == 1


def test_records_without_the_header_are_never_deduplicated():
    buf = MessageBuffer(size=10, display_limit=100)
    for offset in range(3):
        assert buf.add(0, offset, 0, None, b"same", [("Idempotency-Key", b"k"), ("other", b"k")]) is not None
    assert buf.add(0, 3, 0, None, b"empty", [(IDEMPOTENCY_HEADER, b"")]) is not None
    assert buf.add(0, 4, 0, None, b"empty", [(IDEMPOTENCY_HEADER, b"")]) is not None
    assert buf.add(0, 5, 0, None, b"null", [(IDEMPOTENCY_HEADER, None)]) is not None
    assert len(buf) == 6 and buf.deduplicated == 0


def test_a_key_is_forgotten_once_its_entry_leaves_the_buffer():
    buf = MessageBuffer(size=2, display_limit=100)
    buf.add(0, 0, 0, None, b"a", keyed(b"k1"))
    buf.add(0, 1, 0, None, b"b", keyed(b"k2"))
    assert buf.add(0, 2, 0, None, b"a again", keyed(b"k1")) is None
    buf.add(0, 3, 0, None, b"c", keyed(b"k3"))  # pushes out k1's entry
    assert buf.add(0, 4, 0, None, b"a later", keyed(b"k1")) is not None
    assert [e.value for e in buf.entries()] == ["a later", "c"]
    assert buf.deduplicated == 1


def test_long_keys_are_compared_in_full_but_stored_as_digests():
    buf = MessageBuffer(size=10, display_limit=100)
    long_a, long_b = b"x" * 1_000_000 + b"a", b"x" * 1_000_000 + b"b"
    assert buf.add(0, 0, 0, None, b"a", keyed(long_a)) is not None
    assert buf.add(0, 1, 0, None, b"b", keyed(long_b)) is not None
    assert buf.add(0, 2, 0, None, b"a2", keyed(long_a)) is None
    assert all(len(digest) == 32 for digest in buf._keys)


def test_a_redelivery_is_not_counted_as_a_duplicate():
    buf = MessageBuffer(size=10, display_limit=100)
    buf.add(0, 1, 0, None, b"v", keyed(b"k"))
    assert buf.add(0, 1, 0, None, b"v", keyed(b"k")) is None
    assert buf.deduplicated == 0
