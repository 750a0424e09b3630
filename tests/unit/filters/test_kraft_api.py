"""Per-node API answers of the health report (plugins/filter/kraft_api.py)."""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "kraft_api", Path(__file__).resolve().parents[3] / "plugins" / "filter" / "kraft_api.py"
)
api = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(api)


def test_each_node_is_ok_or_down_with_its_exit_code():
    registered = {
        "results": [
            {"item": {"id": 1}, "rc": 0},
            {"item": {"id": 2}, "rc": 1},
            {"item": {"id": 3}},
        ]
    }
    assert api.kraft_api_check(registered, "k1") == [
        {"id": 1, "host": "k1", "ok": True, "summary": "node 1 ok"},
        {"id": 2, "host": "k1", "ok": False, "summary": "node 2 DOWN (rc 1)"},
        {"id": 3, "host": "k1", "ok": False, "summary": "node 3 DOWN (rc ?)"},
    ]


def test_no_local_nodes_no_rows():
    assert api.kraft_api_check({"results": []}, "apps1") == []
    assert api.kraft_api_check(None, "apps1") == []
