"""SASL helpers of the kafka_kraft role (plugins/filter/kraft_security.py)."""

import base64
import hashlib
import importlib.util
import re
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

_spec = importlib.util.spec_from_file_location(
    "kraft_security", Path(__file__).resolve().parents[3] / "plugins" / "filter" / "kraft_security.py"
)
sec = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sec)


def test_plain_user_entry():
    assert sec._plain_user({"name": "alice", "password": "s3cr=t"}) == ' user_alice="s3cr=t"'


@pytest.mark.parametrize("password", ['a"b', "a\\b", "a\nb", ""])
def test_unsafe_passwords_are_refused_without_echo(password):
    with pytest.raises(AnsibleFilterError) as err:
        sec._plain_user({"name": "alice", "password": password})
    assert password not in str(err.value) or password == ""


def test_scram_credential_carries_salted_password_only():
    value = sec.kraft_scram_credential({"name": "broker", "password": "pw-123456"}, "SCRAM-SHA-512", 4096)
    assert "pw-123456" not in value
    match = re.fullmatch(
        r'SCRAM-SHA-512=\[name=broker,iterations=4096,salt="([^"]+)",saltedpassword="([^"]+)"\]', value
    )
    assert match
    salt, salted = (base64.b64decode(g) for g in match.groups())
    assert salted == hashlib.pbkdf2_hmac("sha512", b"pw-123456", salt, 4096)


def test_scram_rejects_plain_mechanism():
    with pytest.raises(AnsibleFilterError):
        sec.kraft_scram_credential({"name": "a", "password": "b"}, "PLAIN")


def test_problems_name_users_not_passwords():
    problems = sec.kraft_sasl_problems([{"name": "a", "password": "x"}, {"name": "a", "password": 'y"z'}])
    assert any("listed" in p or "quote" in p for p in problems)
    assert not any('y"z' in p for p in problems)
    assert sec.kraft_sasl_problems([{"name": "a", "password": "x"}, {"name": "b", "password": "y"}]) == []


def test_secret_settings_become_references():
    parts = sec.kraft_split_secrets(
        {
            "ssl.keystore.password": "k",
            "ssl.keystore.location": "/etc/kafka/tls/keystore.p12",
            "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config": 'x password="pw-Secret";',
            "password.encoder.secret": "e",
            "log.dirs": "/var/kafka/logs",
        },
        "/etc/kafka/node1/secrets.properties",
    )
    public, secret = parts["public"], parts["secret"]
    assert secret == {
        "ssl.keystore.password": "k",
        "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config": 'x password="pw-Secret";',
        "password.encoder.secret": "e",
    }
    assert public["ssl.keystore.password"] == "${kafkaops:/etc/kafka/node1/secrets.properties:ssl.keystore.password}"
    assert public["ssl.keystore.location"] == "/etc/kafka/tls/keystore.p12"
    assert public["config.providers"] == "kafkaops"
    assert public["config.providers.kafkaops.class"].endswith("FileConfigProvider")
    assert "pw-Secret" not in "".join(str(v) for v in public.values())


def test_without_secrets_nothing_is_added():
    assert sec.kraft_split_secrets({"log.dirs": "/d"}, "/s") == {"public": {"log.dirs": "/d"}, "secret": {}}


def test_a_users_own_provider_and_references_are_kept():
    parts = sec.kraft_split_secrets(
        {"config.providers": "vault", "ssl.key.password": "${vault:path:key}", "ssl.truststore.password": "t"}, "/s"
    )
    assert parts["public"]["config.providers"] == "vault,kafkaops"
    assert parts["public"]["ssl.key.password"] == "${vault:path:key}"
    assert parts["secret"] == {"ssl.truststore.password": "t"}


def test_java_argfile_quotes_each_argument():
    text = sec.kraft_java_argfile(["kafka.tools.StorageTool", "--add-scram", 'SCRAM-SHA-512=[salt="a b"]'])
    assert text == "'kafka.tools.StorageTool'\n'--add-scram'\n'SCRAM-SHA-512=[salt=\"a b\"]'\n"


@pytest.mark.parametrize("arg", ["it's", "a\nb", "a\\b"])
def test_java_argfile_refuses_what_it_cannot_quote(arg):
    with pytest.raises(AnsibleFilterError):
        sec.kraft_java_argfile([arg])
