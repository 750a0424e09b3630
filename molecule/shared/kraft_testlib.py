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


def recap(output: str) -> dict[str, dict[str, int]]:
    """PLAY RECAP counters per host."""
    counters = {}
    for host, fields in re.findall(r"^(\S+)\s+:\s+(ok=\d+.*)$", output, re.M):
        counters[host] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", fields)}
    return counters


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
    """Every node answers, no partition under-replicated or without a leader."""
    for flag in ("--under-replicated-partitions", "--unavailable-partitions"):
        out = via.run(f"{BIN}/kafka-topics.sh --bootstrap-server localhost:9092 --describe {flag}")
        if out.rc != 0 or out.stdout.strip():
            return False
    return True


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
