"""Run the apps as real uvicorn processes on free 127.0.0.1 ports, as the roles will."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
from kafka.admin import KafkaAdminClient, NewTopic

from tests.support.kafka_broker import free_port

APPS = Path(__file__).resolve().parents[3] / "apps"


def create_topic(bootstrap: str, partitions: int = 3, name: str | None = None) -> str:
    """Topics are per test module so tests never see each other's records (auto-create is off)."""
    name = name or f"t-{uuid.uuid4().hex[:10]}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.create_topics([NewTopic(name, partitions, 1)])
    finally:
        admin.close()
    return name


class AppProcess:
    """`python -m kafkaops_apps.<kind>` with settings passed through the environment."""

    def __init__(self, kind: str, workdir: Path, env: dict[str, str]):
        self.kind = kind
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / f"{kind}-{self.port}.log"
        port_var = "PRODUCER_PORT" if kind == "producer" else "CONSUMER_PORT"
        self.env = {**os.environ, "PYTHONPATH": str(APPS), "APP_HOST": "127.0.0.1", port_var: str(self.port), **env}
        self.env.pop("KAFKAOPS_ENV_FILE", None)
        self.proc: subprocess.Popen | None = None

    def start(self) -> AppProcess:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", f"kafkaops_apps.{self.kind}"], env=self.env, stdout=out, stderr=out, cwd=APPS
            )
        return self

    def wait_ready(self, timeout: float = 60) -> float:
        """Seconds until /readyz answered 200."""
        started = time.monotonic()
        last = None
        while time.monotonic() - started < timeout:
            if self.proc and self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} exited {self.proc.returncode}: {self.log.read_text()[-2000:]}")
            try:
                last = httpx.get(self.url + "/readyz", timeout=2)
                if last.status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError as exc:
                last = exc
            time.sleep(0.2)
        raise TimeoutError(f"{self.kind} not ready after {timeout}s: {last}")

    def stop(self, timeout: float = 20) -> int | None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode if self.proc else None


def wait_for(predicate, timeout: float, interval: float = 0.1):
    """Poll until predicate() is truthy; return its value or fail with the last one."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last: {value!r})")
