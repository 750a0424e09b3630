"""Firewall source ranges and cluster ports (plugins/filter/kraft_network.py)."""

import importlib.util
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

_spec = importlib.util.spec_from_file_location(
    "kraft_network", Path(__file__).resolve().parents[3] / "plugins" / "filter" / "kraft_network.py"
)
net = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(net)


@pytest.mark.parametrize(
    "ranges",
    [["203.0.113.0/24"], ["10.10.0.0/16", "198.51.100.7"], ["2001:db8:1::/48"], ["2001:DB8::/64"], ["192.0.2.1/32"]],
)
def test_narrow_ranges_pass(ranges):
    assert net.kraft_source_range_problems(ranges) == []


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("0.0.0.0/0", "0.0.0.0/0 is the whole IPv4 Internet"),
        ("::/0", "::/0 is the whole IPv6 Internet"),
        # Half the Internet each: the literal check let these through.
        ("0.0.0.0/1", "0.0.0.0/1 (/1) is broader than the /16 allowed for IPv4"),
        ("128.0.0.0/1", "128.0.0.0/1 (/1) is broader than the /16 allowed for IPv4"),
        ("10.0.0.0/8", "10.0.0.0/8 (/8) is broader than the /16 allowed for IPv4"),
        ("2000::/3", "2000::/3 (/3) is broader than the /48 allowed for IPv6"),
        ("10.0.0.1/8", "10.0.0.1/8 has host bits set; write 10.0.0.0/8"),
        ("example.com", "'example.com' is not an IPv4 or IPv6 range"),
        ("", "'' is not an IPv4 or IPv6 range"),
    ],
)
def test_broad_or_invalid_ranges_are_refused(entry, expected):
    assert net.kraft_source_range_problems(["203.0.113.0/24", entry]) == [expected]


def test_the_limits_are_configurable_but_never_allow_everything():
    assert net.kraft_source_range_problems(["10.0.0.0/8"], min_prefix_v4=8) == []
    assert net.kraft_source_range_problems(["2001:db8::/32"], min_prefix_v6="32") == []
    assert net.kraft_source_range_problems(["0.0.0.0/0", "::/0"], min_prefix_v4=0, min_prefix_v6=0) == [
        "0.0.0.0/0 is the whole IPv4 Internet",
        "::/0 is the whole IPv6 Internet",
    ]


@pytest.mark.parametrize("ranges", [[], "203.0.113.0/24", None])
def test_missing_ranges_are_refused(ranges):
    assert net.kraft_source_range_problems(ranges)


def test_port_ranges_join_consecutive_ports():
    assert net._port_ranges([10094, 9092, 9093, "9094", 10092, 10093, 9192, 9092]) == [
        "9092-9094",
        "9192",
        "10092-10094",
    ]
    assert net._port_ranges([]) == []
    with pytest.raises(AnsibleFilterError):
        net._port_ranges([70000])
    with pytest.raises(AnsibleFilterError):
        net._port_ranges(["x"])


def node(client, controller, broker=True):
    return {"client_port": client, "controller_port": controller, "broker": broker}


def test_cluster_ports_cover_client_internal_and_controller_ports():
    combined = [node(9092, 10092)] * 3
    assert net.kraft_cluster_ports(combined) == ["9092", "9192", "10092"]
    one_vm = [node(9092 + i, 10092 + i) for i in range(3)]
    assert net.kraft_cluster_ports(one_vm) == ["9092-9094", "9192-9194", "10092-10094"]
    dedicated = [node(9092, 19092, broker=False), node(9093, 10092)]
    assert net.kraft_cluster_ports(dedicated, internal_port_offset=200) == ["9093", "9293", "10092", "19092"]
