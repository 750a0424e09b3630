"""Access to the lab of tools/lab.sh: containers, systemd units, Kafka tools, the apps' HTTP API."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PREFIX = "kraft-lab-"
# Node id -> (inventory host, address); mirrors inventories/lab and tools/lab.sh.
BROKERS = {1: ("kafka1", "198.18.10.11"), 2: ("kafka2", "198.18.10.12"), 3: ("kafka3", "198.18.10.13")}
APPS = ("apps1", "198.18.10.20")
BOOTSTRAP = ",".join(f"{ip}:9092" for _host, ip in BROKERS.values())
PRODUCER = f"http://{APPS[1]}:8001"
CONSUMER = f"http://{APPS[1]}:8002"
PRODUCER_UNIT = "kafkaops-producer@8001"
CONSUMER_UNIT = "kafkaops-consumer@8002"
TOPIC = "test-topic"
GROUP = "test-group"


def env() -> dict[str, str]:
    """The environment the Makefile sets, so podman uses runc and ansible the repo's config."""
    out = dict(os.environ)
    out.setdefault("CONTAINERS_CONF", str(REPO / "tools" / "containers.conf"))
    out.setdefault("ANSIBLE_CONFIG", str(REPO / "ansible.cfg"))
    venv_bin = str(REPO / ".venv" / "bin")
    if venv_bin not in out.get("PATH", "").split(":"):
        out["PATH"] = f"{venv_bin}:{out.get('PATH', '')}"
    return out


def run(cmd: list[str], check: bool = True, timeout: float | None = None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=check, text=True, capture_output=True, env=env(), timeout=timeout, **kw)


def sh(host: str, script: str, check: bool = True, timeout: float | None = None) -> str:
    """Run a shell script inside a lab host; returns stdout."""
    return run(["podman", "exec", PREFIX + host, "sh", "-c", script], check=check, timeout=timeout).stdout


def containers_running() -> bool:
    names = [PREFIX + h for h, _ip in BROKERS.values()] + [PREFIX + APPS[0]]
    out = run(["podman", "ps", "--format", "{{.Names}}"], check=False).stdout.split()
    return all(n in out for n in names)


def ensure_up() -> None:
    """Start (and deploy) the lab only when one of its containers is missing or stopped."""
    if not containers_running():
        print("lab not running: tools/lab.sh up", flush=True)
        subprocess.run([str(REPO / "tools" / "lab.sh"), "up"], check=True, env=env(), cwd=REPO)
    wait_ready(180)


def http(method: str, url: str, body: bytes | None = None, timeout: float = 10, headers=None) -> tuple[int, bytes]:
    """One HTTP request; returns (status, body), status 0 when nothing answered."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})  # noqa: S310 - lab URLs only
    if body is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:  # noqa: S310
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (urllib.error.URLError, OSError, TimeoutError):
        return 0, b""


def get_json(url: str, timeout: float = 10) -> dict:
    status, body = http("GET", url, timeout=timeout)
    return json.loads(body) if status and body else {}


def wait_ready(timeout: float) -> None:
    """Both apps ready, every broker up and no partition under-replicated."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        p, _body = http("GET", PRODUCER + "/readyz", timeout=3)
        c, _body = http("GET", CONSUMER + "/readyz", timeout=3)
        if p == 200 and c == 200 and under_replicated() == 0:
            return
        time.sleep(2)
    raise RuntimeError(f"lab not ready within {timeout:.0f}s")


def kafka_tool(cls_or_script: str, args: str, host: str = "kafka1", timeout: float = 600) -> str:
    """A Kafka tool in a broker container: a bin/ script name or a main class."""
    if cls_or_script.endswith(".sh"):
        cmd = f"/opt/kafka/bin/{cls_or_script} {args}"
    else:
        cmd = f"/opt/kafka/bin/kafka-run-class.sh {cls_or_script} {args}"
    return sh(host, cmd + " 2>&1", timeout=timeout)


