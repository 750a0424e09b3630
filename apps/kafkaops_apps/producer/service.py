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
from .idempotency import Claim
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
        # Sends each producer has not settled yet, failed when it is retired (see _retire).
        self._unsettled: dict[AIOKafkaProducer, set[asyncio.Future]] = {}

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
            old, self.producer = self.producer, None
            await self._retire(old)
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
                asyncio.create_task(self._retire(old))  # noqa: RUF006
                continue
            await asyncio.sleep(self.settings.health_interval_s)

    def _wedged(self) -> bool:
        """Sends have kept failing for a while although metadata fetches succeed (#1101)."""
        return self.health.ready and self._stall.wedged()

    def _unavailable(self, why: str) -> KafkaUnavailable:
        self._stall.failed()
        return KafkaUnavailable(why)

    async def _retire(self, producer: AIOKafkaProducer) -> None:
        """Stop a producer; a send it never settled counts as failed, so a retry with the same
        Idempotency-Key produces that record again instead of waiting for it forever (the
        record may still have been written: consumers de-duplicate on the record header)."""
        await stop_quietly(producer, self.settings.send_timeout_s, "producer")
        for send in self._unsettled.pop(producer, set()):
            if not send.done():
                send.set_exception(KafkaUnavailable("the producer was stopped before Kafka acknowledged the record"))

    def _track(self, producer: AIOKafkaProducer, send: asyncio.Future) -> None:
        unsettled = self._unsettled.setdefault(producer, set())
        unsettled.add(send)
        send.add_done_callback(unsettled.discard)

    async def send_many(
        self,
        values: list[bytes],
        key: bytes | None,
        headers: list[tuple[str, bytes]],
        claim: Claim | None = None,
    ) -> list[RecordMetadata | Exception]:
        """Enqueue the claimed values, then wait for every ack, all within one send timeout.

        A send is never cancelled at the timeout: its record may still be written, and a retry
        with the same Idempotency-Key (`claim`) waits for that same send instead of producing the
        record again. Records an earlier attempt already settled are answered from it.
        """
        claim = claim or Claim.single_use(len(values))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.send_timeout_s
        try:
            async with asyncio.timeout_at(deadline):
                for index in claim.todo:
                    producer = self.producer
                    if producer is None:
                        raise KafkaUnavailable("producer is not connected to Kafka")
                    send = await producer.send(
                        self.settings.topic, values[index], key=key, headers=claim.record_headers(index, headers)
                    )
                    self._track(producer, send)
                    claim.attach(index, send)
        except TimeoutError:
            if not claim.attached and not claim.reused:
                why = f"Kafka did not accept the record within {self.settings.send_timeout_s:g}s"
                claim.fail_unattached(KafkaUnavailable(why))
                raise self._unavailable(why) from None
            claim.fail_unattached(KafkaUnavailable("not sent: timed out before enqueueing"))
        except MessageSizeTooLargeError as exc:
            claim.fail_unattached(RecordTooLarge(str(exc)))
            raise RecordTooLarge(str(exc)) from None
        except KafkaError as exc:
            why = f"{type(exc).__name__}: {exc}"
            claim.fail_unattached(KafkaUnavailable(why))
            raise self._unavailable(why) from None
        finally:
            # Whatever ended the loop early (no producer, cancellation), a claimed record never
            # handed to Kafka is failed, so its key does not stay in flight forever.
            claim.fail_unattached(KafkaUnavailable("not sent: the producer is not connected or the request ended"))
        pending = [slot for slot in claim.slots if not slot.done()]
        if pending:
            await asyncio.wait(pending, timeout=max(0.0, deadline - loop.time()))
        return [self._outcome(slot, claim) for slot in claim.slots]

    def _outcome(self, slot: asyncio.Future, claim: Claim) -> RecordMetadata | Exception:
        if not slot.done():
            retry = " (retry with the same Idempotency-Key)" if claim.key else ""
            return self._unavailable(
                f"no acknowledgement within {self.settings.send_timeout_s:g}s; the record may still be delivered{retry}"
            )
        if slot.cancelled():
            return self._unavailable("the send was cancelled")
        exc = slot.exception()
        return self._classify(slot.result() if exc is None else exc)

    def _classify(self, result: RecordMetadata | BaseException) -> RecordMetadata | Exception:
        if isinstance(result, RecordMetadata | KafkaUnavailable | RecordTooLarge):
            return result
        if isinstance(result, MessageSizeTooLargeError):
            return RecordTooLarge(str(result))
        return self._unavailable(f"{type(result).__name__}: {result}")

    async def send_one(
        self, value: bytes, key: bytes | None, headers: list[tuple[str, bytes]], claim: Claim | None = None
    ) -> RecordMetadata:
        (result,) = await self.send_many([value], key, headers, claim)
        if isinstance(result, Exception):
            raise result
        return result
