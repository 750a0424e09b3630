"""playbooks/gcp_firewall.yml refuses unsafe inputs before any GCP call.

Runs in --check on the controller (the google.cloud modules skip themselves in
check mode), so no credentials or network are needed: the input checks and the
rules the play would create, with their ports, are what is tested.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support.playbook import run_playbook

GOOD = {"gcp_project": "p", "gcp_source_ranges": ["203.0.113.0/24"], "gcp_target_tags": ["kafkaops"]}


def run(tmp_path: Path, variables: dict, inventory: dict | None = None) -> subprocess.CompletedProcess:
    path = tmp_path / "hosts.yml"
    path.write_text(yaml.safe_dump(inventory or {"all": {"hosts": {}}}))
    return run_playbook("playbooks/gcp_firewall.yml", "--check", "-i", path, "-e", json.dumps(variables), timeout=120)


@pytest.mark.integration
@pytest.mark.parametrize(
    ("ranges", "message"),
    [
        (["0.0.0.0/1", "128.0.0.0/1"], "0.0.0.0/1 (/1) is broader than the /16 allowed for IPv4"),
        (["203.0.113.0/24", "::/0"], "::/0 is the whole IPv6 Internet"),
        (["10.0.0.0/8"], "10.0.0.0/8 (/8) is broader than the /16 allowed for IPv4"),
    ],
)
def test_broad_source_ranges_are_refused(tmp_path, ranges, message):
    result = run(tmp_path, {**GOOD, "gcp_source_ranges": ranges})
    assert result.returncode != 0
    assert message in result.stdout, result.stdout[-2000:]


@pytest.mark.integration
def test_a_broader_prefix_can_be_allowed(tmp_path):
    result = run(tmp_path, {**GOOD, "gcp_source_ranges": ["10.0.0.0/8"], "gcp_source_min_prefix": 8})
    assert result.returncode == 0, result.stdout[-2000:]


@pytest.mark.integration
@pytest.mark.parametrize("tags", [[], [""], "kafkaops"])
def test_rules_without_target_tags_are_refused(tmp_path, tags):
    result = run(tmp_path, {**GOOD, "gcp_target_tags": tags})
    assert result.returncode != 0
    assert "without them a rule applies to every VM of the network" in result.stdout, result.stdout[-2000:]


@pytest.mark.integration
def test_cluster_rule_opens_the_seed_ports_between_tagged_vms(tmp_path):
    result = run(tmp_path, GOOD)
    assert result.returncode == 0, result.stdout[-2000:]
    assert "(item=allow-kafka: tcp 9092-9094)" in result.stdout
    assert "(item=allow-cluster: tcp 9092-9094,9192-9194,10092-10094)" in result.stdout


@pytest.mark.integration
def test_cluster_rule_ports_come_from_the_inventory(tmp_path):
    hosts = {f"k{i}": {"kafka_kraft_node_id": i} for i in (1, 2, 3)}
    inventory = {
        "all": {
            "vars": {"kafka_kraft_controller_port": 19093},
            "children": {
                "kafka": {"children": {"kafka_controllers": {"hosts": hosts}, "kafka_brokers": {"hosts": hosts}}}
            },
        }
    }
    result = run(tmp_path, GOOD, inventory)
    assert result.returncode == 0, result.stdout[-2000:]
    assert "(item=allow-cluster: tcp 9092,9192,19093)" in result.stdout
