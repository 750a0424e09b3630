"""kafka_kraft's preflight refuses impossible topologies before touching a host.

The inventories use local connections and run only the preflight tags, so
a failing check proves nothing was changed: no install task ever ran.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support.playbook import json_report, run_playbook


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


def fake_java(tmp_path: Path, version: str) -> str:
    """A `java` that answers -version as OpenJDK ``version`` does (on stderr)."""
    java = tmp_path / f"java-{version}"
    java.write_text(f"#!/bin/sh\necho 'openjdk version \"{version}\" 2024-10-15' >&2\n")
    java.chmod(0o755)
    return str(java)


@pytest.mark.integration
@pytest.mark.parametrize(("kafka", "java", "refused"), [("4.4.0", "11.0.25", True), ("3.9.1", "11.0.25", False)])
def test_kafka_4x_refuses_java_older_than_17(tmp_path, kafka, java, refused):
    result = run_preflight(
        tmp_path,
        {"k1": {"kafka_kraft_node_id": 1}},
        {"kafka_kraft_version": kafka, "kafka_kraft_java": fake_java(tmp_path, java)},
    )
    assert (result.returncode != 0) is refused, result.stdout[-2000:]
    expected = f"Kafka 4.4.0 needs Java 17 or later (brokers and tools); {tmp_path}/java-{java} on k1 is Java 11."
    assert any(m.startswith(expected) for m in failures(result)) is refused, failures(result)


@pytest.mark.integration
def test_kafka_4x_passes_with_java_17(tmp_path):
    result = run_preflight(
        tmp_path,
        {"k1": {"kafka_kraft_node_id": 1}},
        {"kafka_kraft_version": "4.4.0", "kafka_kraft_java": fake_java(tmp_path, "17.0.15")},
    )
    assert result.returncode == 0, result.stdout[-2000:]
