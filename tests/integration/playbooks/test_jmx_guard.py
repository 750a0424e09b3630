"""JMX is never exposed without authentication by accident.

Only the role's JMX checks run (jmx.yml's first task refuses before any file
is written), on localhost with a local connection.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support.playbook import json_report, run_playbook


def run_jmx_check(tmp_path: Path, variables: dict) -> subprocess.CompletedProcess:
    playbook = [
        {
            "hosts": "localhost",
            "gather_facts": False,
            "vars": variables,
            "tasks": [
                {
                    "name": "JMX tasks of kafka_kraft",
                    "ansible.builtin.include_role": {"name": "kafkaops.kraft.kafka_kraft", "tasks_from": "jmx.yml"},
                }
            ],
        }
    ]
    path = tmp_path / "jmx.yml"
    path.write_text(yaml.safe_dump(playbook))
    return run_playbook(path, "-i", "localhost,", "-c", "local", "--check", json_output=True)


def first_failure(result: subprocess.CompletedProcess) -> str:
    report = json_report(result)
    for play in report["plays"]:
        for task in play["tasks"]:
            for res in task["hosts"].values():
                if res.get("failed"):
                    return " ".join(str(res.get("msg", "")).split())
    return ""


@pytest.mark.parametrize(
    "variables",
    [
        pytest.param({"kafka_kraft_jmx_enabled": True}, id="auth-on-by-default-needs-users"),
        pytest.param(
            {
                "kafka_kraft_jmx_enabled": True,
                "kafka_kraft_jmx_auth_enabled": False,
                "kafka_kraft_jmx_bind_address": "0.0.0.0",  # noqa: S104
            },
            id="remote-without-auth",
        ),
    ],
)
def test_unsafe_jmx_is_refused(tmp_path, variables):
    result = run_jmx_check(tmp_path, variables)
    assert result.returncode != 0
    message = first_failure(result)
    assert "JMX authentication (on by default) needs kafka_kraft_jmx_users" in message
    assert "kafka_kraft_jmx_allow_unauthenticated_remote" in message


def test_unpinned_exporter_download_is_refused(tmp_path):
    result = run_jmx_check(
        tmp_path,
        {
            "kafka_kraft_jmx_exporter_enabled": True,
            "kafka_kraft_jmx_exporter_source": "url",
            "kafka_kraft_jmx_exporter_version": "0.99.0",
        },
    )
    assert result.returncode != 0
    assert "kafka_kraft_jmx_exporter_checksum" in first_failure(result)
