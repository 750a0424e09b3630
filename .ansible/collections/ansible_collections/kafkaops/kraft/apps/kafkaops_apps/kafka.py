"""Kafka connection parts shared by both apps: client options and a reachability monitor."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable
from typing import Any, TypeVar

from aiokafka import AIOKafkaClient
from aiokafka.helpers import create_ssl_context

from .settings import Settings

log = logging.getLogger(__name__)
T = TypeVar("T")


def client_options(settings: Settings) -> dict[str, Any]:
    """Connection and security options common to AIOKafkaProducer/Consumer/Client."""
    opts: dict[str, Any] = {
        "bootstrap_servers": list(settings.bootstrap_servers),
        "security_protocol": settings.security_protocol,
        # aiokafka's own timeouts stay a little above ours so our asyncio timeouts decide.
        "request_timeout_ms": int(max(settings.send_timeout_s, settings.connect_timeout_s) * 1000) + 1000,
        "retry_backoff_ms": 200,
        # Refresh metadata often so a restarted broker or moved leader is found quickly.
        "metadata_max_age_ms": 30_000,
    }
    if settings.security_protocol in ("SSL", "SASL_SSL"):
        opts["ssl_context"] = create_ssl_context(
            cafile=settings.ssl_cafile,
            certfile=settings.ssl_certfile,
            keyfile=settings.ssl_keyfile,
            password=settings.ssl_key_password,
        )
    if settings.security_protocol.startswith("SASL_"):
        opts["sasl_mechanism"] = settings.sasl_mechanism
        opts["sasl_plain_username"] = settings.sasl_username
        opts["sasl_plain_password"] = settings.sasl_password
    return opts


async def bounded(awaitable: Awaitable[T], seconds: float) -> T:
    """Await with a deadline: aiokafka calls can block forever while brokers are down (#1101)."""
    async with asyncio.timeout(seconds):
        return await awaitable


async def stop_quietly(client: Any, seconds: float, what: str) -> None:
    """Stop an aiokafka client, abandoning it if stop() hangs (it can, see #1101)."""
    try:
        await bounded(client.stop() if hasattr(client, "stop") else client.close(), seconds)
    except TimeoutError:
        log.warning("%s did not stop within %.1fs; abandoning it", what, seconds)
    except Exception as exc:  # noqa: BLE001 - shutdown must go on whatever the client raises
        log.warning("%s stop failed: %s", what, exc)


class QuietRepeats(logging.Filter):
    """aiokafka logs every failed reconnect; keep one line per message kind per interval."""

    def __init__(self, interval_s: float = 30.0):
        super().__init__()
        self.interval_s = interval_s
        self._last: dict[tuple[str, object], float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = (record.name, record.msg)
        now = time.monotonic()
        if now - self._last.get(key, -self.interval_s) < self.interval_s:
            return False
        self._last[key] = now
        return True


AIOKAFKA_LOGGERS = (
    "aiokafka",  # the client module logs under the package name
    "aiokafka.cluster",
    "aiokafka.conn",
    "aiokafka.consumer.consumer",
    "aiokafka.consumer.fetcher",
    "aiokafka.consumer.group_coordinator",
    "aiokafka.producer.producer",
    "aiokafka.producer.sender",
)


def quiet_aiokafka_logs() -> None:
    # Filters on a logger do not apply to its children, so name each chatty module.
    for name in AIOKAFKA_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, QuietRepeats) for f in logger.filters):
            logger.addFilter(QuietRepeats())


class KafkaHealth:
    """Polls cluster metadata in the background so /readyz and the page answer instantly.

    A separate small client is used so the check works even while the app's producer or
    consumer is being (re)started.
    """

    def __init__(self, settings: Settings):
        self.settings = settings
        self.reachable = False
        self.topic_exists = False
        self.error: str | None = "not checked yet"
        self.checked_at = 0.0
        self.changed = asyncio.Event()
        self._client: AIOKafkaClient | None = None
        self._task: asyncio.Task | None = None

    @property
    def ready(self) -> bool:
        return self.reachable and self.topic_exists

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="kafka-health")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._client:
            await stop_quietly(self._client, 2, "health client")

    async def check(self) -> None:
        timeout = self.settings.connect_timeout_s
        try:
            if self._client is None:
                client = AIOKafkaClient(**client_options(self.settings), client_id="kafkaops-health")
                try:
                    await bounded(client.bootstrap(), timeout)
                except BaseException:
                    await stop_quietly(client, 1, "health client")
                    raise
                self._client = client
            cluster = await bounded(self._client.fetch_all_metadata(), timeout)
            exists = cluster.partitions_for_topic(self.settings.topic) is not None
            self._set(True, exists, None if exists else f"topic {self.settings.topic} does not exist")
        except TimeoutError:
            self._set(False, False, f"no answer from Kafka within {timeout:g}s")
        except Exception as exc:  # noqa: BLE001 - any failure means "not reachable", shown to the user
            self._set(False, False, f"{type(exc).__name__}: {exc}")

    def _set(self, reachable: bool, topic_exists: bool, error: str | None) -> None:
        if (reachable, topic_exists, error) != (self.reachable, self.topic_exists, self.error):
            log.info("kafka reachable=%s topic=%s %s", reachable, topic_exists, error or "")
            self.reachable, self.topic_exists, self.error = reachable, topic_exists, error
            self.changed.set()
            self.changed = asyncio.Event()
        self.checked_at = time.time()

    async def _run(self) -> None:
        while True:
            await self.check()
            await asyncio.sleep(self.settings.health_interval_s)

    def as_dict(self) -> dict[str, Any]:
        return {
            "reachable": self.reachable,
            "topic_exists": self.topic_exists,
            "error": self.error,
            "checked_at": self.checked_at,
        }
