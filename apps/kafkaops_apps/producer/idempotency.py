"""Idempotency-Key for POST /send and /send/batch (IETF httpapi draft "The Idempotency-Key HTTP
Header Field"): a retry with the same key and the same request gets the first attempt's records
instead of producing them again.

A key's entry holds one future per record ("slot"). A slot stays pending until Kafka
acknowledged or definitively refused the record; an HTTP timeout does not end it. So a retry
that arrives while the first attempt's record is still in flight waits for that same send, and
a record written after the first answer (503) is found by the retry rather than written twice.
Only slots that definitively failed are produced again. Keys are kept for a window after their
last record settled, and the total number of records remembered is bounded.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

HTTP_HEADER = "idempotency-key"
# The Kafka record header consumers de-duplicate on: the key for /send, `<key>#<index>` for
# each record of a /send/batch, so every record of the topic has its own value.
RECORD_HEADER = "idempotency-key"
MAX_KEY_CHARS = 255
BATCH_SEPARATOR = "#"


class IdempotencyError(Exception):
    """A request the key mechanism refuses; `status` is the HTTP answer, `kind` the metrics label."""

    def __init__(self, status: int, kind: str, detail: dict[str, Any]):
        super().__init__(detail.get("error", kind))
        self.status = status
        self.kind = kind
        self.detail = detail


def _malformed(why: str) -> IdempotencyError:
    return IdempotencyError(400, "idempotency_key_malformed", {"error": "malformed Idempotency-Key", "message": why})


def parse_key(fields: list[str]) -> str | None:
    """The key from the request's Idempotency-Key field lines, or None without one.

    The draft makes the field a Structured Field String (`"…"`, RFC 8941); a bare token is
    accepted too, as most clients send one. The key is 1-255 visible ASCII characters other than
    `#`, which separates a batch key from the record index in the record header.
    """
    if not fields:
        return None
    if len(fields) > 1:
        raise _malformed("more than one Idempotency-Key header")
    key = fields[0].strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = _unquote(key[1:-1])
    if not key:
        raise _malformed("the key is empty")
    if len(key) > MAX_KEY_CHARS:
        raise _malformed(f"the key is longer than {MAX_KEY_CHARS} characters")
    if not all("!" <= ch <= "~" for ch in key):
        raise _malformed("the key must be visible ASCII characters (no spaces or control characters)")
    if BATCH_SEPARATOR in key:
        raise _malformed(f"the key must not contain {BATCH_SEPARATOR!r} (it separates a batch record's index)")
    return key


def _unquote(inner: str) -> str:
    out, escaped = [], False
    for ch in inner:
        if escaped:
            if ch not in '"\\':
                raise _malformed('only \\" and \\\\ may be escaped in a quoted key')
            out.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == '"':
            raise _malformed('unescaped " inside a quoted key')
        else:
            out.append(ch)
    if escaped:
        raise _malformed("the quoted key ends with a backslash")
    return "".join(out)


def fingerprint(
    method: str,
    path: str,
    media_type: str,
    record_key: bytes | None,
    record_headers: Iterable[tuple[str, bytes]],
    body: bytes,
) -> bytes:
    """SHA-256 over everything that decides what is written: the same key may only be retried
    with a byte-identical request. Each part is length-prefixed so parts cannot run together."""
    digest = hashlib.sha256()

    def part(data: bytes) -> None:
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)

    part(method.upper().encode())
    part(path.encode())
    part(media_type.encode())
    part(b"\x00" if record_key is None else b"\x01" + record_key)
    for name, value in record_headers:
        part(name.encode())
        part(value)
    part(body)
    return digest.digest()


def with_record_header(headers: list[tuple[str, bytes]], value: bytes) -> list[tuple[str, bytes]]:
    """The client's record headers plus ours; a client-sent `idempotency-key` header is replaced."""
    return [(name, v) for name, v in headers if name != RECORD_HEADER] + [(RECORD_HEADER, value)]


def _is_failed(slot: asyncio.Future) -> bool:
    return slot.done() and (slot.cancelled() or slot.exception() is not None)


class _Entry:
    __slots__ = ("fingerprint", "pending", "settled_at", "slots", "written")

    def __init__(self, fingerprint: bytes, count: int):
        self.fingerprint = fingerprint
        self.slots: list[asyncio.Future | None] = [None] * count
        self.pending = 0  # slots in flight
        self.written = 0  # slots Kafka acknowledged
        self.settled_at = 0.0


