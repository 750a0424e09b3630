"""server.properties settings of a node (plugins/filter/kraft_server.py)."""

import sys
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

COLLECTIONS = Path(__file__).resolve().parents[3] / "build" / "collections"
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))

from ansible_collections.kafkaops.kraft.plugins.filter.kraft_server import kraft_server_properties  # noqa: E402


def node(broker=True, controller=True):
    roles = [r for r, on in (("broker", broker), ("controller", controller)) if on]
    return {
        "id": 1,
        "host": "k1",
        "roles": roles,
        "broker": broker,
        "controller": controller,
        "client_port": 9092,
        "controller_port": 10092,
        "listen_address": "0.0.0.0",  # noqa: S104 - a value under test, nothing binds
        "advertised_host": "k1.example",
        "log_dir": "/var/kafka/logs",
        "name": "node1",
    }


PLAIN = {
    "client_protocol": "PLAINTEXT",
    "inter_broker_protocol": "PLAINTEXT",
    "controller_protocol": "PLAINTEXT",
    "internal_port_offset": 100,
    "quorum": {"controller.quorum.voters": "1@k1.example:10092"},
}


def test_combined_node_listens_and_advertises_both_listeners():
    props = kraft_server_properties(node(), PLAIN)
    assert props["listeners"] == "PLAINTEXT://0.0.0.0:9092,CONTROLLER://0.0.0.0:10092"
    assert props["advertised.listeners"] == "PLAINTEXT://k1.example:9092,CONTROLLER://k1.example:10092"
    assert props["listener.security.protocol.map"] == "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"
    assert props["inter.broker.listener.name"] == "PLAINTEXT"
    assert props["process.roles"] == "broker,controller"
    assert props["controller.quorum.voters"] == "1@k1.example:10092"


CLUSTER = {
    "num.partitions": 6,
    "default.replication.factor": 3,
    "min.insync.replicas": 2,
    "offsets.topic.replication.factor": 3,
    "log.retention.hours": 168,
}


def test_controller_only_has_no_broker_settings():
    props = kraft_server_properties(node(broker=False), {**PLAIN, "cluster_properties": CLUSTER})
    assert props["listeners"] == "CONTROLLER://0.0.0.0:10092"
    assert "inter.broker.listener.name" not in props
    assert "offsets.topic.replication.factor" not in props
    assert "log.retention.hours" not in props


def test_controller_only_gets_the_topic_defaults_the_active_controller_applies():
    # A topic created with replication factor -1 while a dedicated controller
    # leads the quorum takes that controller's default.replication.factor.
    props = kraft_server_properties(node(broker=False), {**PLAIN, "cluster_properties": CLUSTER})
    assert props["num.partitions"] == 6
    assert props["default.replication.factor"] == 3
    assert props["min.insync.replicas"] == 2
    custom = {**PLAIN, "cluster_properties": CLUSTER, "custom_properties": {"default.replication.factor": 2}}
    assert kraft_server_properties(node(broker=False), custom)["default.replication.factor"] == 2


def test_broker_gets_every_cluster_property():
    props = kraft_server_properties(node(controller=False), {**PLAIN, "cluster_properties": CLUSTER})
    assert {key: props[key] for key in CLUSTER} == CLUSTER


def test_a_different_inter_broker_protocol_opens_an_internal_listener():
    settings = {**PLAIN, "client_protocol": "SASL_SSL", "inter_broker_protocol": "SSL", "controller_protocol": "SSL"}
    props = kraft_server_properties(node(controller=False), settings)
    assert props["listeners"] == "SASL_SSL://0.0.0.0:9092,INTERNAL://0.0.0.0:9192"
    assert props["listener.security.protocol.map"] == "CONTROLLER:SSL,SASL_SSL:SASL_SSL,INTERNAL:SSL"
    assert props["inter.broker.listener.name"] == "INTERNAL"


SASL = {
    "mechanisms": ["PLAIN", "SCRAM-SHA-512"],
    "inter_broker_mechanism": "SCRAM-SHA-512",
    "inter_broker_user": "kafka-broker",
    "inter_broker_password": "pw",
    "users": [{"name": "alice", "password": "a"}],
}


def test_sasl_writes_one_jaas_line_per_listener_and_mechanism():
    settings = {**PLAIN, "client_protocol": "SASL_PLAINTEXT", "inter_broker_protocol": "SASL_PLAINTEXT", "sasl": SASL}
    props = kraft_server_properties(node(), settings)
    assert props["sasl.enabled.mechanisms"] == "PLAIN,SCRAM-SHA-512"
    assert props["sasl.mechanism.inter.broker.protocol"] == "SCRAM-SHA-512"
    assert props["listener.name.sasl_plaintext.plain.sasl.jaas.config"] == (
        "org.apache.kafka.common.security.plain.PlainLoginModule required "
        'username="kafka-broker" password="pw" user_kafka-broker="pw" user_alice="a";'
    )
    assert props["listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config"] == (
        'org.apache.kafka.common.security.scram.ScramLoginModule required username="kafka-broker" password="pw";'
    )


def test_sasl_only_on_the_client_listener_leaves_inter_broker_mechanism_unset():
    settings = {**PLAIN, "client_protocol": "SASL_PLAINTEXT", "sasl": {**SASL, "mechanisms": ["PLAIN"]}}
    props = kraft_server_properties(node(), settings)
    assert "sasl.mechanism.inter.broker.protocol" not in props
    assert [k for k in props if k.endswith("jaas.config")] == ["listener.name.sasl_plaintext.plain.sasl.jaas.config"]


def test_tls_settings_and_the_controller_listener_client_auth():
    tls = {
        "keystore": "/k.p12",
        "keystore_password": "kp",
        "truststore": "/t.p12",
        "truststore_password": "tp",
        "client_auth": "none",
        "controller_client_auth": "required",
    }
    props = kraft_server_properties(node(), {**PLAIN, "controller_protocol": "SSL", "tls": tls})
    assert props["ssl.keystore.password"] == props["ssl.key.password"] == "kp"
    assert props["listener.name.controller.ssl.client.auth"] == "required"
    props = kraft_server_properties(node(), {**PLAIN, "client_protocol": "SSL", "tls": tls})
    assert "listener.name.controller.ssl.client.auth" not in props


def test_later_sources_win_custom_last():
    settings = {
        **PLAIN,
        "cluster_properties": {"num.partitions": 6, "log.dirs": "/ignored"},
        "authorizer_properties": {"super.users": "User:a"},
        "custom_properties": {"num.partitions": 3, "super.users": "User:b"},
    }
    props = kraft_server_properties(node(), settings)
    assert (props["num.partitions"], props["super.users"], props["log.dirs"]) == (3, "User:b", "/var/kafka/logs")


def test_missing_settings_are_named():
    with pytest.raises(AnsibleFilterError, match="settings lack controller_protocol, quorum"):
        kraft_server_properties(node(), {"client_protocol": "PLAINTEXT", "inter_broker_protocol": "PLAINTEXT"})
