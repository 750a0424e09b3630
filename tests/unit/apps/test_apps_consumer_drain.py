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
        await service._commit(consumer)  # what the supervisor's finally does before leaving the group
        return consumer

    consumer = asyncio.run(scenario())
    assert sorted(e.offset for e in service.buffer.entries()) == [0, 1, 2]
    assert consumer.commits == [{TP: 2}, {TP: 3}]


def test_server_tells_the_service_before_uvicorn_shuts_down():
    calls = []
    server = SignalAwareServer(uvicorn.Config(app=None), on_signal=lambda: calls.append("drain"))
    server.handle_exit(signal.SIGTERM, None)
    assert calls == ["drain"] and server.should_exit
