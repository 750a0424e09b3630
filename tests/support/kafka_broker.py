"""A real single-node Kafka KRaft broker on 127.0.0.1 for integration tests.

It runs from the project's Kafka archive (tools/build-kafka-archive.sh), so the
tests exercise the same jars the roles install: KAFKA_VERSION by default, or
another release's archive (KAFKA_NEXT_VERSION, the 4.x line). Ports stay fixed
across stop()/start(), so clients can be tested for recovery after an outage.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import importlib.util
import os
import shutil
import socket
import subprocess
import tarfile
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
KAFKA_VERSION = os.environ.get("KAFKA_VERSION", "3.9.1")
# The 4.x release `make next-archive` assembles (the Makefile's KAFKA_NEXT_VERSION).
KAFKA_NEXT_VERSION = os.environ.get("KAFKA_NEXT_VERSION", "4.4.0")
SCALA_VERSION = "2.13"


def dist(version: str = KAFKA_VERSION) -> Path:
    return REPO / "build" / "dist" / f"kafka_{SCALA_VERSION}-{version}.tgz"


DIST = dist()


def _release(version: str) -> dict:
    """The role's family settings for ``version`` (plugins/filter/kraft_release.py): logging, Java."""
    spec = importlib.util.spec_from_file_location("kraft_release", REPO / "plugins" / "filter" / "kraft_release.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.kraft_release(version)


def free_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def kafka_home(cache: Path = REPO / "build" / "unpacked", version: str = KAFKA_VERSION) -> Path:
    """Unpack ``version``'s archive once per checkout and return its root.

    The default version's archive is built when missing; another version's must
    exist already (`make next-archive`), so tests can skip when it does not.
    """
    archive = dist(version)
    home = _home(archive, cache)
    if (home / "libs").is_dir():
        return home
    with _cache_lock(cache):
        if not archive.is_file():
            if version != KAFKA_VERSION:
                raise FileNotFoundError(f"{archive} is missing: run `make next-archive`")
            subprocess.run([str(REPO / "tools" / "build-kafka-archive.sh"), version], check=True)
        return _unpack(archive, cache)


def unpack_once(archive: Path, cache: Path) -> Path:
    """Extract ``archive`` (one top directory) under ``cache`` unless it is there already."""
    home = _home(archive, cache)
    if (home / "libs").is_dir():
        return home
    with _cache_lock(cache):
        return _unpack(archive, cache)


def _home(archive: Path, cache: Path) -> Path:
    return cache / archive.name.removesuffix(".tgz")


@contextlib.contextmanager
def _cache_lock(cache: Path):
    # pytest-xdist workers start brokers at the same moment: one of them builds
    # and unpacks, the others wait for it instead of reading a half-written tree.
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _unpack(archive: Path, cache: Path) -> Path:
    # Called under the lock. The tree is extracted beside the cache and renamed
    # into place, so no reader sees a root whose libs/ exists before its jars.
    home = _home(archive, cache)
    if (home / "libs").is_dir():
        return home
    shutil.rmtree(home, ignore_errors=True)  # left by an interrupted unpack
    staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=cache))
    try:
        with tarfile.open(archive) as tar:
            tar.extractall(staging, filter="data")
        (staging / home.name).rename(home)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return home


class KafkaBroker:
    """One combined broker+controller node; call start() then stop()."""

    def __init__(
        self,
        workdir: Path,
        extra_props: dict[str, str] | None = None,
        heap: str = "384m",
        version: str = KAFKA_VERSION,
        jvm_opts: tuple[str, ...] = (),
        reuse: bool = False,
    ):
        """``reuse=True`` opens a workdir an earlier KafkaBroker formatted: same
        server.properties, ports and data, not formatted again, so a test can run
        another release on the same storage (an upgrade or a rollback)."""
        self.home = kafka_home(version=version)
        self.version = version
        self.release = _release(version)
        self.jvm_opts = tuple(jvm_opts)
        self.workdir = workdir
        self.config = workdir / "server.properties"
        self.heap = heap
        self.proc: subprocess.Popen | None = None
        self.log = workdir / "broker.out"
        if reuse:
            props = dict(
                line.split("=", 1) for line in self.config.read_text().splitlines() if "=" in line and line[0] != "#"
            )
            ports = dict(
                (name, int(address.rsplit(":", 1)[1]))
                for name, address in (item.split("://", 1) for item in props["listeners"].split(","))
            )
            self.port, self.controller_port = ports["PLAINTEXT"], ports["CONTROLLER"]
        else:
            self.port = free_port()
            self.controller_port = free_port()
        self.bootstrap = f"127.0.0.1:{self.port}"
        if reuse:
            props.update(extra_props or {})
            self._write_config(props)
            return
        props = {
            "process.roles": "broker,controller",
            "node.id": "1",
            "controller.quorum.voters": f"1@127.0.0.1:{self.controller_port}",
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port},CONTROLLER://127.0.0.1:{self.controller_port}",
            "advertised.listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "log.dirs": str(workdir / "data"),
            "num.partitions": "1",
            "offsets.topic.replication.factor": "1",
            "transaction.state.log.replication.factor": "1",
            "transaction.state.log.min.isr": "1",
            "group.initial.rebalance.delay.ms": "0",
            "auto.create.topics.enable": "false",
        }
        props.update(extra_props or {})
        self._write_config(props)
        self._format()

    def _write_config(self, props: dict[str, str]) -> None:
        self.config.write_text("".join(f"{k}={v}\n" for k, v in props.items()))

    def _java(self, main: str, *args: str) -> list[str]:
        return [
            shutil.which("java") or "java",
            f"-Xms{self.heap}",
            f"-Xmx{self.heap}",
            "-XX:+UseG1GC",
            "-XX:TieredStopAtLevel=1",
            f"-Dkafka.logs.dir={self.workdir / 'logs'}",
            self.release["log4j_option"] + str(self.home / "config" / self.release["log4j_file"]),
            *self.jvm_opts,
            "-cp",
            str(self.home / "libs" / "*"),
            main,
            *args,
        ]

    def _format(self) -> None:
        subprocess.run(
            self._java("kafka.tools.StorageTool", "format", "-t", _cluster_id(), "-c", str(self.config)),
            check=True,
            capture_output=True,
        )

    def start(self, timeout: float = 90) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(self._java("kafka.Kafka", str(self.config)), stdout=out, stderr=out)
        if not wait_port(self.port, timeout):
            self.stop()
            raise RuntimeError(f"broker did not open {self.bootstrap}; see {self.log}")

    def stop(self, timeout: float = 60) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def _cluster_id() -> str:
    # Kafka cluster ids are 16 random bytes in URL-safe base64 without padding. Like Kafka's
    # Uuid.randomUuid(), never one that starts with "-": StorageTool would read `-t -abc` as an option.
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id
