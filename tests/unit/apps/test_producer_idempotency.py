"""Idempotency-Key logic of the producer (apps/kafkaops_apps/producer/idempotency.py), with a fake clock."""

from __future__ import annotations

import asyncio
import gc

import pytest
from kafkaops_apps.producer.idempotency import (
    Claim,
    IdempotencyError,
    IdempotencyStore,
    fingerprint,
    parse_key,
    with_record_header,
)

FP = fingerprint("POST", "/send", "application/json", None, [], b'{"a":1}')
OTHER_FP = fingerprint("POST", "/send", "application/json", None, [], b'{"a":2}')


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def run(coro):
    return asyncio.run(coro)


async def settle():
    """Let the done callbacks scheduled by set_result/set_exception run."""
    for _tick in range(3):
        await asyncio.sleep(0)


def send_future() -> asyncio.Future:
    return asyncio.get_running_loop().create_future()


def produce(claim: Claim) -> list[asyncio.Future]:
    """What the service does: hand every claimed record to a (fake) producer send."""
    sends = []
    for index in claim.todo:
        send = send_future()
        claim.attach(index, send)
        sends.append(send)
    return sends


# --- the header -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ([], None),
        (["8e03978e-40d5-43e8-bc93-6894a57f9324"], "8e03978e-40d5-43e8-bc93-6894a57f9324"),
        (['"8e03978e-40d5-43e8"'], "8e03978e-40d5-43e8"),  # Structured Field String, as in the draft
        ([r'"a\"b\\c"'], 'a"b\\c'),
        (["  k1  "], "k1"),
        (["x" * 255], "x" * 255),
    ],
)
def test_valid_keys(fields, key):
    assert parse_key(fields) == key


@pytest.mark.parametrize(
    "fields",
    [
        [""],
        ['""'],
        ["x" * 256],
        ["with space"],
        ["tab\there"],
        ["caf\u00e9"],
        ["order#1"],  # '#' separates a batch record's index in the record header
        ['"unterminated\\"'],
        ['"a"b"'],
        ["k1", "k2"],
    ],
)
def test_malformed_keys_are_400(fields):
    with pytest.raises(IdempotencyError) as err:
        parse_key(fields)
    assert err.value.status == 400


def test_fingerprint_covers_method_path_type_record_key_headers_and_body():
    base = ("POST", "/send", "application/json", b"k", [("h", b"v")], b"{}")
    variants = [
        ("PUT", *base[1:]),
        (base[0], "/send/batch", *base[2:]),
        (*base[:2], "application/x-ndjson", *base[3:]),
        (*base[:3], None, *base[4:]),
        (*base[:3], b"", *base[4:]),
        (*base[:4], [], base[5]),
        (*base[:4], [("h", b"w")], base[5]),
        (*base[:5], b"{ }"),
    ]
    digests = {fingerprint(*v) for v in variants}
    assert fingerprint(*base) == fingerprint(*base)
    assert len(digests) == len(variants) and fingerprint(*base) not in digests
    # Length prefixes: parts cannot slide into each other.
    assert fingerprint(*base[:4], [("ab", b"c")], b"") != fingerprint(*base[:4], [("a", b"bc")], b"")


def test_record_header_per_record_and_client_header_replaced():
    async def main():
        single = Claim("k1", False, [send_future()], [0])
        batch = Claim("k1", True, [send_future(), send_future()], [0, 1])
        client = [("idempotency-key", b"forged"), ("trace", b"t")]
        assert single.record_headers(0, client) == [("trace", b"t"), ("idempotency-key", b"k1")]
        assert batch.record_headers(1, []) == [("idempotency-key", b"k1#1")]
        assert Claim.single_use(1).record_headers(0, client) == client

    run(main())
    assert with_record_header([], b"v") == [("idempotency-key", b"v")]


# --- the store --------------------------------------------------------------------------------


def test_retry_with_same_request_gets_the_first_result_without_producing():
    async def main():
        store = IdempotencyStore(300, 100, Clock())
        first = store.claim("k1", FP, 1, batch=False)
        assert first.todo == [0] and first.reused == 0
        (send,) = produce(first)
        send.set_result("partition 0 offset 7")
        await settle()
        retry = store.claim("k1", FP, 1, batch=False)
        assert retry.todo == [] and retry.reused == 1
        assert retry.slots[0].result() == "partition 0 offset 7"

    run(main())


def test_same_key_with_another_request_is_422():
    async def main():
        store = IdempotencyStore(300, 100, Clock())
        produce(store.claim("k1", FP, 1, batch=False))
        with pytest.raises(IdempotencyError) as err:
            store.claim("k1", OTHER_FP, 1, batch=False)
        assert err.value.status == 422 and err.value.kind == "idempotency_conflict"

    run(main())


