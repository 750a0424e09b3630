"""Settings shared by both apps: `.env` through python-dotenv, overridden by the environment.

Every value is validated up front so a bad deployment fails at start with one line
naming the setting, instead of failing on the first request.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

from .auth import TokenHash, parse_token_hash

TOPIC_RE = re.compile(r"^[A-Za-z0-9._-]{1,249}$")
SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
OFFSET_RESETS = ("earliest", "latest")
MAX_TOKEN_HASHES = 16  # each unknown token costs one KDF run per hash


class SettingsError(ValueError):
    """A missing or invalid setting; str() is the one-line message for the operator."""

    def __init__(self, name: str, problem: str):
        super().__init__(f"invalid setting {name}: {problem}")
        self.name = name


@dataclass(frozen=True)
class Settings:
    bootstrap_servers: tuple[str, ...]
    topic: str = "test-topic"
    group_id: str = "test-group"
    security_protocol: str = "PLAINTEXT"
    ssl_cafile: str | None = None
    ssl_certfile: str | None = None
    ssl_keyfile: str | None = None
    ssl_key_password: str | None = field(default=None, repr=False)
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: str | None = field(default=None, repr=False)
    connect_timeout_s: float = 5.0
    send_timeout_s: float = 5.0
    retry_after_s: int = 5
    health_interval_s: float = 2.0
    # aiokafka keeps one request in flight per broker, so records batch up during it anyway:
    # 0 instead of 1 ms halved P3's p50 (4.0 -> 1.8 ms) at the same /send throughput (make bench).
    linger_ms: int = 0
    auto_offset_reset: str = "earliest"
    buffer_size: int = 10
    display_limit_chars: int = 2000
    max_body_bytes: int = 1024 * 1024
    host: str = "0.0.0.0"  # noqa: S104 - the seed serves other machines; firewall/unit narrow it
    producer_port: int = 8001
    consumer_port: int = 8002
    log_level: str = "info"
    access_log: bool = False
    telemetry: bool = False
    # Request bounds (docs/apps.md "Request limits"): header section, header count, record headers,
    # JSON nesting and open connections.
    max_header_bytes: int = 16 * 1024
    max_header_count: int = 100
    max_record_headers: int = 32
    max_json_depth: int = 64
    limit_concurrency: int = 1024
    # Authentication and the HTTP surface (docs/apps.md "Authentication", "Behind a TLS proxy").
    api_auth: bool = False
    api_token_hashes: tuple[TokenHash, ...] = field(default=(), repr=False)
    metrics_auth: bool = False
    session_ttl_s: int = 3600
    api_docs: bool = False
    proxy_headers: bool = True
    forwarded_allow_ips: str = "127.0.0.1"
    # Idempotency-Key (docs/apps.md "Producer: Idempotency-Key"): how long a key is remembered after its
    # records settled, and how many records all remembered keys may hold together.
    idempotency_window_s: float = 300.0
    idempotency_max_keys: int = 100_000
    # Open live-update streams (/events) of the consumer; each holds a socket and a task.
    sse_max_clients: int = 100


def _text(env: Mapping[str, str], name: str, default: str | None = None) -> str | None:
    value = env.get(name, "")
    value = value.strip() if value else ""
    return value or default


def _number(
    env: Mapping[str, str], name: str, default: float, cast: Callable[[str], float], lo: float, hi: float
) -> float:
    raw = _text(env, name)
    if raw is None:
        return default
    try:
        value = cast(raw)
    except ValueError:
        raise SettingsError(name, f"{raw!r} is not a number") from None
    if not lo <= value <= hi:
        raise SettingsError(name, f"{raw} is outside {lo}..{hi}")
    return value


def _choice(env: Mapping[str, str], name: str, default: str | None, choices: tuple[str, ...]) -> str | None:
    value = _text(env, name, default)
    if value is not None and value not in choices:
        raise SettingsError(name, f"{value!r} is not one of {', '.join(choices)}")
    return value


def _file(env: Mapping[str, str], name: str) -> str | None:
    value = _text(env, name)
    if value is not None and not Path(value).is_file():
        raise SettingsError(name, f"file {value} does not exist")
    return value


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = _text(env, name)
    if raw is None:
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise SettingsError(name, f"{raw!r} is not true/false")


def _bootstrap(env: Mapping[str, str]) -> tuple[str, ...]:
    name = "KAFKA_BOOTSTRAP_SERVERS"
    raw = _text(env, name)
    if raw is None:
        raise SettingsError(name, "missing; set host:port[,host:port...]")
    servers = tuple(s.strip() for s in raw.split(",") if s.strip())
    for server in servers:
        host, sep, port = server.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise SettingsError(name, f"{server!r} is not host:port")
    return servers


def _name(env: Mapping[str, str], name: str, default: str) -> str:
    value = _text(env, name, default)
    if not TOPIC_RE.match(value):
        raise SettingsError(name, f"{value!r} must be 1-249 of [A-Za-z0-9._-]")
    return value


def _token_hashes(env: Mapping[str, str]) -> tuple[TokenHash, ...]:
    name = "API_TOKEN_HASHES"
    entries = [entry.strip() for entry in (_text(env, name) or "").split(",") if entry.strip()]
    if len(entries) > MAX_TOKEN_HASHES:
        raise SettingsError(name, f"{len(entries)} hashes; at most {MAX_TOKEN_HASHES}")
    hashes = []
    for number, entry in enumerate(entries, start=1):
        try:
            hashes.append(parse_token_hash(entry))
        except ValueError as exc:
            raise SettingsError(name, f"entry {number}: {exc}") from None
    return tuple(hashes)


def _auth(env: Mapping[str, str]) -> dict:
    """API_AUTH is on when hashes are set unless turned off; on without hashes is an error, never open."""
    hashes = _token_hashes(env)
    api_auth = _flag(env, "API_AUTH", bool(hashes))
    if api_auth and not hashes:
        raise SettingsError("API_TOKEN_HASHES", "missing; API_AUTH is on (python -m kafkaops_apps.auth hash)")
    metrics_auth = _flag(env, "METRICS_AUTH", api_auth)
    if metrics_auth and not api_auth:
        raise SettingsError("METRICS_AUTH", "needs API_AUTH (the token hashes)")
    return {"api_auth": api_auth, "api_token_hashes": hashes, "metrics_auth": metrics_auth}


def parse_settings(env: Mapping[str, str]) -> Settings:
    """Build Settings from a mapping of environment variables; raise SettingsError on the first bad one."""
    protocol = _choice(env, "KAFKA_SECURITY_PROTOCOL", "PLAINTEXT", SECURITY_PROTOCOLS)
    sasl = protocol.startswith("SASL_")
    mechanism = _choice(env, "KAFKA_SASL_MECHANISM", "PLAIN" if sasl else None, SASL_MECHANISMS)
    username, password = _text(env, "KAFKA_SASL_USERNAME"), _text(env, "KAFKA_SASL_PASSWORD")
    if sasl and not username:
        raise SettingsError("KAFKA_SASL_USERNAME", f"missing; required by {protocol}")
    if sasl and not password:
        raise SettingsError("KAFKA_SASL_PASSWORD", f"missing; required by {protocol}")
    certfile, keyfile = _file(env, "KAFKA_SSL_CERTFILE"), _file(env, "KAFKA_SSL_KEYFILE")
    if keyfile and not certfile:
        raise SettingsError("KAFKA_SSL_CERTFILE", "missing; required with KAFKA_SSL_KEYFILE")
    return Settings(
        bootstrap_servers=_bootstrap(env),
        topic=_name(env, "KAFKA_TOPIC", "test-topic"),
        group_id=_name(env, "KAFKA_GROUP_ID", "test-group"),
        security_protocol=protocol,
        ssl_cafile=_file(env, "KAFKA_SSL_CAFILE"),
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
        ssl_key_password=_text(env, "KAFKA_SSL_KEY_PASSWORD"),
        sasl_mechanism=mechanism,
        sasl_username=username,
        sasl_password=password,
        connect_timeout_s=_number(env, "KAFKA_CONNECT_TIMEOUT_S", 5.0, float, 0.1, 300),
        send_timeout_s=_number(env, "KAFKA_SEND_TIMEOUT_S", 5.0, float, 0.1, 300),
        retry_after_s=int(_number(env, "KAFKA_RETRY_AFTER_S", 5, int, 1, 3600)),
        health_interval_s=_number(env, "KAFKA_HEALTH_INTERVAL_S", 2.0, float, 0.1, 60),
        linger_ms=int(_number(env, "KAFKA_LINGER_MS", 0, int, 0, 1000)),
        auto_offset_reset=_choice(env, "KAFKA_AUTO_OFFSET_RESET", "earliest", OFFSET_RESETS),
        buffer_size=int(_number(env, "BUFFER_SIZE", 10, int, 1, 10000)),
        display_limit_chars=int(_number(env, "DISPLAY_LIMIT_CHARS", 2000, int, 16, 1024 * 1024)),
        max_body_bytes=int(_number(env, "MAX_BODY_BYTES", 1024 * 1024, int, 1024, 64 * 1024 * 1024)),
        host=_text(env, "APP_HOST", "0.0.0.0"),  # noqa: S104 - see Settings.host
        producer_port=int(_number(env, "PRODUCER_PORT", 8001, int, 1, 65535)),
        consumer_port=int(_number(env, "CONSUMER_PORT", 8002, int, 1, 65535)),
        log_level=_choice(env, "LOG_LEVEL", "info", ("critical", "error", "warning", "info", "debug")),
        # A journal line per request cost a third of /healthz's and over a quarter of /send's
        # throughput (make bench, P1); /metrics already counts requests by endpoint and status.
        access_log=_flag(env, "ACCESS_LOG", False),
        # FastAPI's built-in OpenTelemetry asks the providers on every request whether it is
        # configured: ~6 % of /send's CPU with none set up (py-spy, make bench P1).
        telemetry=_flag(env, "FASTAPI_TELEMETRY", False),
        max_header_bytes=int(_number(env, "MAX_HEADER_BYTES", 16 * 1024, int, 1024, 1024 * 1024)),
        max_header_count=int(_number(env, "MAX_HEADER_COUNT", 100, int, 8, 10_000)),
        max_record_headers=int(_number(env, "MAX_RECORD_HEADERS", 32, int, 0, 10_000)),
        # json.loads recurses in C: its RecursionError (a 500) comes near 1,000 levels.
        max_json_depth=int(_number(env, "MAX_JSON_DEPTH", 64, int, 1, 500)),
        # uvicorn answers 503 (Retry-After added in http_protocol.py) once this many connections are
        # open or requests in flight; below fastapi_app_limit_nofile with room for Kafka's sockets.
        limit_concurrency=int(_number(env, "LIMIT_CONCURRENCY", 1024, int, 2, 100_000)),
        **_auth(env),
        session_ttl_s=int(_number(env, "SESSION_TTL_S", 3600, int, 60, 7 * 86400)),
        # /docs and /redoc load Swagger UI and ReDoc from a CDN: off unless asked for.
        api_docs=_flag(env, "API_DOCS", False),
        proxy_headers=_flag(env, "PROXY_HEADERS", True),
        forwarded_allow_ips=_text(env, "FORWARDED_ALLOW_IPS", "127.0.0.1"),
        idempotency_window_s=_number(env, "IDEMPOTENCY_WINDOW_S", 300.0, float, 1, 86_400),
        idempotency_max_keys=int(_number(env, "IDEMPOTENCY_MAX_KEYS", 100_000, int, 1, 10_000_000)),
        sse_max_clients=int(_number(env, "SSE_MAX_CLIENTS", 100, int, 1, 10_000)),
    )


def load_settings(env_file: str | os.PathLike[str] | None = None) -> Settings:
    """Read `.env` (KAFKAOPS_ENV_FILE, else ./.env) and let the process environment win."""
    path = Path(env_file or os.environ.get("KAFKAOPS_ENV_FILE") or ".env")
    # No ${VAR} expansion: the role writes every value literally (kraft_dotenv_value), and a
    # password such as x${HOME}y must reach Kafka as written.
    values = dotenv_values(path, interpolate=False) if path.is_file() else {}
    merged = {k: v for k, v in values.items() if v is not None}
    merged.update(os.environ)
    return parse_settings(merged)
