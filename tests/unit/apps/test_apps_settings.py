"""Settings: defaults, overrides, and one-line errors naming the bad setting."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from kafkaops_apps.settings import SettingsError, load_settings, parse_settings

BASE = {"KAFKA_BOOTSTRAP_SERVERS": "k1:9092,k2:9093"}


def test_defaults_follow_the_seed():
    s = parse_settings(BASE)
    assert s.bootstrap_servers == ("k1:9092", "k2:9093")
    assert (s.topic, s.group_id, s.buffer_size) == ("test-topic", "test-group", 10)
    assert (s.producer_port, s.consumer_port, s.max_body_bytes) == (8001, 8002, 1048576)
    assert s.access_log is False
    assert parse_settings({**BASE, "ACCESS_LOG": "true"}).access_log is True
    assert (s.linger_ms, s.telemetry) == (0, False)
    assert parse_settings({**BASE, "FASTAPI_TELEMETRY": "yes"}).telemetry is True


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({}, "KAFKA_BOOTSTRAP_SERVERS"),
        ({"KAFKA_BOOTSTRAP_SERVERS": "k1"}, "KAFKA_BOOTSTRAP_SERVERS"),
        ({"KAFKA_BOOTSTRAP_SERVERS": "k1:99999"}, "KAFKA_BOOTSTRAP_SERVERS"),
        ({**BASE, "KAFKA_TOPIC": "bad topic"}, "KAFKA_TOPIC"),
        ({**BASE, "BUFFER_SIZE": "ten"}, "BUFFER_SIZE"),
        ({**BASE, "BUFFER_SIZE": "0"}, "BUFFER_SIZE"),
        ({**BASE, "KAFKA_SEND_TIMEOUT_S": "-1"}, "KAFKA_SEND_TIMEOUT_S"),
        ({**BASE, "KAFKA_SECURITY_PROTOCOL": "TLS"}, "KAFKA_SECURITY_PROTOCOL"),
        ({**BASE, "KAFKA_SECURITY_PROTOCOL": "SASL_SSL"}, "KAFKA_SASL_USERNAME"),
        ({**BASE, "KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "KAFKA_SASL_USERNAME": "u"}, "KAFKA_SASL_PASSWORD"),
        ({**BASE, "KAFKA_SASL_MECHANISM": "GSSAPI"}, "KAFKA_SASL_MECHANISM"),
        ({**BASE, "KAFKA_SSL_CAFILE": "/nonexistent/ca.pem"}, "KAFKA_SSL_CAFILE"),
        ({**BASE, "ACCESS_LOG": "maybe"}, "ACCESS_LOG"),
        ({**BASE, "FASTAPI_TELEMETRY": "2"}, "FASTAPI_TELEMETRY"),
    ],
)
def test_invalid_setting_is_named(env, name):
    with pytest.raises(SettingsError) as err:
        parse_settings(env)
    assert err.value.name == name
    assert name in str(err.value) and "\n" not in str(err.value)


def test_secrets_stay_out_of_repr():
    s = parse_settings(
        {
            **BASE,
            "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "KAFKA_SASL_USERNAME": "u",
            "KAFKA_SASL_PASSWORD": "hunter2",
        }
    )
    assert s.sasl_mechanism == "PLAIN"
    assert "hunter2" not in repr(s)


def test_environment_overrides_env_file(tmp_path, monkeypatch):
    env_file = tmp_path / ".env"
    env_file.write_text("KAFKA_BOOTSTRAP_SERVERS=file:9092\nKAFKA_TOPIC=from-file\nBUFFER_SIZE=5\n")
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.setenv("KAFKA_TOPIC", "from-env")
    s = load_settings(env_file)
    assert (s.bootstrap_servers, s.topic, s.buffer_size) == (("file:9092",), "from-env", 5)


def test_bad_setting_fails_at_start_with_one_line(tmp_path):
    apps = Path(__file__).resolve().parents[3] / "apps"
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(apps), "BUFFER_SIZE": "lots", "KAFKA_BOOTSTRAP_SERVERS": "k:1"}
    run = subprocess.run(
        [sys.executable, "-m", "kafkaops_apps.consumer"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode != 0
    assert run.stderr.strip() == "kafkaops: invalid setting BUFFER_SIZE: 'lots' is not a number"
