"""A stop signal stops the consumer from showing or committing records nobody can see any more."""

from __future__ import annotations

import asyncio
import signal
from types import SimpleNamespace

import uvicorn
from aiokafka import TopicPartition
from kafkaops_apps.consumer.buffer import MessageBuffer
from kafkaops_apps.consumer.service import ConsumerService
from kafkaops_apps.runner import SignalAwareServer
from kafkaops_apps.settings import parse_settings

TP = TopicPartition("t", 0)


def record(offset: int) -> SimpleNamespace:
    return SimpleNamespace(partition=0, offset=offset, timestamp=0, key=None, value=b"{}", headers=())


class FakeConsumer:
    """Hands out batches; the stop signal arrives while the last fetch is in flight."""

    def __init__(self, service: ConsumerService, batches: list[list[SimpleNamespace]]):
        self.service, self.batches, self.commits = service, batches, []

    async def getmany(self, timeout_ms: int):
        batch = self.batches.pop(0)
        if not self.batches:
            self.service.drain()
        return {TP: batch}

    async def commit(self, offsets):
        self.commits.append(dict(offsets))

    def assignment(self):
        return {TP}

    def highwater(self, tp):
        return 10

    async def position(self, tp):
        return 0


def test_batch_fetched_after_the_signal_is_neither_shown_nor_committed():
    service = ConsumerService(parse_settings({"KAFKA_BOOTSTRAP_SERVERS": "k:9092"}), MessageBuffer(100, 100))

    async def scenario() -> FakeConsumer:
        consumer = FakeConsumer(service, [[record(0), record(1)], [record(2)], [record(3), record(4)]])
        await service._consume(consumer)
        await service._settle_commits(consumer)  # what the supervisor's finally does before leaving the group
        return consumer

    consumer = asyncio.run(scenario())
    assert sorted(e.offset for e in service.buffer.entries()) == [0, 1, 2]
    committed = [offsets[TP] for offsets in consumer.commits]
    assert committed == sorted(committed) and committed[-1] == 3


def test_fetching_goes_on_while_a_commit_is_in_flight():
    """A slow OffsetCommit does not hold back the next fetch; one commit at a time, never past what was shown."""
    service = ConsumerService(parse_settings({"KAFKA_BOOTSTRAP_SERVERS": "k:9092"}), MessageBuffer(100, 100))
    release = asyncio.Event()
    shown_at_commit: list[tuple[int, int]] = []

    class SlowCommits(FakeConsumer):
        in_flight = 0

        async def getmany(self, timeout_ms: int):
            await asyncio.sleep(0)
            if len(self.batches) == 1:
                release.set()  # every fetch so far went ahead of the first commit's answer
            return await super().getmany(timeout_ms)

        async def commit(self, offsets):
            self.in_flight += 1
            assert self.in_flight == 1
            shown_at_commit.append((offsets[TP], max(e.offset for e in service.buffer.entries()) + 1))
            await release.wait()
            self.in_flight -= 1
            await super().commit(offsets)

    async def scenario() -> SlowCommits:
        consumer = SlowCommits(service, [[record(i)] for i in range(5)] + [[]])
        await service._consume(consumer)
        await service._settle_commits(consumer)
        return consumer

    consumer = asyncio.run(asyncio.wait_for(scenario(), 5))  # fetches waiting on the commit would never end
    assert len(consumer.commits) < 5  # the fetches did not wait for one commit each
    assert all(committed <= shown for committed, shown in shown_at_commit)
    assert consumer.commits[-1] == {TP: 5}


def test_server_tells_the_service_before_uvicorn_shuts_down():
    calls = []
    server = SignalAwareServer(uvicorn.Config(app=None), on_signal=lambda: calls.append("drain"))
    server.handle_exit(signal.SIGTERM, None)
    assert calls == ["drain"] and server.should_exit
