"""The one restart order of every restart (plugins/filter/kraft.py): role restarts and rolling_restart.yml."""

import importlib.util
import itertools
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

_spec = importlib.util.spec_from_file_location(
    "kraft_filter", Path(__file__).resolve().parents[3] / "plugins" / "filter" / "kraft.py"
)
kraft = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(kraft)


def node(host, node_id, controller, broker=True):
    return {"host": host, "id": node_id, "controller": controller, "broker": broker}


# Three combined hosts, a broker-only host with two nodes, a dedicated controller host.
NODES = [
    node("k1", 1, True),
    node("k2", 2, True),
    node("k3", 3, True),
    node("b1", 4, False),
    node("b1", 5, False),
    node("c1", 6, True, broker=False),
]


def ids(nodes):
    return [n["id"] for n in nodes]


def test_brokers_then_controllers_then_the_active_controller():
    assert ids(kraft.kraft_restart_order(NODES, 2)) == [4, 5, 1, 3, 6, 2]


def test_unknown_leader_keeps_controllers_by_id():
    assert ids(kraft.kraft_restart_order(list(reversed(NODES)))) == [4, 5, 1, 2, 3, 6]
    assert ids(kraft.kraft_restart_order(NODES, "-1")) == [4, 5, 1, 2, 3, 6]


def test_hosts_broker_only_first_and_the_leaders_host_last():
    hosts = ["k1", "k2", "k3", "b1", "c1"]
    assert kraft.kraft_restart_hosts(NODES, hosts, 1) == ["b1", "k2", "k3", "c1", "k1"]
    assert kraft.kraft_restart_hosts(NODES, hosts, "6") == ["b1", "k1", "k2", "k3", "c1"]


def test_a_host_without_nodes_is_refused():
    with pytest.raises(AnsibleFilterError, match="apps1: runs no Kafka node"):
        kraft.kraft_restart_hosts(NODES, ["k1", "apps1"], 1)


def test_a_leader_that_is_no_number_is_refused():
    with pytest.raises(AnsibleFilterError, match="active controller id must be an integer"):
        kraft.kraft_restart_order(NODES, "none")


# The orders the role and rolling_restart.yml computed in Jinja before the filters
# held them; the filters must keep them.
def _role_order_in_jinja(queue, leader):
    queue = sorted(queue, key=lambda n: (n["controller"], n["id"]))
    return [n for n in queue if n["id"] != leader] + [n for n in queue if n["id"] == leader]


def _host_order_in_jinja(nodes, hosts, leader):
    keyed = []
    for host in hosts:
        mine = [n for n in nodes if n["host"] == host]
        key = "%d%d%09d" % (any(n["controller"] for n in mine), leader in [n["id"] for n in mine], min(ids(mine)))  # noqa: UP031
        keyed.append([key, host])
    return [host for _key, host in sorted(keyed)]


@pytest.mark.parametrize("leader", [-1, 1, 2, 3, 6])
def test_same_order_as_the_jinja_it_replaces(leader):
    for size in range(len(NODES) + 1):
        for queue in itertools.combinations(NODES, size):
            assert kraft.kraft_restart_order(list(queue), leader) == _role_order_in_jinja(list(queue), leader)
    hosts = sorted({n["host"] for n in NODES})
    for perm in itertools.permutations(hosts):
        assert kraft.kraft_restart_hosts(NODES, list(perm), leader) == _host_order_in_jinja(NODES, list(perm), leader)


def test_on_one_host_the_active_controller_restarts_last():
    # Two controllers on one VM (the seed's layout): the leader goes after the other one,
    # where the per-host Jinja order took controllers by id alone.
    vm = [node("vm1", 1, True), node("vm1", 2, True)]
    assert ids(kraft.kraft_restart_order(vm, 1)) == [2, 1]
