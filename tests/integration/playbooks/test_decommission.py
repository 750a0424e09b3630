"""playbooks/decommission.yml against the session's local broker (node 1, a static-quorum voter).

The inventory lists node 1 on k1 (this machine, local connection) and a
broker-only node on a second host that never ran. The modules run in the
test's own Python, which has kafka-python; nothing is installed.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support.playbook import recap_counts, run_playbook, venv_path

pytestmark = pytest.mark.integration


def run_decommission(tmp_path: Path, broker, node_ids, other_id: int, check: bool) -> subprocess.CompletedProcess:
    k1 = {"kafka_kraft_node_id": 1, "kafka_kraft_advertised_host": "127.0.0.1", "kafka_kraft_client_port": broker.port}
    other = {"kafka_kraft_node_id": other_id, "kafka_kraft_client_port": 19092}
    inventory = {
        "all": {
            "vars": {
                "ansible_connection": "local",
                "ansible_become": False,
                "ansible_python_interpreter": sys.executable,
            },
            "children": {
                "kafka": {
                    "children": {
                        "kafka_controllers": {"hosts": {"k1": k1}},
                        "kafka_brokers": {"hosts": {"k1": k1, "k9": other}},
                    }
                }
            },
        }
    }
    (tmp_path / "hosts.yml").write_text(yaml.safe_dump(inventory))
    variables = {
        "kafka_decommission_node_ids": node_ids,
        "kafka_decommission_bootstrap_servers": [broker.bootstrap],
        "kafka_decommission_install_client": False,
        "rebalance_admin_venv": str(Path(sys.executable).parent.parent),
    }
    return run_playbook(
        "playbooks/decommission.yml",
        "-i",
        tmp_path / "hosts.yml",
        "-e",
        json.dumps(variables),
        *(["--check"] if check else []),
        env={"PATH": venv_path()},
    )


def test_check_mode_prints_the_plan_and_the_inventory_edits_and_changes_nothing(tmp_path, kafka_broker):
    # Node 7 on k9 is in the inventory but never registered: it holds nothing.
    result = run_decommission(tmp_path, kafka_broker, [7], 7, check=True)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    out = result.stdout
    flat = re.sub(r"\s+", " ", out).replace("''", "'")  # the YAML callback folds and quotes long lines
    assert "DRY RUN: nothing will change. retiring node(s) 7 on k9" in flat
    assert "brokers after: 1;" in flat and "replicas on the retiring nodes: {'7': 0}" in flat
    assert "k9: remove the host from the kafka, kafka_brokers and kafka_controllers groups" in flat
    assert "Stop and disable the nodes' services" not in out
    counts = {host: recap["changed"] for host, recap in recap_counts(out).items()}
    assert counts and set(counts.values()) == {0}, out[-2000:]


def test_a_static_voter_is_refused_before_any_change(tmp_path, kafka_broker):
    result = run_decommission(tmp_path, kafka_broker, [1], 2, check=False)
    assert result.returncode != 0
    # With display_failed_stderr (Molecule sets it) the failure goes to stderr.
    out = re.sub(r"\s+", " ", result.stdout + result.stderr).replace("''", "'")
    assert "refusing to retire node(s) 1" in out
    assert "vote in a static quorum" in out and "needs a new cluster" in out
    # Node 2 stays but never registered: unhealthy, refused too.
    assert "broker(s) 2 not registered" in out
    assert "Plan the drain" not in out and "Stop and disable" not in out
