"""Inventories that the rendering tests run the kafka_kraft templates on.

They mirror the deployments the project tests: the single-node inventory of
tests/support/inventory.py, the Molecule scenarios (three combined nodes plus an
apps host, two nodes on one VM, everything secured, a dynamic quorum with
dedicated controllers) and a PLAIN client listener with a separate
inter-broker listener.
"""

from __future__ import annotations

COMBINED = ["kafka", "kafka_controllers", "kafka_brokers"]
FACTS = {
    "k1": "10.0.0.11",
    "k2": "10.0.0.12",
    "k3": "10.0.0.13",
    "k4": "10.0.0.14",
    "k5": "10.0.0.15",
    "apps1": "10.0.0.21",
    "vm1": "10.0.0.31",
}


def _inventory(hosts: dict, groups: dict, group_vars: dict | None = None) -> dict:
    own = {
        name: {"ansible_facts": {"all_ipv4_addresses": [FACTS[name]]}, "ansible_host": FACTS[name], **spec}
        for name, spec in hosts.items()
    }
    return {"hosts": own, "groups": groups, "vars": group_vars or {}}


def _three(group_vars: dict | None = None, apps: bool = True) -> dict:
    hosts = {f"k{i}": {"kafka_kraft_node_id": i} for i in (1, 2, 3)}
    groups = {g: ["k1", "k2", "k3"] for g in COMBINED}
    if apps:
        hosts["apps1"] = {}
        groups["kafka_apps"] = ["apps1"]
    return _inventory(hosts, groups, group_vars)


SECURE = {
    "kafka_kraft_tls_enabled": True,
    "kafka_kraft_tls_keystore_password": "ks-Secret-1",
    "kafka_kraft_tls_truststore_password": "ts-Secret-2",
    "kafka_kraft_sasl_enabled": True,
    "kafka_kraft_sasl_mechanisms": ["SCRAM-SHA-512"],
    "kafka_kraft_sasl_inter_broker_password": "broker-Secret-7f3a",
    "kafka_kraft_sasl_users": [{"name": "admin", "password": "admin-Secret-91c2"}],
    "kafka_kraft_authorizer_enabled": True,
    "kafka_topic_sasl_username": "admin",
    "kafka_kraft_jmx_enabled": True,
    "kafka_kraft_jmx_exporter_enabled": True,
    "kafka_kraft_firewall_enabled": True,
    "kafka_kraft_firewall_client_cidrs": ["198.18.0.0/16"],
    "kafka_kraft_firewall_app_cidrs": ["198.18.0.0/16"],
    "kafka_kraft_firewall_metrics_cidrs": ["198.18.0.0/16", "2001:db8::/32"],
}

PLAIN_INTERNAL = {
    "kafka_kraft_sasl_enabled": True,
    "kafka_kraft_sasl_mechanisms": ["PLAIN", "SCRAM-SHA-256"],
    "kafka_kraft_sasl_inter_broker_mechanism": "SCRAM-SHA-256",
    "kafka_kraft_client_protocol": "SASL_PLAINTEXT",
    "kafka_kraft_inter_broker_protocol": "SASL_PLAINTEXT",
    "kafka_kraft_sasl_inter_broker_password": "broker-pw",
    "kafka_kraft_sasl_users": [{"name": "alice", "password": "alice-pw"}, {"name": "bob", "password": "bob-pw"}],
    "kafka_kraft_custom_properties": {"ssl.truststore.password": "custom-pw", "num.partitions": 3},
}

SEPARATE_INTER_BROKER = {
    "kafka_kraft_sasl_enabled": True,
    "kafka_kraft_sasl_mechanisms": ["PLAIN"],
    "kafka_kraft_client_protocol": "SASL_PLAINTEXT",
    "kafka_kraft_inter_broker_protocol": "PLAINTEXT",
    "kafka_kraft_sasl_inter_broker_password": "broker-pw",
    "kafka_kraft_firewall_ssh_cidrs": ["10.1.0.0/16", "fd00::/8"],
}

# What the role's tasks settle before server.properties renders: authorizer.yml
# whether the authorizer still allows everyone, quorum.yml (a dynamic quorum)
# the initial controllers and the servers to bootstrap from.
SETTLED = {"_kafka_kraft_authorizer_open": False}

# name -> (inventory, facts as the tasks set them)
SCENARIOS = {
    "single_node": (
        _inventory({"k1": {"kafka_kraft_node_id": 1}}, {g: ["k1"] for g in COMBINED}),
        SETTLED,
    ),
    "default": (_three({"kafka_kraft_custom_properties": {"log.retention.hours": 24}}), SETTLED),
    "single_vm": (
        _inventory({"vm1": {"kafka_kraft_nodes": [{"id": 1}, {"id": 2}]}}, {g: ["vm1"] for g in COMBINED}),
        SETTLED,
    ),
    "secure": (_three(SECURE), {**SETTLED, "_kafka_kraft_authorizer_open": True}),
    "secure_enforced": (
        _three(
            {
                **SECURE,
                "kafka_kraft_controller_protocol": "PLAINTEXT",
                "kafka_kraft_authorizer_allow_anonymous_nodes": True,
            }
        ),
        SETTLED,
    ),
    "plain_internal": (_three(PLAIN_INTERNAL, apps=False), SETTLED),
    "separate_inter_broker": (_three(SEPARATE_INTER_BROKER), SETTLED),
    "dynamic_dedicated": (
        _inventory(
            {
                "k1": {"kafka_kraft_node_id": 1},
                "k2": {"kafka_kraft_node_id": 2},
                "k3": {"kafka_kraft_node_id": 3},
                "k4": {"kafka_kraft_node_id": 4, "kafka_kraft_advertised_host": "broker4.example"},
                "k5": {"kafka_kraft_nodes": [{"id": 5, "roles": ["broker"]}, {"id": 6, "roles": ["broker"]}]},
            },
            {
                "kafka": ["k1", "k2", "k3", "k4", "k5"],
                "kafka_controllers": ["k1", "k2", "k3"],
                "kafka_brokers": ["k4", "k5"],
                "kafka_apps": ["k4"],
            },
            {
                "kafka_kraft_quorum_mode": "dynamic",
                "kafka_kraft_firewall_cluster_addresses": ["10.0.0.0/24"],
                "kafka_kraft_jmx_exporter_enabled": True,
            },
        ),
        {
            **SETTLED,
            "_kafka_kraft_initial_controllers": "1@k1:10092:AAAA,2@k2:10092:BBBB,3@k3:10092:CCCC",
            "_kafka_kraft_quorum_bootstrap": "k1:10092,k2:10092,k3:10092",
        },
    ),
}
