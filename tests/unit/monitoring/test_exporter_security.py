"""The JMX exporter's httpServer settings (kraft_jmx_exporter_http) and how kafka_kraft renders them.

HTTPS from the node keystore when TLS is on, basic auth against a salted
PBKDF2 hash (never the password) when a password is set, and a refusal when
the cluster's security is on without one. tests/integration/playbooks/
test_jmx_exporter_security.py runs the rendered file in a real broker.
"""

from __future__ import annotations

import hashlib

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from tests.support.ansible_templates import host_variables, render
from tests.support.kraft_scenarios import SCENARIOS

PASSWORD = "scrape-Secret-5c1d"  # noqa: S105 - test password
TLS = {"tls": True, "keystore": "/etc/kafka/tls/keystore.p12", "keystore_password": "store-pass", "alias": "kafka1"}


def http(settings):
    from ansible_collections.kafkaops.kraft.plugins.filter.kraft_monitoring import kraft_jmx_exporter_http

    return kraft_jmx_exporter_http(settings)


def basic(password=PASSWORD, seed="kafka1", **extra):
    return {"username": "prometheus", "password": password, "salt_seed": seed, "iterations": 1000, **extra}


def test_plain_http_without_security():
    assert http({"tls": False, "password": ""}) == {}


def test_tls_serves_https_from_the_node_keystore():
    assert http(TLS) == {
        "ssl": {
            "keyStore": {"filename": "/etc/kafka/tls/keystore.p12", "password": "store-pass"},
            "certificate": {"alias": "kafka1"},
        }
    }


def test_basic_auth_holds_a_salted_pbkdf2_hash_the_exporter_can_check():
    found = http(basic())["authentication"]["basic"]
    assert found["algorithm"] == "PBKDF2WithHmacSHA256"
    assert found["iterations"] == 1000 and found["keyLength"] == 32
    # jmx_exporter: PBEKeySpec(password, salt as UTF-8, iterations, keyLength * 8), lower-case hex.
    expected = hashlib.pbkdf2_hmac("sha256", PASSWORD.encode(), found["salt"].encode(), 1000, 32).hex()
    assert found["passwordHash"] == expected
    assert PASSWORD not in str(found)


def test_the_salt_is_stable_per_host_and_differs_between_hosts():
    one, again, other = (http(basic(seed=s))["authentication"]["basic"] for s in ("kafka1", "kafka1", "kafka2"))
    assert one == again
    assert one["salt"] != other["salt"] and one["passwordHash"] != other["passwordHash"]


@pytest.mark.parametrize("password", ["", "CHANGE-ME: set vault_kafkaops_scrape_password"])
def test_security_on_without_a_password_is_refused_without_echoing_it(password):
    with pytest.raises(AnsibleFilterError, match="set kafka_kraft_jmx_exporter_password") as error:
        http({**TLS, "required": True, "password": password})
    assert "vault_kafkaops_scrape_password" not in str(error.value)


def test_https_needs_the_keystore():
    with pytest.raises(AnsibleFilterError, match="keystore_password"):
        http({**TLS, "keystore_password": ""})


def _exporter_file(extra):
    inventory, scenario = SCENARIOS["single_node"]
    values = host_variables(inventory, "k1", {**scenario, "kafka_kraft_jmx_exporter_enabled": True, **extra})
    return render("jmx-exporter.yml.j2", values)


def test_kafka_kraft_renders_https_and_basic_auth_when_tls_and_a_password_are_set():
    text = _exporter_file(
        {
            "kafka_kraft_tls_enabled": True,
            "kafka_kraft_tls_keystore_password": "store-pass-1234",
            "kafka_kraft_jmx_exporter_password": PASSWORD,
        }
    )
    loaded = yaml.safe_load(text)
    assert loaded["rules"], "the KRaft rules stay"
    server = loaded["httpServer"]
    assert server["ssl"]["keyStore"] == {"filename": "/etc/kafka/tls/keystore.p12", "password": "store-pass-1234"}
    assert server["ssl"]["certificate"]["alias"] == "k1"
    assert server["authentication"]["basic"]["username"] == "prometheus"
    assert PASSWORD not in text


def test_kafka_kraft_keeps_plain_http_when_security_is_off():
    assert "httpServer" not in yaml.safe_load(_exporter_file({}))


def test_kafka_kraft_refuses_tls_without_a_scrape_password():
    with pytest.raises(Exception, match="set kafka_kraft_jmx_exporter_password"):
        _exporter_file({"kafka_kraft_tls_enabled": True, "kafka_kraft_tls_keystore_password": "store-pass-1234"})


def test_only_the_chosen_request_time_histograms_are_queried_and_rule_matches_are_cached():
    loaded = yaml.safe_load(_exporter_file({}))
    requests = [name for name in loaded["includeObjectNames"] if "RequestMetrics" in name]
    assert requests == [
        "kafka.network:type=RequestMetrics,name=RequestsPerSec,*",
        "kafka.network:type=RequestMetrics,name=ErrorsPerSec,*",
        "kafka.network:type=RequestMetrics,name=TotalTimeMs,*",
    ]
    # Every rule matches on bean and attribute names, never on a value: caching is safe.
    assert all(rule["cache"] is True and "value" not in rule for rule in loaded["rules"])

    chosen = {"kafka_kraft_jmx_exporter_request_time_metrics": ["TotalTimeMs", "LocalTimeMs"]}
    more = yaml.safe_load(_exporter_file(chosen))
    assert "kafka.network:type=RequestMetrics,name=LocalTimeMs,*" in more["includeObjectNames"]
