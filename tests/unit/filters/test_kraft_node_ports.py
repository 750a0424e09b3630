"""Each node's derived ports (INTERNAL, JMX, JMX exporter) come from kraft_nodes, and every filter uses them.

The rules live in plugins/filter/kraft.py only: the INTERNAL listener is the
client port + kafka_kraft_internal_port_offset; JMX and the exporter are the
host's base + the node's index among the host's nodes ordered by id (what the
role's templates computed in Jinja before).
"""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.kafkaops.kraft.plugins.filter import kraft, kraft_firewall, kraft_network, kraft_server
from ansible_collections.kafkaops.kraft.plugins.filter.kraft_monitoring import kraft_jmx_targets

BOTH = ["kafka", "kafka_controllers", "kafka_brokers"]
PLAIN = {
    "client_protocol": "SASL_PLAINTEXT",
    "inter_broker_protocol": "PLAINTEXT",
    "controller_protocol": "PLAINTEXT",
    "quorum": {"controller.quorum.voters": "1@k1:10092"},
    "sasl": {"mechanisms": ["PLAIN"], "inter_broker_user": "b", "inter_broker_password": "p"},
}
FIREWALL = {"ssh_port": 22, "cluster_addresses": ["10.0.0.1"], "metrics_cidrs": ["10.2.0.0/16"]}


def hv(**extra):
    return {"group_names": BOTH, "kafka_kraft_jmx_exporter_enabled": True, **extra}


def ports(node):
    return node["internal_port"], node["jmx_port"], node["jmx_exporter_port"]


def test_one_node_per_host_gets_the_role_defaults():
    nodes = kraft.kraft_nodes(["k1", "k2"], {"k1": hv(kafka_kraft_node_id=1), "k2": hv(kafka_kraft_node_id=2)})
    assert [ports(n) for n in nodes] == [(9192, 9999, 7071), (9192, 9999, 7071)]


def test_nodes_of_one_host_count_up_in_id_order_not_list_order():
    # The list order sets the client ports (9092 + entry index); id order sets JMX and the exporter.
    hostvars = {"vm": hv(kafka_kraft_nodes=[{"id": 7}, {"id": 3}, {"id": 5, "client_port": 9300}])}
    nodes = kraft.kraft_nodes(["vm"], hostvars)
    assert [(n["id"], n["client_port"], *ports(n)) for n in nodes] == [
        (3, 9093, 9193, 9999, 7071),
        (5, 9300, 9400, 10000, 7072),
        (7, 9092, 9192, 10001, 7073),
    ]


def test_each_host_uses_its_own_settings():
    hostvars = {
        "k1": hv(kafka_kraft_node_id=1, kafka_kraft_internal_port_offset="50", kafka_kraft_jmx_port=12000),
        "k2": hv(kafka_kraft_node_id=2, kafka_kraft_jmx_exporter_port="17000"),
    }
    assert [ports(n) for n in kraft.kraft_nodes(["k1", "k2"], hostvars)] == [(9142, 12000, 7071), (9192, 9999, 17000)]


def test_a_port_base_that_is_not_a_number_fails_naming_the_host_and_variable():
    with pytest.raises(AnsibleFilterError, match="k1: kafka_kraft_jmx_port must be an integer"):
        kraft.kraft_nodes(["k1"], {"k1": hv(kafka_kraft_node_id=1, kafka_kraft_jmx_port="auto")})


def several_on_one_host(**extra):
    return kraft.kraft_nodes(["vm"], {"vm": hv(kafka_kraft_nodes=[{"id": 2}, {"id": 1}], **extra)})


def test_the_firewall_opens_the_nodes_own_ports():
    nodes = several_on_one_host(kafka_kraft_jmx_port=12000, kafka_kraft_jmx_exporter_port=17000)
    # The role passes its own settings; they only switch the ports on.
    rules = kraft_firewall.kraft_firewall_rules(
        nodes, {**FIREWALL, "internal_port_offset": 100, "jmx_port": 12000, "jmx_exporter_port": 17000}
    )
    assert rules == [
        'tcp dport { 9093, 9092, 9193, 9192, 10093, 10092 } ip saddr { 10.0.0.1 } accept comment "cluster nodes"',
        'tcp dport { 12000, 12001, 17000, 17001 } ip saddr { 10.2.0.0/16 } accept comment "metrics"',
    ]
    off = kraft_firewall.kraft_firewall_rules(nodes, {**FIREWALL, "internal_port_offset": "", "jmx_port": None})
    assert [r.split(" comment ")[1] for r in off] == ['"cluster nodes"']


def test_nodes_made_without_the_ports_get_them_by_the_same_rule():
    made = several_on_one_host()
    bare = [{k: v for k, v in n.items() if k not in ("internal_port", "jmx_port", "jmx_exporter_port")} for n in made]
    settings = {**FIREWALL, "internal_port_offset": 100, "jmx_port": 9999, "jmx_exporter_port": 7071}
    assert kraft_firewall.kraft_firewall_rules(bare, settings) == kraft_firewall.kraft_firewall_rules(made, settings)
    assert kraft_network.kraft_cluster_ports(bare) == kraft_network.kraft_cluster_ports(made)
    for node, plain in zip(made, bare, strict=True):
        expected = kraft_server.kraft_server_properties(node, {**PLAIN, "internal_port_offset": 100})
        assert kraft_server.kraft_server_properties(plain, {**PLAIN, "internal_port_offset": 100}) == expected


def test_server_properties_and_cluster_ports_use_the_nodes_internal_port():
    nodes = several_on_one_host(kafka_kraft_internal_port_offset=500)
    # The settings' offset serves only nodes made without internal_port.
    props = kraft_server.kraft_server_properties(nodes[0], {**PLAIN, "internal_port_offset": 100})
    assert props["listeners"] == "SASL_PLAINTEXT://0.0.0.0:9093,INTERNAL://0.0.0.0:9593,CONTROLLER://0.0.0.0:10093"
    assert kraft_network.kraft_cluster_ports(nodes) == ["9092-9093", "9592-9593", "10092-10093"]


def test_scrape_targets_are_the_nodes_exporter_ports():
    hostvars = {"vm": hv(kafka_kraft_nodes=[{"id": 2}, {"id": 1}], kafka_kraft_jmx_exporter_port=17000)}
    assert [t["targets"] for t in kraft_jmx_targets(["vm"], hostvars)] == [["vm:17000"], ["vm:17001"]]
