"""The storage safety rules of kafka_kraft (plugins/filter/kraft_storage.py).

Which cluster id wins (tasks/cluster_id.yml), which log dirs are refused and
which nodes are formatted, with what arguments (tasks/storage.yml).
"""

import base64
import sys
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

COLLECTIONS = Path(__file__).resolve().parents[3] / "build" / "collections"
if str(COLLECTIONS) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS))

from ansible_collections.kafkaops.kraft.plugins.filter.kraft_storage import (  # noqa: E402
    kraft_cluster_id,
    kraft_format_args,
    kraft_storage_plan,
)

ID_A = "MkU3OEVBNTcwNTJENDM2Qg"
ID_B = "Xk1lPu6RSpWZ0Gd8a1nHcQ"
ID_C = "q2Jj8hL7TnW0m3RkVfXy1A"
INITIAL = "1@k1:10092:AAAAAAAAAAAAAAAAAAAAAQ,2@k2:10092:BBBBBBBBBBBBBBBBBBBBBB"


def conflict(meta, inventory, hosts):
    return (
        f"Conflicting cluster ids: meta.properties say {meta}, kafka_kraft_cluster_id says '{inventory}', "
        f"/etc/kafka/cluster.id says {hosts}. Storage is never reformatted; fix the inventory or the hosts by hand."
    )


# Which cluster id wins


def test_meta_properties_win_over_the_inventory_and_the_hosts():
    settled = kraft_cluster_id([ID_A, ID_A], ID_A, [ID_B, ""], "/etc/kafka")
    assert settled == {"cluster_id": ID_A, "generate": False, "problems": []}


def test_the_inventory_id_wins_over_the_hosts_before_any_node_is_formatted():
    settled = kraft_cluster_id([], ID_A, [ID_B, ""], "/etc/kafka")
    assert settled == {"cluster_id": ID_A, "generate": False, "problems": []}


def test_the_id_persisted_on_the_hosts_is_kept():
    # A first run that stopped before formatting persisted it; a host that missed it has none.
    settled = kraft_cluster_id([], "", [ID_B, "", ID_B], "/etc/kafka")
    assert settled == {"cluster_id": ID_B, "generate": False, "problems": []}


def test_an_id_is_generated_only_when_no_source_has_one():
    settled = kraft_cluster_id([], "", ["", ""], "/etc/kafka")
    assert settled == {"cluster_id": "", "generate": True, "problems": []}


def test_nodes_formatted_for_different_clusters_conflict():
    settled = kraft_cluster_id([ID_A, ID_B, ID_A], "", [], "/etc/kafka")
    assert settled["problems"] == [conflict([ID_A, ID_B], "", [])]
    assert not settled["generate"]


def test_an_inventory_id_other_than_the_nodes_conflicts():
    settled = kraft_cluster_id([ID_A], ID_B, [ID_A], "/etc/kafka")
    assert settled["problems"] == [conflict([ID_A], ID_B, [ID_A])]


def test_hosts_that_persist_different_ids_conflict_before_any_node_is_formatted():
    settled = kraft_cluster_id([], ID_A, [ID_B, "", ID_C], "/etc/kafka")
    assert settled["problems"] == [conflict([], ID_A, [ID_B, ID_C])]


# Which log dirs are refused, which nodes are formatted


def node(node_id, controller=True, log_dir="/var/kafka/logs"):
    return {"id": node_id, "name": f"node{node_id}", "controller": controller, "log_dir": log_dir}


def slurped(item, text=None):
    """A looped slurp's result for ``item``; without ``text`` the file was missing."""
    if text is None:
        return {"item": item, "failed": True, "msg": "file not found"}
    return {"item": item, "content": base64.b64encode(text.encode()).decode()}


def meta(node_id, cluster_id=ID_A):
    return f"#\nversion=1\nnode.id={node_id}\ncluster.id={cluster_id}\ndirectory.id=AAAAAAAAAAAAAAAAAAAAAQ\n"


def plan(nodes, metas, applied, reformat=()):
    return kraft_storage_plan(nodes, metas, applied, ID_A, list(reformat), "kafka2", "/etc/kafka")


def foreign(log_dir, holds_cluster, holds_node, node_id):
    return (
        f"{log_dir}/meta.properties on kafka2 holds cluster.id={holds_cluster} node.id={holds_node}, "
        f"but the inventory expects cluster {ID_A} node {node_id}. "
        "Refusing to touch it: storage is never reformatted. Fix kafka_kraft_node_id / kafka_kraft_cluster_id, "
        "or move the old data away by hand if it really is disposable."
    )


def test_a_log_dir_of_another_cluster_is_refused():
    n2 = node(2)
    storage = plan([n2], [slurped(n2, meta(2, ID_B))], [slurped(n2, "fingerprint")])
    assert storage["foreign"] == [foreign("/var/kafka/logs", ID_B, 2, 2)]
    assert storage["lost"] == [] and storage["unformatted"] == []


