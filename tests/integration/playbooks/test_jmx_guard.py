"""JMX is never exposed without authentication by accident.

Only the role's JMX checks run (jmx.yml's first task refuses before any file
is written), on localhost with a local connection.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from tests.support.playbook import REPO, json_report, run_playbook


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


def task_results(result: subprocess.CompletedProcess) -> list[tuple[str, dict]]:
    """(task name, localhost's result) of every task that ran, in order."""
    return [
        (task["task"]["name"], res)
        for play in json_report(result)["plays"]
        for task in play["tasks"]
        for res in task["hosts"].values()
    ]


def first_failure(result: subprocess.CompletedProcess) -> str:
    failed = [res for name, res in task_results(result) if res.get("failed")]
    return " ".join(str(failed[0].get("msg", "")).split()) if failed else ""


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


def test_exporter_alone_needs_no_jmx_users(tmp_path):
    """Monitoring turns on only the exporter's javaagent: remote JMX stays off and needs no users."""
    result = run_jmx_check(
        tmp_path,
        {
            "kafka_kraft_jmx_exporter_enabled": True,
            "kafka_kraft_jmx_exporter_source": "local",
            "kafka_kraft_jmx_exporter_local_path": str(REPO / "LICENSE"),
        },
    )
    checks = [res for name, res in task_results(result) if name.endswith("Check the JMX settings")]
    assert checks, result.stdout[-2000:]
    assert not checks[0].get("failed"), checks[0].get("msg")