def test_retry_while_in_flight_waits_for_the_same_send():
    async def main():
        store = IdempotencyStore(300, 100, Clock())
        first = store.claim("k1", FP, 1, batch=False)
        (send,) = produce(first)
        # The first request's HTTP timeout passes; its send goes on. The retry produces nothing.
        retry = store.claim("k1", FP, 1, batch=False)
        assert retry.todo == [] and not retry.slots[0].done()
        done, _pending = await asyncio.wait(retry.slots, timeout=0.01)
        assert not done
        send.set_result("written after the first answer")
        await asyncio.wait(retry.slots, timeout=1)
        assert retry.slots[0].result() == "written after the first answer"

    run(main())


def test_a_definitive_failure_is_not_final_the_retry_produces_again():
    async def main():
        store = IdempotencyStore(300, 100, Clock())
        (send,) = produce(store.claim("k1", FP, 1, batch=False))
        send.set_exception(ConnectionError("broker refused"))
        await settle()
        assert len(store) == 0 and store.records == 0
        retry = store.claim("k1", FP, 1, batch=False)
        assert retry.todo == [0] and retry.reused == 0

    run(main())


def test_a_failure_seen_before_its_callback_ran_still_counts_once():
    async def main():
        store = IdempotencyStore(300, 100, Clock())
        (send,) = produce(store.claim("k1", FP, 1, batch=False))
        send.set_exception(ConnectionError("refused"))
        await asyncio.sleep(0)  # the slot failed; the store's own callback has not run yet
        retry = store.claim("k1", FP, 1, batch=False)
        assert retry.todo == [0]
        (again,) = produce(retry)
        await settle()
        again.set_result("ok")
        await settle()
        assert store.claim("k1", FP, 1, batch=False).todo == []

    run(main())


def test_a_batch_retry_produces_only_the_records_that_failed():
    async def main():
        store = IdempotencyStore(300, 100, Clock())
        sends = produce(store.claim("b1", FP, 3, batch=True))
        sends[0].set_result("r0")
        sends[1].set_exception(ConnectionError("refused"))
        sends[2].set_result("r2")
        await settle()
        retry = store.claim("b1", FP, 3, batch=True)
        assert retry.todo == [1] and retry.reused == 2
        assert [retry.slots[i].result() for i in (0, 2)] == ["r0", "r2"]

    run(main())


def test_records_never_handed_to_kafka_release_the_key():
    async def main():
        store = IdempotencyStore(300, 100, Clock())
        claim = store.claim("k1", FP, 2, batch=True)
        claim.attach(0, send := send_future())
        assert claim.fail_unattached(RuntimeError("not sent")) == 1
        send.set_exception(ConnectionError("refused"))
        await settle()
        assert len(store) == 0

    run(main())


def test_keys_expire_a_window_after_their_records_settled_never_while_in_flight():
    async def main():
        clock = Clock()
        store = IdempotencyStore(300, 100, clock)
        (pending,) = produce(store.claim("slow", FP, 1, batch=False))
        (send,) = produce(store.claim("k1", FP, 1, batch=False))
        clock.now += 200
        send.set_result("r")
        await settle()
        clock.now += 299
        assert store.claim("k1", FP, 1, batch=False).todo == []
        clock.now += 2
        assert store.claim("k1", FP, 1, batch=False).todo == [0]  # forgotten: produced anew
        clock.now += 10_000
        assert store.claim("slow", FP, 1, batch=False).todo == []  # still in flight: kept
        pending.set_result("r")

    run(main())


def test_full_store_evicts_the_oldest_settled_keys_first():
    async def main():
        clock = Clock()
        store = IdempotencyStore(300, 3, clock)
        for key in ("a", "b", "c"):
            produce(store.claim(key, FP, 1, batch=False))[0].set_result(key)
            await settle()
            clock.now += 1
        produce(store.claim("d", FP, 2, batch=True))
        assert store.records == 3
        assert store.claim("c", FP, 1, batch=False).todo == []  # newest kept
        assert store.claim("a", OTHER_FP, 1, batch=False).todo == [0]  # "a" was forgotten: no conflict

    run(main())


def test_full_of_in_flight_keys_is_503_and_none_is_forgotten():
    async def main():
        store = IdempotencyStore(300, 2, Clock())
        produce(store.claim("a", FP, 1, batch=False))
        produce(store.claim("b", FP, 1, batch=False))
        with pytest.raises(IdempotencyError) as err:
            store.claim("c", FP, 1, batch=False)
        assert err.value.status == 503
        assert store.claim("a", FP, 1, batch=False).todo == [] and len(store) == 2

    run(main())


def test_a_batch_larger_than_the_store_is_413():
    async def main():
        store = IdempotencyStore(300, 2, Clock())
        with pytest.raises(IdempotencyError) as err:
            store.claim("big", FP, 3, batch=True)
        assert err.value.status == 413

    run(main())


def test_unretrieved_failures_are_not_reported_to_asyncio():
    reported = []

    async def main():
        asyncio.get_running_loop().set_exception_handler(lambda loop, context: reported.append(context))
        store = IdempotencyStore(300, 10, Clock())
        produce(store.claim("k1", FP, 1, batch=False))[0].set_exception(ConnectionError("x"))
        single = Claim.single_use(1)
        single.fail_unattached(RuntimeError("not sent"))
        await settle()
        del single
        gc.collect()

    run(main())
    assert reported == []
