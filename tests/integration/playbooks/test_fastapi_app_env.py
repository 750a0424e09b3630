"""The fastapi_app role's .env file reads back, through the apps' own load_settings, exactly as set.

Only configure.yml of the role runs, on localhost with a local connection, writing into
tmp_path (no ports: the restart handler has nothing to restart).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support.playbook import json_report, run_playbook

REPO = Path(__file__).resolve().parents[3]
if str(REPO / "apps") not in sys.path:
    sys.path.insert(0, str(REPO / "apps"))

from kafkaops_apps.settings import load_settings  # noqa: E402

pytestmark = pytest.mark.integration

PASSWORD = "x${HOME}y $PATH 'single' \"double\" # hash \\ back\\slash \\n\nnew line ä € 😀 end"  # noqa: S105
TOKEN = "role-token-0123456789abcdef"  # noqa: S105 - test token


def run_role_tasks(tmp_path: Path, tasks_from: str, extra: dict) -> subprocess.CompletedProcess:
    variables = {
        "ansible_python_interpreter": "{{ ansible_playbook_python }}",
        "fastapi_app_name": "kafkaops-test",
        "fastapi_app_config_dir": str(tmp_path),
        "fastapi_app_user": "root",
        "fastapi_app_ports": [],
        "fastapi_app_env": {"KAFKA_BOOTSTRAP_SERVERS": "k1:9092", "KAFKA_TOPIC": "test-topic"},
        "fastapi_app_security_protocol": "SASL_PLAINTEXT",
        "fastapi_app_sasl_mechanism": "SCRAM-SHA-512",
        "fastapi_app_sasl_username": "apps",
        "fastapi_app_sasl_password": PASSWORD,
        **extra,
    }
    playbook = [
        {
            "hosts": "localhost",
            "gather_facts": False,
            "vars": variables,
            "tasks": [
                {
                    "name": "Settings of fastapi_app",
                    "ansible.builtin.include_role": {"name": "kafkaops.kraft.fastapi_app", "tasks_from": tasks_from},
                }
            ],
        }
    ]
    path = tmp_path / "play.yml"
    path.write_text(yaml.safe_dump(playbook, allow_unicode=True), encoding="utf-8")
    return run_playbook(path, "-i", "localhost,", "-c", "local", json_output=True)


def render_env(tmp_path: Path, extra: dict) -> tuple[Path, subprocess.CompletedProcess]:
    result = run_role_tasks(tmp_path, "configure.yml", extra)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return tmp_path / "kafkaops-test.env", result


def template_changed(result: subprocess.CompletedProcess) -> bool:
    report = json_report(result)
    for play in report["plays"]:
        for task in play["tasks"]:
            if task["task"]["name"].endswith("Template the .env file"):
                return any(res.get("changed") for res in task["hosts"].values())
    raise AssertionError("no template task in the run")


def test_every_character_of_a_secret_survives_the_env_file(tmp_path):
    path, _result = render_env(tmp_path, {})
    settings = load_settings(path)
    assert settings.sasl_password == PASSWORD
    assert settings.host == "0.0.0.0"  # noqa: S104 - the default without a proxy
    assert settings.api_auth is False


def test_tokens_are_hashed_on_the_controller_and_the_play_stays_idempotent(tmp_path):
    extra = {"fastapi_app_api_auth": True, "fastapi_app_api_tokens": [TOKEN], "fastapi_app_behind_proxy": True}
    path, _result = render_env(tmp_path, extra)
    text = path.read_text(encoding="utf-8")
    assert TOKEN not in text and "pbkdf2_sha256$600000$" in text
    settings = load_settings(path)
    assert settings.api_auth and settings.api_token_hashes[0].matches(TOKEN)
    assert settings.host == "127.0.0.1"
    _path, again = render_env(tmp_path, extra)
    assert not template_changed(again)


def test_the_inventory_placeholder_stops_the_play_before_anything_is_installed(tmp_path):
    placeholder = "CHANGE-ME: set vault_kafkaops_producer_api_token"
    extra = {"fastapi_app_ports": [8001], "fastapi_app_api_auth": True, "fastapi_app_api_tokens": [placeholder]}
    result = run_role_tasks(tmp_path, "preflight.yml", extra)
    assert result.returncode != 0
    assert "still the inventory's CHANGE-ME placeholder" in result.stdout
    assert placeholder not in result.stdout  # the message never carries a token
