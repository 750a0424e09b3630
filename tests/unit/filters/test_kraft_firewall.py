"""Address logic of the host firewall (plugins/filter/kraft_firewall.py)."""

import importlib.util
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

_spec = importlib.util.spec_from_file_location(
    "kraft_firewall", Path(__file__).resolve().parents[3] / "plugins" / "filter" / "kraft_firewall.py"
)
fw = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fw)

HOSTVARS = {
    "k1": {"ansible_facts": {"all_ipv4_addresses": ["10.0.0.11"], "all_ipv6_addresses": ["fe80::1", "2001:db8::11"]}},
    "k2": {"ansible_facts": {"all_ipv4_addresses": ["10.0.0.12"]}},
    "k3": {"ansible_host": "10.0.0.13"},
}


def test_every_cluster_host_counts_not_only_those_with_facts():
    assert fw.kraft_cluster_addresses(["k1", "k2", "k3"], HOSTVARS) == [
        "10.0.0.11",
        "10.0.0.12",
        "10.0.0.13",
        "2001:db8::11",
    ]


def test_same_answer_whatever_the_order_of_hosts():
    assert fw.kraft_cluster_addresses(["k3", "k1", "k2"], HOSTVARS) == fw.kraft_cluster_addresses(
        ["k1", "k2", "k3"], HOSTVARS
    )


def test_a_host_without_any_address_is_an_error_naming_it():
    hostvars = {**HOSTVARS, "k4": {"ansible_host": "k4.internal"}}
    with pytest.raises(AnsibleFilterError, match=r"have none: k4\b.*kafka_kraft_firewall_cluster_addresses"):
        fw.kraft_cluster_addresses(["k1", "k4"], hostvars)


def test_saddr_splits_families_and_keeps_order():
    assert fw._nft_saddr(["10.0.0.0/8", "2001:db8::/32", "192.0.2.7", "10.0.0.0/8"]) == [
        "ip saddr { 10.0.0.0/8, 192.0.2.7 }",
        "ip6 saddr { 2001:db8::/32 }",
    ]


def test_saddr_of_nothing_is_no_rule():
    assert fw._nft_saddr([]) == []


def test_saddr_refuses_what_is_not_an_address():
    with pytest.raises(AnsibleFilterError, match="not an IP address"):
        fw._nft_saddr(["kafka1"])


def test_offset_ports():
    assert fw._offset_ports([9092, "9093"], 10000) == [19092, 19093]


NODES = [
    {"client_port": 9092, "controller_port": 10092, "broker": True, "controller": True},
    {"client_port": 9093, "controller_port": 10093, "broker": False, "controller": True},
]
RULES = {
    "ssh_port": 22,
    "ssh_cidrs": ["10.1.0.0/16", "fd00::/8"],
    "client_cidrs": ["10.0.0.0/8"],
    "cluster_addresses": ["10.0.0.11", "10.0.0.12"],
    "internal_port_offset": "",
    "jmx_port": "",
    "jmx_exporter_port": 7071,
    "metrics_cidrs": ["10.2.0.0/16"],
    "app_ports": [8001, 8002],
    "app_cidrs": ["10.3.0.0/16"],
}


def test_rules_in_order_ssh_clients_cluster_metrics_apps():
    assert fw.kraft_firewall_rules(NODES, RULES) == [
        'tcp dport { 22 } ip saddr { 10.1.0.0/16 } accept comment "ssh"',
        'tcp dport { 22 } ip6 saddr { fd00::/8 } accept comment "ssh"',
        'tcp dport { 9092 } ip saddr { 10.0.0.0/8 } accept comment "Kafka clients"',
        'tcp dport { 9092, 10092, 10093 } ip saddr { 10.0.0.11, 10.0.0.12 } accept comment "cluster nodes"',
        'tcp dport { 7071, 7072 } ip saddr { 10.2.0.0/16 } accept comment "metrics"',
        'tcp dport { 8001, 8002 } ip saddr { 10.3.0.0/16 } accept comment "apps"',
    ]


def test_internal_listener_ports_and_an_apps_only_host():
    rules = fw.kraft_firewall_rules(NODES, {**RULES, "internal_port_offset": 100, "jmx_port": 9999})
    assert (
        'tcp dport { 9092, 9192, 10092, 10093 } ip saddr { 10.0.0.11, 10.0.0.12 } accept comment "cluster nodes"'
        in rules
    )
    assert 'tcp dport { 9999, 10000, 7071, 7072 } ip saddr { 10.2.0.0/16 } accept comment "metrics"' in rules
    assert [r.split(" comment ")[1] for r in fw.kraft_firewall_rules([], RULES)] == ['"ssh"', '"ssh"', '"apps"']


def test_a_monitoring_host_opens_prometheus_and_alertmanager_last():
    rules = fw.kraft_firewall_rules(
        [], {**RULES, "monitoring_ports": [9090, 9093], "monitoring_cidrs": ["10.4.0.0/16"]}
    )
    assert rules[-1] == 'tcp dport { 9090, 9093 } ip saddr { 10.4.0.0/16 } accept comment "monitoring"'
    assert not any("monitoring" in r for r in fw.kraft_firewall_rules([], {**RULES, "monitoring_ports": []}))
