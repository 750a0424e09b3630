"""Consumer viewer (port 8002): the last N messages as HTML with live SSE updates, and JSON."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI, Header, Query
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CollectorRegistry, Counter, Gauge

from ..kafka import quiet_aiokafka_logs
from ..metrics import metrics_response
from ..runner import service_app, settings_or_exit
from ..settings import Settings
from .buffer import MessageBuffer
from .outcomes import RecordOutcomes
from .page import SECURITY_HEADERS, render
from .service import ConsumerService
from .streams import SlotStreamingResponse, StreamSlots

STATIC = Path(__file__).with_name("static")
# Streams end after a while so no connection outlives a shutdown for long; browsers reconnect
# by themselves and resume from Last-Event-ID.
STREAM_SECONDS = 30
KEEPALIVE_SECONDS = 2


def sse(event: str, data: object, event_id: int | None = None) -> bytes:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or settings_or_exit()
    quiet_aiokafka_logs()
    buffer = MessageBuffer(settings.buffer_size, settings.display_limit_chars)
    service = ConsumerService(settings, buffer)
    registry = CollectorRegistry()
    service.records_counter = Counter("consumer_records", "Records put in the buffer", registry=registry)
    Gauge("consumer_buffer_entries", "Entries in the buffer", registry=registry).set_function(lambda: len(buffer))
    Gauge("consumer_kafka_up", "1 when Kafka metadata can be fetched", registry=registry).set_function(
        lambda: int(service.health.reachable)
    )
    Gauge("consumer_partitions_owned", "Partitions assigned to this instance", registry=registry).set_function(
        lambda: len(service.assigned)
    )
    Gauge("consumer_lag", "Records behind the high watermark, all owned partitions", registry=registry).set_function(
        lambda: sum(v for v in service.lag.values() if v is not None)
    )
    Gauge("consumer_commit_failures", "Failed offset commits", registry=registry).set_function(
        lambda: service.commit_failures
    )
    sse_clients = Gauge("consumer_sse_clients", "Open live-update streams", registry=registry)
    stream_slots = StreamSlots(settings.sse_max_clients)
    Gauge("consumer_sse_clients_limit", "Live-update streams allowed at once (SSE_MAX_CLIENTS)", registry=registry).set(
        stream_slots.limit
    )
    registry.register(RecordOutcomes(service, buffer))

    app = service_app("Kafka consumer viewer", service, settings, browser_login=True)
    app.state.service = service
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", response_class=HTMLResponse, summary="The last N messages, rendered on the server")
    async def page() -> HTMLResponse:
        return HTMLResponse(render(buffer.entries(), service.status(), buffer.size), headers=SECURITY_HEADERS)

    @app.get("/messages", summary="The buffer as JSON, newest first")
    async def messages() -> dict:
        return {"status": service.status(), "messages": [entry.as_dict() for entry in buffer.entries()]}

    @app.get("/events", summary="Server-sent events: `record` per new message, `status` on changes")
    async def events(
        since: int = Query(0, ge=0), last_event_id: str | None = Header(None, alias="Last-Event-ID")
    ) -> Response:
        if not stream_slots.try_acquire():
            # Answered at once and the connection closed: a refused client holds nothing.
            return JSONResponse(
                {"detail": f"too many live-update streams open (SSE_MAX_CLIENTS={stream_slots.limit}); retry later"},
                status_code=503,
                headers={
                    "Retry-After": str(settings.retry_after_s),
                    "Connection": "close",
                    "Cache-Control": "no-store",
                },
            )
        start = int(last_event_id) if last_event_id and last_event_id.isdigit() else since
        if start > buffer.last_seq:
            # An id from before an app restart (seq starts again at 1): without this, a
            # reconnecting page would show nothing until the new process caught up with it.
            start = 0

        async def stream() -> AsyncIterator[bytes]:
            sse_clients.inc()
            try:
                seq, last_status, ends = start, None, time.monotonic() + STREAM_SECONDS
                yield b"retry: 2000\n\n"
                while time.monotonic() < ends:
                    status = service.status()
                    comparable = {**status, "kafka": {**status["kafka"], "checked_at": None}}
                    if comparable != last_status:
                        last_status = comparable
                        yield sse("status", status)
                    for entry in buffer.since(seq):
                        seq = entry.seq
                        yield sse("record", entry.as_dict(), entry.seq)
                    await buffer.wait(KEEPALIVE_SECONDS)
                    yield b": keepalive\n\n"
            finally:
                sse_clients.dec()

        return SlotStreamingResponse(
            stream(),
            stream_slots,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    @app.get("/healthz", summary="Liveness")
    async def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz", summary="Readiness: Kafka metadata can be fetched and the consumer is in its group")
    async def readyz() -> JSONResponse:
        ready = service.health.ready and service.member
        status = service.status()
        return JSONResponse({"ready": ready, **status}, status_code=200 if ready else 503)

    @app.get("/metrics", summary="Prometheus metrics")
    async def prometheus():
        return metrics_response(registry)

    return app
