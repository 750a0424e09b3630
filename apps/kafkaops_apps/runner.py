"""Process entry shared by both apps: settings first (one-line failure), then uvicorn."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from types import FrameType
from typing import Any, Protocol

import uvicorn
from fastapi import FastAPI

from . import __version__
from .auth import add_auth
from .http_protocol import server_options
from .limits import HeaderLimits
from .security_headers import SecurityHeaders
from .settings import Settings, SettingsError, load_settings

# SSE streams never end by themselves; bound the wait so SIGTERM reaches the lifespan
# shutdown (commit, leave group) promptly.
GRACEFUL_SHUTDOWN_S = 5


class Service(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


def service_app(title: str, service: Service, settings: Settings, browser_login: bool = False) -> FastAPI:
    """The FastAPI object of either app: its Kafka client runs for the app's lifespan, and
    FastAPI's own telemetry is on only when asked for. `browser_login`: the consumer page's
    token form and session cookie when API_AUTH is on."""
    telemetry = None if settings.telemetry else {"tracing": False, "metrics": False, "logs": False}
    docs = {} if settings.api_docs else {"docs_url": None, "redoc_url": None}
    app = FastAPI(title=title, version=__version__, lifespan=service_lifespan(service), telemetry=telemetry, **docs)
    app.add_middleware(HeaderLimits, max_bytes=settings.max_header_bytes, max_count=settings.max_header_count)
    add_auth(app, settings, browser_login)
    app.add_middleware(SecurityHeaders, docs=settings.api_docs)  # outermost: 401s and 404s get the headers too
    return app


def service_lifespan(service: Service) -> Callable[[Any], Any]:
    """FastAPI lifespan that starts the app's Kafka client and always stops it."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await service.start()
        try:
            yield
        finally:
            await service.stop()

    return lifespan


def settings_or_exit(env_file: str | os.PathLike[str] | None = None) -> Settings:
    try:
        return load_settings(env_file)
    except SettingsError as exc:
        raise SystemExit(f"kafkaops: {exc}") from None


class SignalAwareServer(uvicorn.Server):
    """uvicorn.Server that tells the app at the stop signal, before it waits for open streams.

    The lifespan shutdown only runs after that wait (up to GRACEFUL_SHUTDOWN_S); the
    consumer must stop taking records before its live pages are cut off.
    """

    def __init__(self, config: uvicorn.Config, on_signal: Callable[[], None] | None = None):
        super().__init__(config)
        self.on_signal = on_signal

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.on_signal is not None:
            self.on_signal()  # runs in a signal handler: must only set flags
        super().handle_exit(sig, frame)


def serve(create_app: Callable[[Settings], FastAPI], port_of: Callable[[Settings], int], env_file=None) -> None:
    settings = settings_or_exit(env_file)
    # uvicorn configures only its own loggers; the apps' and aiokafka's go through the root.
    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s:     %(name)s: %(message)s")
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=port_of(settings),
        log_level=settings.log_level,
        access_log=settings.access_log,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        server_header=False,
        **server_options(settings.max_header_bytes, settings.retry_after_s, settings.limit_concurrency),
        proxy_headers=settings.proxy_headers,
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )
    server = SignalAwareServer(config, getattr(getattr(app.state, "service", None), "drain", None))
    server.run()
    if not server.started:
        raise SystemExit(3)  # what uvicorn.run() exits with when the server could not start


def main_from(argv: list[str] | None = None) -> str | None:
    """Optional `--env-file PATH` argument for the module commands."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) == 2 and args[0] == "--env-file":
        return args[1]
    if args:
        raise SystemExit("usage: python -m kafkaops_apps.{producer|consumer} [--env-file PATH]")
    return None
