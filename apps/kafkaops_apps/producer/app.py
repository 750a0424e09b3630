"""Producer HTTP API (port 8001): POST /send and /send/batch publish JSON to the topic."""

from __future__ import annotations

import time
from typing import Any

from aiokafka.structs import RecordMetadata
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from ..kafka import quiet_aiokafka_logs
from ..metrics import metrics_response
from ..runner import service_app, settings_or_exit
from ..settings import Settings
from .body import (
    JSON_TYPES,
    NDJSON_TYPES,
    BodyError,
    parse_batch,
    parse_single,
    read_limited,
    record_headers,
    record_key,
    require_type,
)
from .idempotency import HTTP_HEADER, Claim, IdempotencyError, IdempotencyStore, fingerprint, parse_key
from .metrics import ProducerMetrics
from .service import KafkaUnavailable, ProducerService, RecordTooLarge

# The key is read straight from the request: FastAPI's parameter solving cost ~11 % of /send's
# CPU for these optional strings (py-spy, make bench P1). The schema still lists them.
KEY_PARAMETERS = [
    {
        "name": "key",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": "Kafka record key, UTF-8 text (optional; 422 if not UTF-8); the body is never the key",
    },
    {
        "name": "key_b64",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "format": "byte"},
        "description": "Binary record key, base64 (RFC 4648, padded); 422 together with `key`",
    },
    {
        "name": "X-Record-Key",
        "in": "header",
        "required": False,
        "schema": {"type": "string"},
        "description": "Record key, UTF-8 bytes taken as sent; the query parameters win",
    },
]

IDEMPOTENCY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "maxLength": 257},
    "description": "A retry with the same key and request gets the first answer without writing again;"
    " 422 for the same key with another request (docs/apps.md: Producer: Idempotency-Key)",
}

JSON_BODY = {"content": {"application/json": {"schema": {"example": {"key": "Hello Kafka!"}}}}, "required": True}
BATCH_BODY = {
    "content": {
        "application/json": {"schema": {"type": "array", "items": {}}, "example": [{"a": 1}, {"b": 2}]},
        "application/x-ndjson": {"schema": {"type": "string"}, "example": '{"a": 1}\n{"b": 2}\n'},
    },
    "required": True,
}