class Claim:
    """What one request does under its key: `todo` are the record indexes it must produce (their
    slots are pending until `attach` or `fail`); the other slots come from an earlier attempt."""

    def __init__(self, key: str | None, batch: bool, slots: list[asyncio.Future], todo: list[int]):
        self.key = key
        self.batch = batch
        self.slots = slots
        self.todo = todo
        self.reused = len(slots) - len(todo)
        self._attached: set[int] = set()

    @classmethod
    def single_use(cls, count: int) -> Claim:
        """A request without a key: every record is produced, nothing is remembered."""
        loop = asyncio.get_running_loop()
        slots = [loop.create_future() for _record in range(count)]
        for slot in slots:
            slot.add_done_callback(_retrieve)
        return cls(None, False, slots, list(range(count)))

    def record_headers(self, index: int, headers: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
        if self.key is None:
            return headers
        value = f"{self.key}{BATCH_SEPARATOR}{index}" if self.batch else self.key
        return with_record_header(headers, value.encode())

    def attach(self, index: int, send: asyncio.Future) -> None:
        """The slot takes the outcome of the producer's send future, whenever it comes."""
        slot = self.slots[index]
        self._attached.add(index)

        def copy(send: asyncio.Future) -> None:
            if slot.done():
                return
            if send.cancelled():
                slot.set_exception(RuntimeError("the send was cancelled"))
            elif send.exception() is not None:
                slot.set_exception(send.exception())
            else:
                slot.set_result(send.result())

        send.add_done_callback(copy)

    def fail_unattached(self, exc: Exception) -> int:
        """Fail the slots this request claimed but never handed to the producer; returns how many."""
        failed = 0
        for index in self.todo:
            if index not in self._attached and not self.slots[index].done():
                self.slots[index].set_exception(exc)
                failed += 1
        return failed

    @property
    def attached(self) -> int:
        return len(self._attached)


def _retrieve(slot: asyncio.Future) -> None:
    # Mark the exception as seen: a failure nobody waits for any more is not an asyncio error.
    if not slot.cancelled():
        slot.exception()


class IdempotencyStore:
    """Keys of recent requests with their records' outcomes, in memory, bounded in records.

    `max_records` bounds the slots of all keys together (a /send key holds one, a batch key one per
    record, as each record gets its own record-header value). Entries with records in flight are
    never evicted or expired: forgetting one would let a retry write its record a second time.
    """

    def __init__(self, window_s: float, max_records: int, clock: Callable[[], float] = time.monotonic):
        self.window_s = window_s
        self.max_records = max_records
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._settled: OrderedDict[str, None] = OrderedDict()  # keys with nothing in flight, oldest first
        self._records = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def records(self) -> int:
        return self._records

    def claim(self, key: str, fingerprint: bytes, count: int, batch: bool) -> Claim:
        self._expire()
        entry = self._entries.get(key)
        if entry is not None and entry.fingerprint != fingerprint:
            raise IdempotencyError(
                422,
                "idempotency_conflict",
                {"error": "Idempotency-Key reused with a different request", "key": key},
            )
        if entry is None:
            entry = self._new_entry(key, fingerprint, count)
        todo = [i for i, slot in enumerate(entry.slots) if slot is None or _is_failed(slot)]
        if todo:
            self._settled.pop(key, None)
            loop = asyncio.get_running_loop()
            for index in todo:
                slot = loop.create_future()
                slot.add_done_callback(lambda slot, key=key, entry=entry: self._slot_done(key, entry, slot))
                entry.slots[index] = slot
            entry.pending += len(todo)
        return Claim(key, batch, list(entry.slots), todo)

    def _new_entry(self, key: str, fingerprint: bytes, count: int) -> _Entry:
        if count > self.max_records:
            raise IdempotencyError(
                413,
                "idempotency_too_many_records",
                {"error": "too many records for one Idempotency-Key", "limit_records": self.max_records},
            )
        while self._records + count > self.max_records and self._settled:
            self._forget(next(iter(self._settled)))
        if self._records + count > self.max_records:
            raise IdempotencyError(
                503,
                "idempotency_capacity",
                {"error": "too many requests with an Idempotency-Key in flight", "limit_records": self.max_records},
            )
        entry = _Entry(fingerprint, count)
        self._entries[key] = entry
        self._records += count
        return entry

    def _slot_done(self, key: str, entry: _Entry, slot: asyncio.Future) -> None:
        _retrieve(slot)
        if self._entries.get(key) is not entry:
            return
        entry.pending -= 1
        if not _is_failed(slot):
            entry.written += 1
        if entry.pending:
            return
        if entry.written:
            entry.settled_at = self._clock()
            self._settled[key] = None
        else:
            # Nothing of it reached Kafka (every send raised): a retry must produce it anew,
            # with any body.
            self._forget(key)

    def _forget(self, key: str) -> None:
        entry = self._entries.pop(key)
        self._settled.pop(key, None)
        self._records -= len(entry.slots)

    def _expire(self) -> None:
        deadline = self._clock() - self.window_s
        while self._settled:
            key = next(iter(self._settled))
            if self._entries[key].settled_at > deadline:
                break
            self._forget(key)
