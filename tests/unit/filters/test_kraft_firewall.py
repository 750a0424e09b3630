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
    assert fw.kraft_nft_saddr(["10.0.0.0/8", "2001:db8::/32", "192.0.2.7", "10.0.0.0/8"]) == [
        "ip saddr { 10.0.0.0/8, 192.0.2.7 }",
        "ip6 saddr { 2001:db8::/32 }",
    ]


def test_saddr_of_nothing_is_no_rule():
    assert fw.kraft_nft_saddr([]) == []


def test_saddr_refuses_what_is_not_an_address():
    with pytest.raises(AnsibleFilterError, match="not an IP address"):
        fw.kraft_nft_saddr(["kafka1"])


def test_offset_ports():
    assert fw.kraft_offset_ports([9092, "9093"], 10000) == [19092, 19093]
