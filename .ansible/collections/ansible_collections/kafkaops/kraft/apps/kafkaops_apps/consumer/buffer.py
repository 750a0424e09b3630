"""The latest N messages across partitions, newest first; memory stays flat whatever flows."""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

TRUNCATION_MARKER = "… [truncated: {shown} of {total} characters shown]"


def decode(data: bytes | None) -> str | None:
    return None if data is None else data.decode("utf-8", errors="replace")


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

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class MessageBuffer:
    """Bounded newest-first buffer; waiters are woken on every change."""

    def __init__(self, size: int, display_limit: int):
        self.size = size
        self.display_limit = display_limit
        self._entries: deque[Entry] = deque(maxlen=size)
        self._seen: set[tuple[int, int]] = set()
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
        """Keep a record; a redelivery after a failed commit (same partition/offset) is ignored."""
        if (partition, offset) in self._seen:
            return None
        text, truncated = truncate(decode(value), self.display_limit)
        key_text, _ = truncate(decode(key), self.display_limit)
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
        if len(self._entries) == self.size:
            old = self._entries[-1]
            self._seen.discard((old.partition, old.offset))
        self._entries.appendleft(entry)
        self._seen.add((partition, offset))
        self.notify()
        return entry

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
