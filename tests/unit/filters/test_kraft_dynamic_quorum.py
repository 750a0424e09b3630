"""Dynamic quorum helpers (KIP-853) in plugins/filter/kraft.py."""

import base64
import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "kraft_filter", Path(__file__).resolve().parents[3] / "plugins" / "filter" / "kraft.py"
)
kraft = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(kraft)

BOTH = ["kafka", "kafka_controllers", "kafka_brokers"]


def _nodes():
    hostvars = {f"k{i}": {"group_names": BOTH, "kafka_kraft_node_id": i} for i in (1, 2, 3)}
    hostvars["b4"] = {"group_names": ["kafka", "kafka_brokers"], "kafka_kraft_node_id": 4}
    return kraft.kraft_nodes(["k1", "k2", "k3", "b4"], hostvars)


def test_initial_controllers_lists_each_controller_with_its_own_directory_id():
    value = kraft.kraft_initial_controllers(_nodes())
    entries = value.split(",")
    assert [e.split(":")[0] for e in entries] == ["1@k1", "2@k2", "3@k3"]
    dirs = [e.rsplit(":", 1)[1] for e in entries]
    assert len(set(dirs)) == 3
    for text in dirs:
        assert len(text) == 22 and not text.startswith("-")
        assert len(base64.urlsafe_b64decode(text + "==")) == 16


def test_initial_controllers_differ_between_calls():
    assert kraft.kraft_initial_controllers(_nodes()) != kraft.kraft_initial_controllers(_nodes())


def test_ids_and_bootstrap_come_from_the_initial_list():
    value = "1@k1:10092:AAAAAAAAAAAAAAAAAAAAAQ,12@10.0.0.12:10093:BBBBBBBBBBBBBBBBBBBBBB"
    assert kraft._initial_controller_ids(value) == [1, 12]
    assert kraft.kraft_initial_bootstrap(value) == "k1:10092,10.0.0.12:10093"
    assert kraft._initial_controller_ids("") == []
    assert kraft.kraft_initial_bootstrap("") == ""


def test_quorum_status_parses_dynamic_and_static_voter_lists():
    dynamic = """ClusterId:              MkU3OEVBNTcwNTJENDM2Qg
LeaderId:               1
LeaderEpoch:            1
CurrentVoters:          [{"id": 1, "directoryId": "XzuGaD1LQDWTHXiiGLs4qQ", "endpoints": ["CONTROLLER://h:10091"]}]
CurrentObservers:       [{"id": 2, "directoryId": "NunSPSxNchiqnD-HOWDpGg"}, {"id": 4, "directoryId": "x"}]
"""
    assert kraft.kraft_quorum_status(dynamic) == {"leader_id": 1, "voters": [1], "observers": [2, 4]}
    static = "LeaderId: 3\nCurrentVoters: [3,1,2]\nCurrentObservers: []\n"
    assert kraft.kraft_quorum_status(static) == {"leader_id": 3, "voters": [1, 2, 3], "observers": []}


def test_quorum_status_without_a_leader():
    assert kraft.kraft_quorum_status("Error: timed out") == {"leader_id": None, "voters": [], "observers": []}


def test_properties_parser_skips_comments_and_keeps_equals_in_values():
    text = "# managed\n\ncontroller.quorum.voters=1@k1:10092,2@k2:10092\nsasl.jaas.config=a=b;\n"
    assert kraft.kraft_properties(text) == {
        "controller.quorum.voters": "1@k1:10092,2@k2:10092",
        "sasl.jaas.config": "a=b;",
    }
