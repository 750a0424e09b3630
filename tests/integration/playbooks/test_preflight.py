"""kafka_kraft's preflight refuses impossible topologies before touching a host.

The inventories use local connections and run only the preflight tags, so
a failing check proves nothing was changed: no install task ever ran.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support.playbook import REPO, json_report, run_playbook


def run_preflight(tmp_path: Path, hosts: dict, group_vars: dict | None = None) -> subprocess.CompletedProcess:
    inventory = {
        "all": {
            "vars": {
                "ansible_connection": "local",
                "ansible_become": False,
                "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                **(group_vars or {}),
            },
            "children": {"kafka": {"children": {}}},
        }
    }
    # Every host is a combined node unless its vars say otherwise.
    controllers = {h: v for h, v in hosts.items() if v.get("_role", "both") in ("both", "controller")}
    brokers = {h: v for h, v in hosts.items() if v.get("_role", "both") in ("both", "broker")}
    inventory["all"]["children"]["kafka"]["children"] = {
        "kafka_controllers": {
            "hosts": {h: {k: x for k, x in v.items() if k != "_role"} for h, v in controllers.items()}
        },
        "kafka_brokers": {"hosts": {h: {k: x for k, x in v.items() if k != "_role"} for h, v in brokers.items()}},
    }
    path = tmp_path / "hosts.yml"
    path.write_text(yaml.safe_dump(inventory))
    return run_playbook("playbooks/site.yml", "-i", path, "--tags", "kafka_kraft_preflight", json_output=True)


def failures(result: subprocess.CompletedProcess) -> list[str]:
    report = json_report(result)
    msgs = []
    for play in report["plays"]:
        for task in play["tasks"]:
            for res in task["hosts"].values():
                if res.get("failed"):
                    msgs.append(res.get("msg", ""))
                for item in res.get("results", []):
                    if item.get("failed"):
                        msgs.append(item.get("msg", ""))
    return msgs


@pytest.mark.integration
def test_valid_topology_passes(tmp_path):
    result = run_preflight(tmp_path, {f"k{i}": {"kafka_kraft_node_id": i} for i in (1, 2, 3)})
    assert result.returncode == 0, result.stdout[-2000:]


@pytest.mark.integration
def test_duplicate_node_ids_are_refused(tmp_path):
    result = run_preflight(
        tmp_path, {"k1": {"kafka_kraft_node_id": 1}, "k2": {"kafka_kraft_node_id": 1}, "k3": {"kafka_kraft_node_id": 3}}
    )
    assert result.returncode != 0
    assert any("duplicate node id 1" in m for m in failures(result)), failures(result)


@pytest.mark.integration
def test_duplicate_ports_on_one_vm_are_refused(tmp_path):
    nodes = [{"id": 1, "client_port": 9092}, {"id": 2, "client_port": 9092}]
    result = run_preflight(tmp_path, {"vm": {"kafka_kraft_nodes": nodes}})
    assert result.returncode != 0
    assert any("port 9092 on vm" in m for m in failures(result)), failures(result)


@pytest.mark.integration
def test_replication_factor_above_broker_count_is_refused(tmp_path):
    result = run_preflight(
        tmp_path,
        {"k1": {"kafka_kraft_node_id": 1}, "k2": {"kafka_kraft_node_id": 2}},
        {"kafka_kraft_custom_properties": {"default.replication.factor": 3}},
    )
    assert result.returncode != 0
    assert any("default.replication.factor=3 exceeds the 2 broker(s)" in m for m in failures(result)), failures(result)


@pytest.mark.integration
def test_even_controller_count_only_warns(tmp_path):
    result = run_preflight(tmp_path, {"k1": {"kafka_kraft_node_id": 1}, "k2": {"kafka_kraft_node_id": 2}})
    assert result.returncode == 0, result.stdout[-2000:]
    assert "WARNING: 2 controllers" in result.stdout


# Real runtimes: Java 11 from `make jre11` (tools/fetch-jre11.sh), Java 17 or later is the
# controller's Debian JRE (default-jre-headless, `make host-deps`). Both are make prerequisites
# of the integration tests, so a missing one fails here rather than skipping.
JAVA_11 = REPO / "build" / "dist" / "jre-11" / "bin" / "java"
JAVA_DEBIAN = Path("/usr/bin/java")


def java_major(java: Path) -> int:
    """The major version `java` reports, asserted present."""
    assert java.is_file(), f"{java} is missing: run `make jre11` (Java 11) or `make host-deps` (Debian's JRE)"
    result = subprocess.run([str(java), "-version"], capture_output=True, text=True, check=True)
    match = re.search(r'version "(\d+)', result.stderr)
    assert match, result.stderr
    return int(match.group(1))


@pytest.mark.integration
@pytest.mark.parametrize(("kafka", "refused"), [("4.4.0", True), ("3.9.1", False)])
def test_kafka_4x_refuses_java_older_than_17(tmp_path, kafka, refused):
    assert java_major(JAVA_11) == 11
    result = run_preflight(
        tmp_path,
        {"k1": {"kafka_kraft_node_id": 1}},
        {"kafka_kraft_version": kafka, "kafka_kraft_java": str(JAVA_11)},
    )
    assert (result.returncode != 0) is refused, result.stdout[-2000:]
    expected = f"Kafka 4.4.0 needs Java 17 or later (brokers and tools); {JAVA_11} on k1 is Java 11."
    assert any(m.startswith(expected) for m in failures(result)) is refused, failures(result)


@pytest.mark.integration
def test_kafka_4x_passes_with_java_17(tmp_path):
    assert java_major(JAVA_DEBIAN) >= 17
    result = run_preflight(
        tmp_path,
        {"k1": {"kafka_kraft_node_id": 1}},
        {"kafka_kraft_version": "4.4.0", "kafka_kraft_java": str(JAVA_DEBIAN)},
    )
    assert result.returncode == 0, result.stdout[-2000:]
