"""Helpers for Molecule's testinfra verifiers: real commands in the real hosts.

Hosts are reached with testinfra's podman backend, which is much faster than
going through Ansible for each check.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

import testinfra

BIN = "/opt/kafka/bin"
PROJECT = Path(__file__).resolve().parents[2]
ACKLOAD = PROJECT / "bench" / "ackload.py"
APPS_PYTHON = "/opt/kafkaops/apps-venv/bin/python"  # the apps' venv has aiokafka for ackload's `verify`


def ansible_playbook(*args: str, playbook: str = "playbooks/site.yml", timeout_s: float = 1200):
    """ansible-playbook against this scenario's Molecule inventory, as a user runs it; output captured."""
    inventory = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "inventory"
    # Molecule forces colour; the checks read plain text.
    env = {**os.environ, "ANSIBLE_FORCE_COLOR": "0", "ANSIBLE_NOCOLOR": "1"}
    return subprocess.run(
        ["ansible-playbook", "-i", str(inventory), str(PROJECT / playbook), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )


def output_tail(result, chars: int = 3000) -> str:
    """The end of a playbook run's output, for an assertion message."""
    return (result.stdout + result.stderr)[-chars:]


def hosts(*names: str):
    return {name: testinfra.get_host(f"podman://{name}") for name in names}


def run(host, cmd: str, timeout_s: float = 0, pattern: str | None = None):
    """Run cmd; with timeout_s, retry until it succeeds (and matches pattern)."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = host.run(cmd)
        ok = result.rc == 0 and (pattern is None or re.search(pattern, result.stdout, re.M))
        if ok or time.monotonic() >= deadline:
            return result
        time.sleep(2)


def until(what: str, check, timeout: float, interval: float = 1.0):
    """check()'s first truthy value; fails naming what did not happen within timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            assert value, f"{what}: not within {timeout:.0f}s"
            return value
        time.sleep(interval)


def cluster_healthy(via) -> bool:
    """Every node answers, no partition under-replicated or without a leader.

    One `kafka-topics --describe` of every partition, read here: a probe costs one
    JVM start instead of one per --under-replicated/--unavailable listing, and the
    tests poll it for minutes while brokers restart.
    """
    out = via.run(f"{BIN}/kafka-topics.sh --bootstrap-server localhost:9092 --describe")
    return out.rc == 0 and not partition_problems(out.stdout)


def partition_problems(describe_output: str) -> list[str]:
    """Partitions of `kafka-topics --describe` output without a leader or with replicas out of sync."""
    problems = []
    for line in describe_output.splitlines():
        fields = {key.strip(): value.strip() for key, _sep, value in (part.partition(":") for part in line.split("\t"))}
        if "Partition" not in fields or "Replicas" not in fields:
            continue
        where = f"{fields.get('Topic')}-{fields['Partition']}"
        if fields.get("Leader") in (None, "", "none", "-1"):
            problems.append(f"{where}: no leader")
        elif set(fields["Replicas"].split(",")) - set(fields.get("Isr", "").split(",")):
            problems.append(f"{where}: replicas {fields['Replicas']}, in sync {fields.get('Isr')}")
    return problems


def quorum_status(host, bootstrap: str = "localhost:9092") -> dict:
    out = run(host, f"{BIN}/kafka-metadata-quorum.sh --bootstrap-server {bootstrap} describe --status", 60, "LeaderId")
    assert out.rc == 0, out.stderr
    status = {}
    for line in out.stdout.splitlines():
        key, _sep, value = line.partition(":")
        status[key.strip()] = value.strip()
    status["CurrentVoters"] = json.loads(status["CurrentVoters"])
    return status


def describe_topic(host, topic: str, bootstrap: str = "localhost:9092") -> list[dict]:
    """Partition rows of kafka-topics --describe as dicts (Partition, Leader, Replicas, Isr)."""
    out = run(host, f"{BIN}/kafka-topics.sh --describe --topic {topic} --bootstrap-server {bootstrap}", 60)
    assert out.rc == 0, out.stderr
    rows = []
    for line in out.stdout.splitlines():
        if "Partition:" not in line:
            continue
        fields = dict(re.findall(r"(\w+):\s*(\S+)", line))
        rows.append(fields)
    return rows


def broker_config(host, node_id: int, key: str, bootstrap: str = "localhost:9092") -> str | None:
    out = run(
        host,
        f"{BIN}/kafka-configs.sh --bootstrap-server {bootstrap} --entity-type brokers "
        f"--entity-name {node_id} --describe --all",
        60,
    )
    assert out.rc == 0, out.stderr
    match = re.search(rf"^\s*{re.escape(key)}=(\S*)", out.stdout, re.M)
    return match.group(1) if match else None


def http(host, method: str, url: str, body: str | None = None, headers: dict | None = None) -> tuple[int, str]:
    """An HTTP request made from inside ``host`` with its own python3."""
    script = (
        "import sys, urllib.request, urllib.error\n"
        "req = urllib.request.Request(sys.argv[2], method=sys.argv[1], data=sys.argv[3].encode() or None)\n"
        f"for k, v in {dict(headers or {})!r}.items(): req.add_header(k, v)\n"
        "try:\n"
        "    r = urllib.request.urlopen(req, timeout=10); print(r.status); print(r.read().decode())\n"
        "except urllib.error.HTTPError as e:\n"
        "    print(e.code); print(e.read().decode())\n"
    )
    result = host.run("python3 -c %s %s %s %s", script, method, url, body or "")
    assert result.rc == 0, result.stderr
    status, _sep, text = result.stdout.partition("\n")
    return int(status), text


def http_json(host, *urls: str, timeout: float = 10) -> list:
    """GET each URL from inside ``host`` in one python3 run; the decoded JSON bodies, in order."""
    script = (
        "import json, sys, urllib.request\n"
        "print(json.dumps([json.load(urllib.request.urlopen(u, timeout=float(sys.argv[1]))) for u in sys.argv[2:]]))\n"
    )
    result = host.run("python3 -c %s %s" + " %s" * len(urls), script, str(timeout), *urls)
    assert result.rc == 0, result.stderr
    return json.loads(result.stdout)


def finalized_levels(host, bootstrap: str = "localhost:9092") -> dict[str, str]:
    """The cluster's finalized feature levels, from `kafka-features.sh describe`: {feature: level}."""
    out = run(host, f"{BIN}/kafka-features.sh --bootstrap-server {bootstrap} describe", 60, "Feature:")
    assert out.rc == 0, out.stderr
    return dict(re.findall(r"^Feature: (\S+)\s.*FinalizedVersionLevel: (\S+)", out.stdout, re.M))


def group_offsets(host, group: str, bootstrap: str = "localhost:9092") -> dict[int, tuple[int | None, int]]:
    """A group's committed offset (None when it has none) and the log end offset per partition."""
    out = run(
        host, f"{BIN}/kafka-consumer-groups.sh --bootstrap-server {bootstrap} --describe --group {group}", 60, "^GROUP"
    )
    assert out.rc == 0, out.stderr
    lines = [line.split() for line in out.stdout.splitlines()]
    header = next(fields for fields in lines if fields[:1] == ["GROUP"])
    column = {name: header.index(name) for name in ("PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET")}
    return {
        int(fields[column["PARTITION"]]): (
            None if fields[column["CURRENT-OFFSET"]] == "-" else int(fields[column["CURRENT-OFFSET"]]),
            int(fields[column["LOG-END-OFFSET"]]),
        )
        for fields in lines
        if fields[:1] == [group]
    }


def seed_command_failures(host, node_id: int) -> list[str]:
    """The seed's admin commands (../shared/SEED.txt) on one node: each one that fails, with its error."""
    failures = []
    for cmd in (
        f"{BIN}/kafka-broker-api-versions.sh --bootstrap-server localhost:9092",
        f"{BIN}/kafka-broker-info.sh --bootstrap-server localhost:9092",
        f"{BIN}/kafka-consumer-groups.sh --bootstrap-server localhost:9092 --list",
        f"{BIN}/kafka-storage.sh info -c /etc/kafka/node{node_id}/server.properties",
        f"{BIN}/kafka-reassign-partitions.sh --bootstrap-server localhost:9092 --list",
    ):
        result = host.run(cmd)
        if result.rc != 0:
            failures.append(f"{cmd}: {result.stderr}")
    return failures


class AckLoad:
    """bench/ackload.py on the apps host: `send` runs as a systemd unit (so it outlives each exec and
    stops on SIGTERM) and records every id in /root/NAME-acks.jsonl; `verify` reads test-topic back."""

    def __init__(self, container: str, name: str):
        self.container, self.name = container, name
        self.apps = testinfra.get_host(f"podman://{container}")
        self.acks, self.summary = f"/root/{name}-acks.jsonl", f"/root/{name}-send.json"

    def start(self, rate: float, duration: float = 600, concurrency: int = 8) -> None:
        """Start the load and wait for its first acknowledged id."""
        copied = testinfra.get_host("local://").run("podman cp %s %s:/root/ackload.py", str(ACKLOAD), self.container)
        assert copied.rc == 0, copied.stderr
        self.apps.run(f"rm -f {self.acks} {self.summary}; systemctl reset-failed {self.name} 2>/dev/null")
        started = self.apps.run(
            f"systemd-run --unit={self.name} --collect {APPS_PYTHON} /root/ackload.py send "
            f"--url http://127.0.0.1:8001 --rate {rate} --duration {duration} --concurrency {concurrency} "
            f"--out {self.acks} --summary {self.summary}"
        )
        assert started.rc == 0, started.stderr
        until(f"{self.name}: a first acknowledged /send", self.acked, 30)

    def acked(self) -> int:
        """Ids acknowledged so far."""
        out = self.apps.run(f"grep -c '\"ok\":true' {self.acks}")
        return int(out.stdout.strip() or 0)

    def stop(self) -> dict:
        """Stop the load; its summary (sent, acked, failed, error window, latency)."""
        self.apps.run(f"systemctl stop {self.name}")
        return json.loads(until(f"{self.name} summary", lambda: self.apps.run(f"cat {self.summary}").stdout, 30))

    def verify(self, since_ms: int | None = None) -> tuple[int, dict]:
        """ackload `verify` with the apps' aiokafka, through the producer's bootstrap servers: its exit
        code (0 when every acknowledged id is stored once, at its offset) and its report."""
        line = self.apps.run("grep -h '^KAFKA_BOOTSTRAP_SERVERS=' /etc/kafkaops/kafkaops-producer.env").stdout.strip()
        bootstrap = json.loads(line.split("=", 1)[1])
        since = f" --since-ms {since_ms}" if since_ms is not None else ""
        out = self.apps.run(
            f"{APPS_PYTHON} /root/ackload.py verify --bootstrap {bootstrap} --topic test-topic "
            f"--acks {self.acks} --summary /root/{self.name}-verify.json{since}"
        )
        assert out.stdout.strip(), f"ackload verify exited {out.rc}: {out.stderr}"
        return out.rc, json.loads(out.stdout)
