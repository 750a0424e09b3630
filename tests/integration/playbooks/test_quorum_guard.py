"""kafka_kraft refuses to rewrite a formatted static quorum's voter set.

A local host plays node 1 with a formatted log dir and the configuration it
"runs" with; the inventory then gains a second controller. Only the role's
cluster-id and quorum-guard task files run, against temporary directories.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support.playbook import run_playbook

CLUSTER_ID = "MkU3OEVBNTcwNTJENDM2Qg"


def run_guard(tmp_path: Path, controllers: dict, extra: dict | None = None) -> subprocess.CompletedProcess:
    config_dir, data_root = tmp_path / "etc", tmp_path / "data"
    (config_dir / "node1").mkdir(parents=True, exist_ok=True)
    data_root.mkdir(exist_ok=True)
    (config_dir / "node1" / "server.properties").write_text(
        "node.id=1\ncontroller.quorum.voters=1@k1:10092\nprocess.roles=broker,controller\n"
    )
    (data_root / "meta.properties").write_text(f"version=1\nnode.id=1\ncluster.id={CLUSTER_ID}\n")
    inventory = {
        "all": {
            "vars": {
                "ansible_connection": "local",
                "ansible_python_interpreter": "{{ ansible_playbook_python }}",
                "kafka_kraft_config_dir": str(config_dir),
                "kafka_kraft_data_root": str(data_root),
                **(extra or {}),
            },
            "children": {
                "kafka": {
                    "children": {
                        "kafka_controllers": {"hosts": controllers},
                        "kafka_brokers": {"hosts": controllers},
                    }
                }
            },
        }
    }
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump(inventory))
    playbook = [
        {
            "hosts": "k1",
            "gather_facts": False,
            "tasks": [
                {
                    "ansible.builtin.include_role": {"name": "kafkaops.kraft.kafka_kraft", "tasks_from": name},
                }
                for name in ("cluster_id.yml", "quorum_guard.yml")
            ],
        }
    ]
    (tmp_path / "guard.yml").write_text(yaml.safe_dump(playbook))
    return run_playbook(tmp_path / "guard.yml", "-i", tmp_path / "hosts.yml")


@pytest.mark.integration
def test_unchanged_voters_pass(tmp_path):
    result = run_guard(tmp_path, {"k1": {"kafka_kraft_node_id": 1}})
    assert result.returncode == 0, result.stdout[-2000:]


@pytest.mark.integration
def test_a_new_static_voter_is_refused(tmp_path):
    result = run_guard(tmp_path, {"k1": {"kafka_kraft_node_id": 1}, "k2": {"kafka_kraft_node_id": 2}})
    assert result.returncode != 0
    assert "Rolling a new static voter set is unsafe" in result.stdout, result.stdout[-2000:]
    assert "'1@k1:10092,2@k2:10092'" in result.stdout


@pytest.mark.integration
def test_the_manual_procedure_may_change_voters(tmp_path):
    result = run_guard(
        tmp_path,
        {"k1": {"kafka_kraft_node_id": 1}, "k2": {"kafka_kraft_node_id": 2}},
        {"kafka_kraft_allow_voter_change": True},
    )
    assert result.returncode == 0, result.stdout[-2000:]


@pytest.mark.integration
def test_switching_a_formatted_static_quorum_to_dynamic_is_refused(tmp_path):
    result = run_guard(tmp_path, {"k1": {"kafka_kraft_node_id": 1}}, {"kafka_kraft_quorum_mode": "dynamic"})
    assert result.returncode != 0
    assert "quorum mode switch" in result.stdout, result.stdout[-2000:]
