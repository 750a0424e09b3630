"""SSH host keys are verified everywhere but in the disposable lab.

Ansible is asked to reach one host of each inventory on a closed local port;
the ssh command it logs (-vvvv) shows whether host key checking was switched
off. Nothing listens, so nothing is contacted.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ssh_command(inventory: str, host: str) -> str:
    env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg")}
    result = subprocess.run(
        ["ansible", "-i", inventory, host, "-m", "ansible.builtin.ping", "-vvvv", "-e", json.dumps(
            {"ansible_host": "127.0.0.1", "ansible_port": closed_port(), "ansible_ssh_args": "-o ControlMaster=no"})],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    lines = [line for line in result.stdout.splitlines() if "SSH: EXEC ssh" in line]
    assert lines, result.stdout[-2000:] + result.stderr[-2000:]
    return lines[0]


def test_the_repository_configuration_keeps_host_key_checking_on():
    text = (REPO / "ansible.cfg").read_text()
    assert "host_key_checking" not in text


@pytest.mark.parametrize(("inventory", "host"), [("inventories/gcp/static.yml", "kafka-1")])
def test_real_inventories_verify_host_keys(inventory, host):
    command = ssh_command(inventory, host)
    assert "StrictHostKeyChecking=no" not in command, command
    assert "UserKnownHostsFile=/dev/null" not in command, command


def test_the_lab_alone_skips_host_key_checking():
    # Its containers get new host keys whenever they are recreated.
    command = ssh_command("inventories/lab", "kafka1")
    assert "StrictHostKeyChecking=no" in command, command
