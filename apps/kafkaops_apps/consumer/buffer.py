"""The latest N messages across partitions, newest first; memory stays flat whatever flows."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

TRUNCATION_MARKER = "… [truncated: {shown} of {total} characters shown]"
# The producer writes the request's Idempotency-Key as this record header; the page shows one
# row per key among the buffered records.
IDEMPOTENCY_HEADER = "idempotency-key"


def decode(data: bytes | None) -> str | None:
    return None if data is None else data.decode("utf-8", errors="replace")


def idempotency_digest(headers: list[tuple[str, bytes]] | tuple) -> bytes | None:
    """sha256 of the record's idempotency-key header; None without one (or with an empty one)."""
    for name, value in headers:
        if name == IDEMPOTENCY_HEADER and value:
            return hashlib.sha256(value).digest()
    return None


def truncate(text: str | None, limit: int) -> tuple[str | None, bool]:
    """Cut text to `limit` characters and append a visible marker saying so."""
    if text is None or len(text) <= limit:
        return text, False
    return text[:limit] + TRUNCATION_MARKER.format(shown=limit, total=len(text)), True


@dataclass(frozen=True)
class Entry:
    seq: int  # arrival order in this process; SSE clients resume from it
    partition: int
    offset: int
    timestamp: int | None
    key: str | None
    headers: list[tuple[str, str]]
    value: str | None
    value_bytes: int
    truncated: bool
    skipped: str | None = None  # set on a placeholder for a record that could not be read

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class MessageBuffer:
    """Bounded newest-first buffer; waiters are woken on every change."""

    def __init__(self, size: int, display_limit: int):
        self.size = size
        self.display_limit = display_limit
        self._entries: deque[Entry] = deque(maxlen=size)
        self._seen: set[tuple[int, int]] = set()
        # sha256 of each buffered record's idempotency key: bounded whatever size the key has.
        self._keys: set[bytes] = set()
        self._key_of: dict[int, bytes] = {}  # entry seq -> its digest, to forget it when the entry leaves
        self.deduplicated = 0
        self._seq = itertools.count(1)
        self._changed = asyncio.Event()

    def __len__(self) -> int:
        return len(self._entries)

    def add(
        self,
        partition: int,
        offset: int,
        timestamp: int | None,
        key: bytes | None,
        value: bytes | None,
        headers: list[tuple[str, bytes]] | tuple = (),
    ) -> Entry | None:
        """Keep a record; a redelivery after a failed commit (same partition/offset) is ignored,
        and so is a record whose idempotency key a buffered record already has (counted)."""
        if (partition, offset) in self._seen:
            return None
        key_digest = idempotency_digest(headers)
        if key_digest is not None and key_digest in self._keys:
            self.deduplicated += 1
            return None
        text, truncated = truncate(decode(value), self.display_limit)
        key_text, _key_truncated = truncate(decode(key), self.display_limit)
        entry = Entry(
            seq=next(self._seq),
            partition=partition,
            offset=offset,
            timestamp=timestamp,
            key=key_text,
            headers=[(name, truncate(decode(v), 200)[0] or "") for name, v in headers],
            value=text,
            value_bytes=len(value or b""),
            truncated=truncated,
        )
        self._append(entry, key_digest)
        return entry

    def add_skipped(self, partition: int, offset: int, problem: str) -> Entry | None:
        """A placeholder row for a record that could not be read, so the gap is visible."""
        if (partition, offset) in self._seen:
            return None
        entry = Entry(
            seq=next(self._seq),
            partition=partition,
            offset=offset,
            timestamp=None,
            key=None,
            headers=[],
            value=None,
            value_bytes=0,
            truncated=False,
            skipped=f"{problem} at partition {partition} offset {offset}",
        )
        self._append(entry, None)
        return entry

    def _append(self, entry: Entry, key_digest: bytes | None) -> None:
        if len(self._entries) == self.size:
            old = self._entries[-1]
            self._seen.discard((old.partition, old.offset))
            old_digest = self._key_of.pop(old.seq, None)
            if old_digest is not None:
                self._keys.discard(old_digest)
        self._entries.appendleft(entry)
        self._seen.add((entry.partition, entry.offset))
        if key_digest is not None:
            self._keys.add(key_digest)
            self._key_of[entry.seq] = key_digest
        self.notify()

    def entries(self) -> list[Entry]:
        """Newest first by arrival; within one fetch, arrival order is offset order."""
        return list(self._entries)

    def since(self, seq: int) -> list[Entry]:
        """Entries newer than `seq`, oldest first (the order a client should prepend them)."""
        return [e for e in reversed(self._entries) if e.seq > seq]

    @property
    def last_seq(self) -> int:
        return self._entries[0].seq if self._entries else 0

    def notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait(self, timeout: float) -> None:
        try:
            async with asyncio.timeout(timeout):
                await self._changed.wait()
        except TimeoutError:
            pass
