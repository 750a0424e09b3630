"""The apps' .env values and API token hashes (plugins/filter/kraft_apps.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError
from dotenv import dotenv_values

REPO = Path(__file__).resolve().parents[3]
_spec = importlib.util.spec_from_file_location("kraft_apps", REPO / "plugins" / "filter" / "kraft_apps.py")
kraft_apps = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(kraft_apps)
if str(REPO / "apps") not in sys.path:
    sys.path.insert(0, str(REPO / "apps"))

from kafkaops_apps.auth import parse_token_hash  # noqa: E402
from kafkaops_apps.settings import load_settings  # noqa: E402

NASTY = "x${HOME}y $PATH 'single' \"double\" # not a comment \\ \\n \\\\ \\' back\nnew line\r\tä € 😀 end"
TOKEN = "operator-token-0123456789abcdef"  # noqa: S105 - test token


@pytest.mark.parametrize(
    "value",
    [NASTY, "${HOME}", "a#b", "#", "'", '"', "\\", "\\'", '\\"', "\n", "ä€😀", "", "plain", "=", "  inner  space  "],
)
def test_values_round_trip_through_python_dotenv(tmp_path, value):
    path = tmp_path / ".env"
    path.write_text(f"SECRET={kraft_apps.kraft_dotenv_value(value)}\nAFTER=next\n", encoding="utf-8")
    assert dotenv_values(path, interpolate=False) == {"SECRET": value, "AFTER": "next"}


def test_the_apps_read_a_rendered_password_back_unchanged(tmp_path, monkeypatch):
    for name in ("KAFKA_SASL_PASSWORD", "KAFKA_SASL_USERNAME", "KAFKA_SECURITY_PROTOCOL", "KAFKA_BOOTSTRAP_SERVERS"):
        monkeypatch.delenv(name, raising=False)
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": "k1:9092",
        "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
        "KAFKA_SASL_USERNAME": "app",
        "KAFKA_SASL_PASSWORD": NASTY,
    }
    path = tmp_path / "app.env"
    lines = (f"{name}={kraft_apps.kraft_dotenv_value(value)}\n" for name, value in env.items())
    path.write_text("".join(lines), encoding="utf-8")
    assert load_settings(path).sasl_password == NASTY


def test_scalars_render_as_the_settings_expect():
    assert kraft_apps.kraft_dotenv_value(True) == '"true"'
    assert kraft_apps.kraft_dotenv_value(5) == '"5"'
    assert kraft_apps.kraft_dotenv_value(None) == '""'


def test_token_hashes_verify_in_the_apps_and_are_stable_per_host_and_app():
    first = kraft_apps._token_hash(TOKEN, "apps-1|kafkaops-producer", 1000)
    assert parse_token_hash(first).matches(TOKEN)
    assert kraft_apps._token_hash(TOKEN, "apps-1|kafkaops-producer", 1000) == first  # idempotent plays
    other = kraft_apps._token_hash(TOKEN, "apps-2|kafkaops-producer", 1000)
    assert other.split("$")[2] != first.split("$")[2]  # another host, another salt
    both = kraft_apps.kraft_token_hashes([TOKEN, TOKEN + "-next"], "apps-1|kafkaops-producer", 1000)
    assert len({h.split("$")[2] for h in both}) == 2
    assert parse_token_hash(kraft_apps._token_hash(TOKEN, "seed")).iterations == 600_000


@pytest.mark.parametrize("token", ["tiny-tok", " padded-token-0123456789 ", "comma,token-0123456789", None])
def test_unusable_tokens_are_refused_without_echo(token):
    with pytest.raises(AnsibleFilterError) as exc:
        kraft_apps._token_hash(token, "seed")
    assert token is None or token.strip() not in str(exc.value)


def test_instance_ports_count_up_from_the_base():
    assert kraft_apps.kraft_instance_ports(8002, 2) == [8002, 8003]
    assert kraft_apps.kraft_instance_ports("8002", "1") == [8002]


@pytest.mark.parametrize(("base", "instances"), [(8002, 0), (65535, 2), (0, 1), ("x", 1)])
def test_instance_ports_that_cannot_exist_are_refused(base, instances):
    with pytest.raises(AnsibleFilterError):
        kraft_apps.kraft_instance_ports(base, instances)


def test_the_consumer_role_and_the_monitoring_use_the_same_port_rule():
    role = (Path(__file__).resolve().parents[3] / "roles/fastapi_consumer/tasks/main.yml").read_text()
    assert "kraft_instance_ports(fastapi_consumer_instances)" in role
    assert "range(" not in role
