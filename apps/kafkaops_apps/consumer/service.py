"""The consumer loop: group member of test-group, buffer first, then commit (at-least-once).

aiokafka consumers cannot be restarted after stop() and start() raises when no broker
answers, so a supervisor builds a fresh consumer after each failure.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from ..kafka import KafkaHealth, bounded, client_options, stop_quietly
from ..settings import Settings
from .buffer import MessageBuffer

log = logging.getLogger(__name__)
POLL_MS = 500
# Reads of one partition while looking for an unparsable record; each returns up to
# max_poll_records, and a partition that keeps flowing must not hold the search forever.
SCAN_POLLS = 20
SKIP_REASONS = ("undecodable",)


class ConsumerService:
    def __init__(self, settings: Settings, buffer: MessageBuffer):
        self.settings = settings
        self.buffer = buffer
        self.health = KafkaHealth(settings)
        self.consumer: AIOKafkaConsumer | None = None
        self.member = False  # joined the group and polling
        self.assigned: list[int] = []
        self.lag: dict[int, int | None] = {}
        self.consumed = 0
        self.records_counter: Any = None  # a prometheus Counter, set by the app
        self.skipped: collections.Counter[str] = collections.Counter(dict.fromkeys(SKIP_REASONS, 0))
        self.commit_failures = 0
        self.last_error: str | None = None
        self._next_offsets: dict[TopicPartition, int] = {}  # to commit
        self._positions: dict[TopicPartition, int] = {}  # next offset per owned partition, for lag
        self._commit_task: asyncio.Task | None = None
        self._task: asyncio.Task | None = None
        self._closing = asyncio.Event()
        self._draining = False  # a stop signal arrived; set from the signal handler, so a plain flag

    async def start(self) -> None:
        self.health.start()
        self._task = asyncio.create_task(self._supervise(), name="consumer-supervisor")

    def drain(self) -> None:
        """Stop taking records as soon as the stop signal arrives.

        uvicorn keeps open live pages streaming for a few seconds after SIGTERM and only then
        runs stop(); a record fetched once the pages are gone would be committed unseen. So
        the loop drops whatever it fetches from now on (uncommitted: the next member of the
        group gets it), commits what it showed and leaves the group.
        """
        self._draining = True

    async def stop(self) -> None:
        """Graceful exit on SIGTERM: the loop commits, then the consumer leaves the group."""
        self._closing.set()
        if self._task:
            try:
                await bounded(asyncio.shield(self._task), self.settings.send_timeout_s + 5)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
        await self.health.stop()

    def _new_consumer(self) -> AIOKafkaConsumer:
        timeout_ms = int(self.settings.connect_timeout_s * 1000)
        return AIOKafkaConsumer(
            self.settings.topic,
            **client_options(self.settings),
            client_id="kafkaops-consumer",
            group_id=self.settings.group_id,
            enable_auto_commit=False,  # commit ourselves, only after the buffer holds the records
            auto_offset_reset=self.settings.auto_offset_reset,
            session_timeout_ms=max(10_000, 2 * timeout_ms),
            heartbeat_interval_ms=1000,
            max_poll_records=500,
        )

    async def _supervise(self) -> None:
        backoff = 0.5
        while not self._stopping():
            consumer = self._new_consumer()
            try:
                # start() waits for metadata and the first assignment; both can block while Kafka is down.
                await bounded(consumer.start(), self.settings.connect_timeout_s * 3)
                self.consumer, self.member, backoff = consumer, True, 0.5
                self._positions = {}
                self.last_error = None
                log.info("consumer joined group %s", self.settings.group_id)
                self.health.changed.set()
                await self._consume(consumer)
            except Exception as exc:  # noqa: BLE001 - any failure: rebuild the consumer after a pause
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("consumer failed (%s); restarting in %.1fs", self.last_error, backoff)
            finally:
                self.member, self.consumer, self.assigned = False, None, []
                await self._settle_commits(consumer)
                # stop() leaves the group so the partitions move to other instances at once.
                await stop_quietly(consumer, self.settings.connect_timeout_s, "consumer")
            if not self._stopping():
                with contextlib.suppress(TimeoutError):
                    await bounded(self._closing.wait(), backoff)
                backoff = min(backoff * 2, 10)

    def _stopping(self) -> bool:
        return self._draining or self._closing.is_set()

    async def _consume(self, consumer: AIOKafkaConsumer) -> None:
        while not self._stopping():
            try:
                # getmany() is called even with no partitions so the member is not evicted (#720).
                batches = await self._poll(consumer)
            except UnicodeDecodeError:
                await self._skip_undecodable(consumer)
                batches = {}
            if self._stopping():
                return  # fetched during shutdown: nobody may see it, so neither show nor commit it
            self._show(batches)
            self._commit_in_background(consumer)
            await self._refresh(consumer)

    async def _poll(
        self, consumer: AIOKafkaConsumer, *partitions: TopicPartition, max_records: int | None = None
    ) -> dict[TopicPartition, list[Any]]:
        limit = {} if max_records is None else {"max_records": max_records}
        fetch = consumer.getmany(*partitions, timeout_ms=POLL_MS, **limit)
        return await bounded(fetch, self.settings.connect_timeout_s + 1)

    def _show(self, batches: dict[TopicPartition, list[Any]]) -> None:
        for tp, records in batches.items():
            for record in records:
                self.buffer.add(
                    record.partition,
                    record.offset,
                    record.timestamp,
                    record.key,
                    record.value,
                    list(record.headers or ()),
                )
                self.consumed += 1
                if self.records_counter is not None:
                    self.records_counter.inc()
            if records:
                self._next_offsets[tp] = self._positions[tp] = records[-1].offset + 1

    async def _skip_undecodable(self, consumer: AIOKafkaConsumer) -> None:
        """Step over a record getmany() cannot parse (a header key that is not UTF-8).

        aiokafka parses records lazily inside getmany() and its error names neither partition
        nor offset; rebuilding the consumer would only fail on the same record again. Records
        of other partitions drained in the failed call are lost to us, so every partition goes
        back to the offset after what was shown; then the partitions are read one by one: the
        one whose read fails holds the record.
        """
        await self._rewind(consumer)
        for tp in sorted(consumer.assignment(), key=lambda tp: tp.partition):
            for _poll in range(SCAN_POLLS):
                if self._stopping():
                    return
                try:
                    batches = await self._poll(consumer, tp)
                except UnicodeDecodeError:
                    await self._step_over_undecodable(consumer, tp)
                    return
                if not batches:
                    break
                self._show(batches)

    async def _rewind(self, consumer: AIOKafkaConsumer) -> None:
        for tp in consumer.assignment():
            offset = self._positions.get(tp)
            if offset is None:  # nothing shown yet: back to where the group left it
                offset = await bounded(consumer.committed(tp), self.settings.connect_timeout_s)
            if offset is not None:
                consumer.seek(tp, offset)
            elif self.settings.auto_offset_reset == "earliest":
                await bounded(consumer.seek_to_beginning(tp), self.settings.connect_timeout_s)
            # else ("latest", never committed): it stays where the reset put it.

    async def _step_over_undecodable(self, consumer: AIOKafkaConsumer, tp: TopicPartition) -> None:
        """aiokafka advances the position after each record it returns, so reading one record at
        a time stops with the position on the record that fails to parse.

        aiokafka parses a fetched batch from its start, so the records after that one in the
        same producer batch cannot be read either: each gets its own placeholder, until a read
        succeeds. (On a compacted or transactional topic a gap before the record shifts the
        offset shown; the next pass steps over the record itself.)
        """
        skipped = False
        while not self._stopping():
            try:
                batches = await self._poll(consumer, tp, max_records=1)
            except UnicodeDecodeError:
                offset = await bounded(consumer.position(tp), self.settings.connect_timeout_s)
                log.warning("skipped undecodable record at partition %d offset %d", tp.partition, offset)
                self.skipped["undecodable"] += 1
                self.buffer.add_skipped(tp.partition, offset, "undecodable record")
                consumer.seek(tp, offset + 1)
                self._next_offsets[tp] = self._positions[tp] = offset + 1
                skipped = True
                continue
            if not batches:
                return  # nothing further to read now; the main loop goes on
            self._show(batches)
            if skipped:
                return  # past the unreadable records: back to full-size reads

    def _commit_in_background(self, consumer: AIOKafkaConsumer) -> None:
        """One commit in flight at a time, so the next fetch never waits for an OffsetCommit
        round trip; offsets shown meanwhile go with the next commit."""
        if self._next_offsets and (self._commit_task is None or self._commit_task.done()):
            self._commit_task = asyncio.create_task(self._commit(consumer), name="consumer-commit")

    async def _settle_commits(self, consumer: AIOKafkaConsumer) -> None:
        """Before leaving the group: the commit in flight ends, then whatever was shown since."""
        if self._commit_task is not None:
            await asyncio.shield(self._commit_task)  # _commit is bounded and never raises
            self._commit_task = None
        await self._commit(consumer)

    async def _commit(self, consumer: AIOKafkaConsumer) -> None:
        if not self._next_offsets:
            return
        offsets, self._next_offsets = self._next_offsets, {}
        try:
            await bounded(consumer.commit(offsets), self.settings.send_timeout_s)
        except Exception as exc:  # noqa: BLE001 - uncommitted records are redelivered and deduplicated
            self.commit_failures += 1
            log.warning("commit failed (%s); records will be redelivered", type(exc).__name__)

    async def _refresh(self, consumer: AIOKafkaConsumer) -> None:
        """Owned partitions and lag (high watermark minus our next offset) for the page."""
        tps = sorted(consumer.assignment(), key=lambda tp: tp.partition)
        lag: dict[int, int | None] = {}
        for tp in tps:
            if tp not in self._positions:
                with contextlib.suppress(Exception):
                    self._positions[tp] = await bounded(consumer.position(tp), 1)
            high, pos = consumer.highwater(tp), self._positions.get(tp)
            lag[tp.partition] = max(high - pos, 0) if high is not None and pos is not None else None
        for tp in set(self._positions) - set(tps):
            del self._positions[tp]
        assigned = [tp.partition for tp in tps]
        if assigned != self.assigned or lag != self.lag:
            self.assigned, self.lag = assigned, lag
            self.buffer.notify()

    def status(self) -> dict[str, Any]:
        known = [v for v in self.lag.values() if v is not None]
        return {
            "kafka": self.health.as_dict(),
            "member": self.member,
            "group": self.settings.group_id,
            "topic": self.settings.topic,
            "partitions": self.assigned,
            "lag": {str(p): v for p, v in self.lag.items()},
            "total_lag": sum(known) if known else None,
            "consumed": self.consumed,
            "error": self.last_error,
        }