def under_replicated(topic: str | None = None) -> int:
    """Count of under-replicated plus leaderless partitions; -1 when no broker answered."""
    scope = f"--topic {shlex.quote(topic)}" if topic else ""
    total = 0
    for flag in ("--under-replicated-partitions", "--unavailable-partitions"):
        for host, _ip in BROKERS.values():
            try:
                out = sh(
                    host,
                    f"/opt/kafka/bin/kafka-topics.sh --bootstrap-server localhost:9092 --describe {flag} {scope}",
                    timeout=60,
                )
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
                continue
            total += sum(1 for line in out.splitlines() if "Partition:" in line)
            break
        else:
            return -1
    return total


@dataclass
class PartitionInfo:
    partition: int
    leader: int
    replicas: list[int]
    isr: list[int]


def describe(topic: str = TOPIC) -> list[PartitionInfo]:
    out = kafka_tool("kafka-topics.sh", f"--bootstrap-server {BOOTSTRAP} --describe --topic {topic}")
    parts = []
    for line in out.splitlines():
        m = re.search(r"Partition:\s*(\d+)\s+Leader:\s*(-?\d+)\s+Replicas:\s*([\d,]+)\s+Isr:\s*([\d,]*)", line)
        if m:
            ints = [int(x) for x in m.group(3).split(",")], [int(x) for x in m.group(4).split(",") if x]
            parts.append(PartitionInfo(int(m.group(1)), int(m.group(2)), *ints))
    return parts


def broker_unit(node_id: int) -> str:
    return f"kafka-node{node_id}"


def kill_broker(node_id: int) -> None:
    sh(BROKERS[node_id][0], f"systemctl kill -s SIGKILL {broker_unit(node_id)}")


def start_broker(node_id: int) -> None:
    # A killed unit may still be in "failed" or auto-restarting; start is idempotent either way.
    sh(
        BROKERS[node_id][0],
        f"systemctl reset-failed {broker_unit(node_id)} || true; systemctl start {broker_unit(node_id)}",
    )


def stop_broker(node_id: int) -> None:
    sh(BROKERS[node_id][0], f"systemctl stop {broker_unit(node_id)}", timeout=240)


def unit_state(host: str, unit: str) -> dict[str, str]:
    out = sh(host, f"systemctl show -p MainPID -p NRestarts -p ActiveState {unit}")
    return dict(line.split("=", 1) for line in out.split())


def rss_kib(host: str, unit: str) -> int:
    pid = unit_state(host, unit)["MainPID"]
    out = sh(host, f"grep VmRSS /proc/{pid}/status")
    return int(out.split()[1])


def wait_until(predicate, timeout: float, interval: float = 1.0, what: str = "condition") -> float:
    """Poll until predicate() is truthy; returns the seconds it took."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(interval)
    raise TimeoutError(f"{what} not reached within {timeout:.0f}s")


def restore_brokers(timeout: float = 300) -> None:
    """Every broker unit started and no under-replicated partition left."""
    for node in BROKERS:
        start_broker(node)
    wait_until(lambda: under_replicated() == 0, timeout, 3, "0 under-replicated partitions")


def app_env(unit: str, values: dict[str, str] | None, port: int) -> None:
    """Override an app's settings with a runtime drop-in (gone at reboot), or remove it; restarts the app."""
    path = f"/run/systemd/system/{unit}.service.d/kafkaops-bench.conf"
    if values:
        lines = "\\n".join(f"Environment={k}={v}" for k, v in values.items())
        script = f"mkdir -p $(dirname {path}) && printf '[Service]\\n{lines}\\n' > {path}"
    else:
        script = f"rm -f {path}"
    sh(APPS[0], f"{script} && systemctl daemon-reload && systemctl restart {unit}")
    wait_until(lambda: http("GET", f"http://{APPS[1]}:{port}/readyz", timeout=3)[0] == 200, 120, 1, f"{unit} ready")
