"""The app's one AIOKafkaProducer: started in the background, every call bounded by a timeout.

All requests share this producer, so concurrent sends land in the same batches (linger_ms)
instead of queueing behind each other.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError, MessageSizeTooLargeError
from aiokafka.structs import RecordMetadata

from ..kafka import KafkaHealth, bounded, client_options, stop_quietly
from ..settings import Settings
from .stall import StallWatch

log = logging.getLogger(__name__)


class KafkaUnavailable(Exception):
    """Kafka did not take the record in time; the client should retry later (HTTP 503)."""


class RecordTooLarge(Exception):
    """Kafka refused the record's size (HTTP 413)."""


class ProducerService:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.health = KafkaHealth(settings)
        self.producer: AIOKafkaProducer | None = None
        self._stall = StallWatch(2 * settings.send_timeout_s)
        self._task: asyncio.Task | None = None
        self._closing = False

    async def start(self) -> None:
        self.health.start()
        self._task = asyncio.create_task(self._supervise(), name="producer-supervisor")

    async def stop(self) -> None:
        self._closing = True
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.producer:
            # flush() inside stop() can hang while brokers are down (#1101); bound it.
            await stop_quietly(self.producer, self.settings.send_timeout_s, "producer")
            self.producer = None
        await self.health.stop()

    def _new_producer(self) -> AIOKafkaProducer:
        return AIOKafkaProducer(
            **client_options(self.settings),
            client_id="kafkaops-producer",
            acks="all",
            enable_idempotence=True,
            linger_ms=self.settings.linger_ms,
            # Room for the largest accepted body plus key, headers and batch overhead.
            max_request_size=self.settings.max_body_bytes + 64 * 1024,
        )

    async def _supervise(self) -> None:
        """Start the producer once Kafka answers; replace it if it wedges after an outage."""
        backoff = 0.5
        while not self._closing:
            if self.producer is None:
                producer = self._new_producer()
                try:
                    # start() raises rather than retries when no broker answers, so retry here.
                    await bounded(producer.start(), self.settings.connect_timeout_s)
                except Exception as exc:  # noqa: BLE001 - any start failure means "retry later"
                    log.warning("producer start failed (%s); retrying in %.1fs", type(exc).__name__, backoff)
                    await stop_quietly(producer, 1, "producer")
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 10)
                    continue
                log.info("producer connected to %s", ",".join(self.settings.bootstrap_servers))
                self.producer, backoff = producer, 0.5
            elif self._wedged():
                log.warning("producer still timing out while Kafka answers; replacing it")
                old, self.producer = self.producer, None
                self._stall.reset()
                asyncio.create_task(stop_quietly(old, self.settings.send_timeout_s, "old producer"))  # noqa: RUF006
                continue
            await asyncio.sleep(self.settings.health_interval_s)

    def _wedged(self) -> bool:
        """Sends have kept failing for a while although metadata fetches succeed (#1101)."""
        return self.health.ready and self._stall.wedged()

    def _unavailable(self, why: str) -> KafkaUnavailable:
        self._stall.failed()
        return KafkaUnavailable(why)

    async def send_many(
        self, values: list[bytes], key: bytes | None, headers: list[tuple[str, bytes]]
    ) -> list[RecordMetadata | Exception]:
        """Enqueue all values, then wait for every ack, all within one send timeout."""
        producer = self.producer
        if producer is None:
            raise KafkaUnavailable("producer is not connected to Kafka")
        futures: list[asyncio.Future] = []
        results: list[RecordMetadata | Exception] = []
        try:
            async with asyncio.timeout(self.settings.send_timeout_s):
                for value in values:
                    futures.append(await producer.send(self.settings.topic, value, key=key, headers=headers))
                results = await asyncio.gather(*futures, return_exceptions=True)
        except TimeoutError:
            if not futures:
                why = f"Kafka did not accept the record within {self.settings.send_timeout_s:g}s"
                raise self._unavailable(why) from None
            # Records already handed to the producer may still be delivered later.
            results = [
                f.result() if f.done() and not f.cancelled() and f.exception() is None else self._timeout_error(f)
                for f in futures
            ]
            results += [KafkaUnavailable("not sent: timed out before enqueueing")] * (len(values) - len(futures))
        except MessageSizeTooLargeError as exc:
            raise RecordTooLarge(str(exc)) from None
        except KafkaError as exc:
            raise self._unavailable(f"{type(exc).__name__}: {exc}") from None
        return [self._classify(r) for r in results]

    def _timeout_error(self, future: asyncio.Future) -> Exception:
        if future.done() and not future.cancelled() and future.exception() is not None:
            return future.exception()
        return self._unavailable(
            f"no acknowledgement within {self.settings.send_timeout_s:g}s; the record may still be delivered"
        )

    def _classify(self, result: RecordMetadata | BaseException) -> RecordMetadata | Exception:
        if isinstance(result, RecordMetadata | KafkaUnavailable | RecordTooLarge):
            return result
        if isinstance(result, MessageSizeTooLargeError):
            return RecordTooLarge(str(result))
        return self._unavailable(f"{type(result).__name__}: {result}")

    async def send_one(self, value: bytes, key: bytes | None, headers: list[tuple[str, bytes]]) -> RecordMetadata:
        (result,) = await self.send_many([value], key, headers)
        if isinstance(result, Exception):
            raise result
        return result
