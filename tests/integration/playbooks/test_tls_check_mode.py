"""kafka_kraft's TLS tasks write nothing on the controller in check mode.

A local host plays one node; only the role's tls.yml runs, with the CA
directory and the host's TLS directory in scratch space. Check mode must
leave the controller's CA directory exactly as it was (not even a lock file
of the password lookup), on a fresh controller and on one whose PKI exists.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support.inventory import write_single_node_inventory
from tests.support.playbook import run_playbook


def run_tls(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    write_single_node_inventory(
        tmp_path / "hosts.yml",
        {
            "ansible_python_interpreter": "{{ ansible_playbook_python }}",
            "kafka_kraft_tls_ca_dir": str(tmp_path / "pki"),
            "kafka_kraft_tls_dir": str(tmp_path / "host" / "tls"),
            "kafka_kraft_user": "root",
            "kafka_kraft_group": "root",
        },
    )
    playbook = [
        {
            "hosts": "k1",
            "gather_facts": False,
            "tasks": [
                {"ansible.builtin.include_role": {"name": "kafkaops.kraft.kafka_kraft", "tasks_from": "tls.yml"}}
            ],
        }
    ]
    (tmp_path / "tls.yml").write_text(yaml.safe_dump(playbook))
    return run_playbook(tmp_path / "tls.yml", "-i", tmp_path / "hosts.yml", *args)


def snapshot(root: Path) -> dict:
    """Every entry under root with its mode, mtime and content: any write shows."""
    if not root.exists():
        return {}
    entries = {}
    for path in sorted([root, *root.rglob("*")]):
        st = path.lstat()
        entries[str(path.relative_to(root))] = (
            st.st_mode,
            st.st_mtime_ns,
            path.read_bytes() if path.is_file() else None,
        )
    return entries


@pytest.mark.integration
def test_check_mode_on_a_fresh_controller_writes_nothing(tmp_path):
    result = run_tls(tmp_path, "--check")
    assert not (tmp_path / "pki").exists(), sorted(str(p) for p in (tmp_path / "pki").rglob("*"))
    assert result.returncode == 0, result.stdout[-3000:]
    assert "would be created in" in result.stdout


@pytest.mark.integration
def test_check_mode_on_an_existing_pki_writes_nothing(tmp_path):
    first = run_tls(tmp_path)
    assert first.returncode == 0, first.stdout[-3000:]
    assert {"keystore.pass", "truststore.pass", "ca.crt", "ca.key"} <= {p.name for p in (tmp_path / "pki").iterdir()}
    before = snapshot(tmp_path / "pki")
    result = run_tls(tmp_path, "--check")
    assert result.returncode == 0, result.stdout[-3000:]
    assert snapshot(tmp_path / "pki") == before
    assert "changed=0" in result.stdout, result.stdout[-3000:]