def test_a_log_dir_of_another_node_is_refused():
    n2 = node(2)
    storage = plan([n2], [slurped(n2, meta(7))], [slurped(n2)])
    assert storage["foreign"] == [foreign("/var/kafka/logs", ID_A, 7, 2)]
    # Without node.id it names none.
    storage = plan([n2], [slurped(n2, f"cluster.id={ID_A}\n")], [slurped(n2)])
    assert storage["foreign"] == [foreign("/var/kafka/logs", ID_A, "", 2)]


def test_storage_of_this_cluster_and_node_is_left_alone():
    n2 = node(2)
    storage = plan([n2], [slurped(n2, meta(2))], [slurped(n2, "fingerprint")])
    assert storage == {"foreign": [], "lost": [], "unformatted": []}


def test_a_node_that_ran_before_and_lost_its_storage_is_refused():
    n2, n3 = node(2, log_dir="/data/2"), node(3, log_dir="/data/3")
    storage = plan([n2, n3], [slurped(n2), slurped(n3)], [slurped(n2, "fp"), slurped(n3, "fp")])
    assert storage["lost"] == [
        "Node 2 on kafka2 ran before (/etc/kafka/node2/applied-config exists) but /data/2 has no meta.properties: "
        "its data directory is missing or its disk is not mounted. "
        "Node 3 on kafka2 ran before (/etc/kafka/node3/applied-config exists) but /data/3 has no meta.properties: "
        "its data directory is missing or its disk is not mounted. "
        "Nothing was formatted and the node stays stopped. Mount or restore the data and run again; or, to give "
        "the node an empty log that re-replicates from the others, run once with kafka_kraft_reformat_node_ids=[2, 3]."
    ]
    assert storage["foreign"] == []


def test_kafka_kraft_reformat_node_ids_allows_formatting_a_node_that_lost_its_storage():
    n2, n3 = node(2), node(3, log_dir="/data/3")
    storage = plan([n2, n3], [slurped(n2), slurped(n3)], [slurped(n2, "fp"), slurped(n3, "fp")], reformat=["2"])
    assert storage["lost"] == [
        "Node 3 on kafka2 ran before (/etc/kafka/node3/applied-config exists) but /data/3 has no meta.properties: "
        "its data directory is missing or its disk is not mounted. "
        "Nothing was formatted and the node stays stopped. Mount or restore the data and run again; or, to give "
        "the node an empty log that re-replicates from the others, run once with kafka_kraft_reformat_node_ids=[3]."
    ]
    storage = plan([n2, n3], [slurped(n2), slurped(n3)], [slurped(n2, "fp"), slurped(n3, "fp")], reformat=[2, 3])
    assert storage == {"foreign": [], "lost": [], "unformatted": [n2, n3]}


def test_a_new_node_is_formatted():
    n1, n2 = node(1), node(2, log_dir="/data/2")
    storage = plan([n1, n2], [slurped(n1, meta(1)), slurped(n2)], [slurped(n1, "fp"), slurped(n2)])
    assert storage == {"foreign": [], "lost": [], "unformatted": [n2]}


def test_reformat_ids_that_are_not_ids_are_refused():
    with pytest.raises(AnsibleFilterError, match="kafka_kraft_reformat_node_ids"):
        plan([node(1)], [], [], reformat=["two"])


# The format command's arguments

BASE = ["kafka.tools.StorageTool", "format", "--cluster-id", ID_A, "--config", "/etc/kafka/node1/server.properties"]


def test_a_static_quorum_node_is_formatted_with_the_cluster_id_and_its_config():
    assert kraft_format_args(node(1), ID_A, "/etc/kafka", False, "", "") == BASE


def test_an_initial_controller_of_a_dynamic_quorum_gets_the_initial_controllers():
    args = kraft_format_args(node(1), ID_A, "/etc/kafka", True, INITIAL, "")
    assert args == [*BASE, "--initial-controllers", INITIAL]


def test_a_dynamic_quorum_controller_that_joins_later_gets_no_initial_controllers():
    assert kraft_format_args(node(1), ID_A, "/etc/kafka", True, "", "") == [*BASE, "--no-initial-controllers"]
    args = kraft_format_args(node(1), ID_A, "/etc/kafka", True, "2@k2:10092:BBBBBBBBBBBBBBBBBBBBBB", "")
    assert args == [*BASE, "--no-initial-controllers"]


def test_a_broker_only_node_gets_no_quorum_argument():
    assert kraft_format_args(node(1, controller=False), ID_A, "/etc/kafka", True, INITIAL, "") == BASE


def test_scram_adds_the_inter_broker_credential():
    scram = "SCRAM-SHA-512=[name=broker,salt=c2FsdA==,saltedpassword=cHc=,iterations=8192]"
    args = kraft_format_args(node(1), ID_A, "/etc/kafka", True, INITIAL, scram)
    assert args == [*BASE, "--initial-controllers", INITIAL, "--add-scram", scram]