def _meta(md: RecordMetadata) -> dict[str, Any]:
    return {"topic": md.topic, "partition": md.partition, "offset": md.offset, "timestamp": md.timestamp}


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or settings_or_exit()
    service = ProducerService(settings)
    metrics = ProducerMetrics()
    idempotency = IdempotencyStore(settings.idempotency_window_s, settings.idempotency_max_keys)
    retry_after = {"Retry-After": str(settings.retry_after_s)}
    quiet_aiokafka_logs()

    app = service_app("Kafka producer", service, settings)
    app.state.service = service

    def error(endpoint: str, status: int, kind: str, detail: Any, headers: dict | None = None) -> JSONResponse:
        metrics.requests.labels(endpoint, str(status)).inc()
        metrics.errors.labels(kind).inc()
        return JSONResponse({"detail": detail}, status_code=status, headers=headers)

    def unavailable(endpoint: str, exc: Exception) -> JSONResponse:
        detail = {"error": "Kafka unavailable", "message": str(exc)}
        return error(endpoint, 503, "kafka_unavailable", detail, retry_after)

    def refused(endpoint: str, exc: IdempotencyError) -> JSONResponse:
        if exc.status == 422:
            metrics.idempotent_conflicts.inc()
        return error(endpoint, exc.status, exc.kind, exc.detail, retry_after if exc.status == 503 else None)

    def claim_of(
        endpoint: str, request: Request, kind: str, body: bytes, key: bytes | None, headers: list, count: int
    ) -> Claim | None:
        """The request's Idempotency-Key claim on its records; None without the header."""
        idempotency_key = parse_key(request.headers.getlist(HTTP_HEADER))
        if idempotency_key is None:
            return None
        digest = fingerprint(request.method, endpoint, kind, key, headers, body)
        claim = idempotency.claim(idempotency_key, digest, count, batch=endpoint == "/send/batch")
        if claim.reused:
            metrics.idempotent_replays.inc()
        return claim

    def replayed(claim: Claim | None) -> dict[str, str]:
        return {"Idempotent-Replayed": "true"} if claim is not None and claim.reused else {}

    async def body_of(request: Request, allowed: tuple[str, ...]) -> tuple[str, bytes]:
        kind = require_type(request.headers.get("content-type"), allowed)
        body = await read_limited(request.stream(), request.headers.get("content-length"), settings.max_body_bytes)
        return kind, body

    def key_of(request: Request) -> bytes | None:
        return record_key(request.scope["query_string"], request.headers.raw)

    def headers_of(request: Request) -> list[tuple[str, bytes]]:
        return record_headers(request.headers.raw, limit=settings.max_record_headers)

    @app.post(
        "/send",
        openapi_extra={"parameters": [*KEY_PARAMETERS, IDEMPOTENCY_PARAMETER], "requestBody": JSON_BODY},
        summary="Publish one JSON document",
    )
    async def send(request: Request) -> JSONResponse:
        """Answers after Kafka acknowledged the record (acks=all, idempotent). Record headers come from
        `X-Record-Header-<name>` request headers."""
        started = time.perf_counter()
        try:
            kind, body = await body_of(request, JSON_TYPES)
            value = parse_single(body, settings.max_json_depth)
            key, headers = key_of(request), headers_of(request)
            claim = claim_of("/send", request, kind, body, key, headers, 1)
            md = await service.send_one(value, key, headers, claim)
        except IdempotencyError as exc:
            return refused("/send", exc)
        except BodyError as exc:
            return error("/send", exc.status, f"http_{exc.status}", exc.detail)
        except RecordTooLarge as exc:
            return error("/send", 413, "record_too_large", {"error": "record too large for Kafka", "message": str(exc)})
        except KafkaUnavailable as exc:
            return unavailable("/send", exc)
        metrics.latency.observe(time.perf_counter() - started)
        metrics.records.inc(0 if claim is not None and claim.reused else 1)
        metrics.requests.labels("/send", "200").inc()
        return JSONResponse(_meta(md), headers=replayed(claim) or None)

    @app.post(
        "/send/batch",
        openapi_extra={"parameters": [*KEY_PARAMETERS, IDEMPOTENCY_PARAMETER], "requestBody": BATCH_BODY},
        summary="Publish a JSON array or NDJSON",
    )
    async def send_batch(request: Request) -> JSONResponse:
        """One record per array element or NDJSON line; the answer lists a result per record, in order.
        200 when all were acknowledged, 207 when some failed, 503 when none could be sent."""
        started = time.perf_counter()
        try:
            kind, body = await body_of(request, JSON_TYPES + NDJSON_TYPES)
            values = parse_batch(body, kind, settings.max_json_depth)
            key, headers = key_of(request), headers_of(request)
            claim = claim_of("/send/batch", request, kind, body, key, headers, len(values))
            results = await service.send_many(values, key, headers, claim)
        except IdempotencyError as exc:
            return refused("/send/batch", exc)
        except BodyError as exc:
            return error("/send/batch", exc.status, f"http_{exc.status}", exc.detail)
        except RecordTooLarge as exc:
            return error("/send/batch", 413, "record_too_large", {"error": "record too large", "message": str(exc)})
        except KafkaUnavailable as exc:
            return unavailable("/send/batch", exc)
        items = []
        for index, result in enumerate(results):
            if isinstance(result, RecordMetadata):
                items.append({"index": index, "ok": True, **_meta(result)})
            else:
                kind = "record_too_large" if isinstance(result, RecordTooLarge) else "kafka_unavailable"
                metrics.errors.labels(kind).inc()
                items.append({"index": index, "ok": False, "error": kind, "message": str(result)})
        sent = sum(item["ok"] for item in items)
        # Records an earlier attempt with the same key wrote are not counted again.
        metrics.records.inc(sent if claim is None else sum(items[i]["ok"] for i in claim.todo))
        status = 200 if sent == len(items) else 207 if sent else 503
        if sent:
            metrics.latency.observe(time.perf_counter() - started)
        metrics.requests.labels("/send/batch", str(status)).inc()
        return JSONResponse(
            {"sent": sent, "failed": len(items) - sent, "results": items},
            status_code=status,
            headers={**(retry_after if status != 200 else {}), **replayed(claim)} or None,
        )

    @app.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz", summary="Readiness: Kafka metadata can be fetched and the producer is connected")
    async def readyz() -> JSONResponse:
        ready = service.health.ready and service.producer is not None
        body = {"ready": ready, "producer_connected": service.producer is not None, "kafka": service.health.as_dict()}
        return JSONResponse(body, status_code=200 if ready else 503, headers=None if ready else retry_after)

    @app.get("/metrics", summary="Prometheus metrics")
    async def prometheus():
        metrics.kafka_up.set(1 if service.health.reachable else 0)
        metrics.idempotency_keys.set(len(idempotency))
        return metrics_response(metrics.registry)

    return app
