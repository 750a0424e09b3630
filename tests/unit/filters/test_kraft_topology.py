"""Topology derivation from inventory variables (plugins/filter/kraft.py)."""

import importlib.util
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

_spec = importlib.util.spec_from_file_location(
    "kraft_filter", Path(__file__).resolve().parents[3] / "plugins" / "filter" / "kraft.py"
)
kraft = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(kraft)

BOTH = ["kafka", "kafka_controllers", "kafka_brokers"]


def hv(groups, **extra):
    return {"group_names": groups, **extra}


def test_combined_mode_three_hosts():
    hostvars = {f"k{i}": hv(BOTH, kafka_kraft_node_id=i) for i in (1, 2, 3)}
    nodes = kraft.kraft_nodes(["k1", "k2", "k3"], hostvars)
    assert [n["id"] for n in nodes] == [1, 2, 3]
    assert all(n["roles"] == ["broker", "controller"] for n in nodes)
    assert {(n["client_port"], n["controller_port"], n["log_dir"]) for n in nodes} == {(9092, 10092, "/var/kafka/logs")}
    assert kraft.kraft_quorum_voters(nodes) == "1@k1:10092,2@k2:10092,3@k3:10092"
    assert kraft.kraft_problems(nodes) == []
    assert kraft.kraft_bootstrap_servers(["k1", "k2", "k3"], hostvars) == "k1:9092,k2:9092,k3:9092"


def test_dedicated_controllers_and_brokers():
    hostvars = {
        "c1": hv(["kafka", "kafka_controllers"], kafka_kraft_node_id=1),
        "b1": hv(["kafka", "kafka_brokers"], kafka_kraft_node_id=11, kafka_kraft_advertised_host="10.0.0.11"),
    }
    nodes = kraft.kraft_nodes(["c1", "b1"], hostvars)
    by_id = {n["id"]: n for n in nodes}
    assert by_id[1]["roles"] == ["controller"] and not by_id[1]["broker"]
    assert by_id[11]["roles"] == ["broker"] and not by_id[11]["controller"]
    assert kraft.kraft_quorum_voters(nodes) == "1@c1:10092"
    assert kraft.kraft_bootstrap_servers(["c1", "b1"], hostvars) == "10.0.0.11:9092"


def test_several_nodes_on_one_vm_follow_the_seed():
    hostvars = {"vm": hv(BOTH, kafka_kraft_nodes=[{"id": 1}, {"id": 2}, {"id": 3}])}
    nodes = kraft.kraft_nodes(["vm"], hostvars)
    assert [(n["client_port"], n["controller_port"]) for n in nodes] == [(9092, 10092), (9093, 10093), (9094, 10094)]
    assert [n["log_dir"] for n in nodes] == [f"/var/kafka/logs/broker{i}" for i in (1, 2, 3)]
    assert [n["service"] for n in nodes] == ["kafka-node1", "kafka-node2", "kafka-node3"]
    assert kraft.kraft_problems(nodes) == []


def test_duplicate_ids_ports_and_dirs_are_reported():
    hostvars = {
        "a": hv(BOTH, kafka_kraft_node_id=1),
        "b": hv(BOTH, kafka_kraft_node_id=1),
        "vm": hv(
            BOTH, kafka_kraft_nodes=[{"id": 5, "client_port": 9092}, {"id": 6, "client_port": 9092, "log_dir": "/x"}]
        ),
    }
    problems = kraft.kraft_problems(kraft.kraft_nodes(["a", "b", "vm"], hostvars))
    assert any("duplicate node id 1" in p for p in problems)
    assert any("port 9092 on vm" in p for p in problems)


def test_missing_roles_and_ids_fail_clearly():
    with pytest.raises(AnsibleFilterError, match="kafka_kraft_node_id"):
        kraft.kraft_nodes(["x"], {"x": hv(BOTH)})
    with pytest.raises(AnsibleFilterError, match="roles"):
        kraft.kraft_nodes(["x"], {"x": hv(["kafka"], kafka_kraft_node_id=1)})
    with pytest.raises(AnsibleFilterError, match="integer"):
        kraft.kraft_nodes(["x"], {"x": hv(BOTH, kafka_kraft_node_id="one")})


def test_no_controller_or_broker_is_a_problem():
    nodes = kraft.kraft_nodes(["b"], {"b": hv(["kafka", "kafka_brokers"], kafka_kraft_node_id=1)})
    assert any("no controller" in p for p in kraft.kraft_problems(nodes))


def test_meta_properties_parsing():
    meta = kraft.kraft_meta_properties("#\nversion=1\ncluster.id=abc\nnode.id=3\ndirectory.id=xyz\n")
    assert meta == {"cluster_id": "abc", "node_id": 3, "directory_id": "xyz", "version": "1"}


def test_restart_queue_brokers_first_only_running_and_stale():
    nodes = [
        {"host": "c", "id": 1, "controller": True, "service": "kafka-node1"},
        {"host": "b", "id": 2, "controller": False, "service": "kafka-node2"},
        {"host": "n", "id": 3, "controller": False, "service": "kafka-node3"},
    ]

    def started(node_id: int, state: str) -> dict:
        # systemd_service reports the unit's state from before it acted.
        result = {"item": {"service": f"kafka-node{node_id}"}, "status": {"ActiveState": state}}
        return {"_kafka_kraft_started": {"results": [result]}, "_kafka_kraft_changed_nodes": [node_id]}

    hostvars = {"c": started(1, "active"), "b": started(2, "active"), "n": started(3, "inactive")}
    assert [n["id"] for n in kraft.kraft_restart_queue(nodes, hostvars, ["c", "b", "n"])] == [2, 1]


def test_stale_nodes_compare_fingerprints_with_markers():
    import base64

    results = [
        {"item": {"id": 1}, "content": base64.b64encode(b"a:b\n").decode()},
        {"item": {"id": 2}, "content": base64.b64encode(b"old\n").decode()},
        {"item": {"id": 3}, "failed": True},
    ]
    assert kraft.kraft_stale_nodes({1: "a:b", 2: "new", 3: "x"}, results) == [2, 3]


def test_the_dirs_kafka_owns_are_the_dirs_its_unit_may_write():
    # Seed layout: several nodes on one host, one log dir on another disk.
    specs = [{"id": 1, "roles": ["broker"]}, {"id": 2, "roles": ["controller"], "log_dir": "/srv/disk2/kafka"}]
    nodes = kraft.kraft_nodes(["h"], {"h": hv(BOTH, kafka_kraft_nodes=specs)})
    owned = [
        d["path"]
        for d in kraft.kraft_node_dirs(nodes, "/etc/kafka", "/var/log/kafka", "kafka", "kafka")
        if d["owner"] == "kafka"
    ]
    writable = [p for n in nodes for p in kraft.kraft_node_writable_dirs(n, "/var/log/kafka").values()]
    assert (
        owned
        == writable
        == ["/var/kafka/logs/broker1", "/var/log/kafka/node1", "/srv/disk2/kafka", "/var/log/kafka/node2"]
    )
