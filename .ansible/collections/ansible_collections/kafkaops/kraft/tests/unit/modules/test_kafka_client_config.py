# ruff: noqa: S106 - fake credentials are the point of these tests
"""Connection option validation and translation in module_utils/kafka_client.py."""

from __future__ import annotations

import pytest
from ansible_collections.kafkaops.kraft.plugins.module_utils.kafka_client import (
    KAFKA_CONNECTION_SPEC,
    client_config,
    connection_errors,
)


def params(**kw):
    base = {k: v.get("default") for k, v in KAFKA_CONNECTION_SPEC.items()}
    base.update(kw)
    return base


def test_defaults_are_valid_plaintext():
    assert connection_errors(params()) == []
    config = client_config(params())
    assert config["bootstrap_servers"] == ["localhost:9092"]
    assert config["security_protocol"] == "PLAINTEXT"
    assert config["bootstrap_timeout_ms"] == 10000
    assert "sasl_plain_password" not in config and "ssl_cafile" not in config


def test_secrets_are_no_log():
    assert KAFKA_CONNECTION_SPEC["sasl_password"]["no_log"] is True
    assert KAFKA_CONNECTION_SPEC["ssl_key_password"]["no_log"] is True


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_sasl_ssl(mechanism):
    p = params(
        bootstrap_servers=["b1:9093", "b2:9093"],
        security_protocol="SASL_SSL",
        sasl_mechanism=mechanism,
        sasl_username="admin",
        sasl_password="pw",
        ssl_cafile="/ca.pem",
        request_timeout_ms=5000,
        connect_timeout_ms=3000,
    )
    assert connection_errors(p) == []
    config = client_config(p)
    assert config["sasl_mechanism"] == mechanism
    assert (config["sasl_plain_username"], config["sasl_plain_password"]) == ("admin", "pw")
    assert config["ssl_cafile"] == "/ca.pem" and config["ssl_check_hostname"] is True
    assert (config["request_timeout_ms"], config["bootstrap_timeout_ms"]) == (5000, 3000)


def test_ssl_client_certificate():
    p = params(security_protocol="SSL", ssl_certfile="/c.pem", ssl_keyfile="/k.pem", ssl_key_password="x")
    assert connection_errors(p) == []
    config = client_config(p)
    assert (config["ssl_certfile"], config["ssl_keyfile"], config["ssl_password"]) == ("/c.pem", "/k.pem", "x")
    assert "sasl_mechanism" not in config


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        (dict(bootstrap_servers=[]), "at least one"),
        (dict(bootstrap_servers=["nohostport"]), "is not host:port"),
        (dict(bootstrap_servers=["h:99999"]), "is not host:port"),
        (dict(security_protocol="SASL_PLAINTEXT", sasl_username="u", sasl_password="p"), "needs sasl_mechanism"),
        (dict(security_protocol="SASL_SSL", sasl_mechanism="PLAIN"), "needs sasl_username and sasl_password"),
        (dict(sasl_mechanism="PLAIN"), "only used with SASL"),
        (dict(ssl_cafile="/ca.pem"), "ssl_cafile is only used with SSL"),
        (dict(security_protocol="SSL", ssl_keyfile="/k.pem"), "ssl_keyfile needs ssl_certfile"),
        (dict(connect_timeout_ms=0), "connect_timeout_ms must be positive"),
    ],
)
def test_connection_errors(kw, message):
    errors = connection_errors(params(**kw))
    assert any(message in e for e in errors), errors
