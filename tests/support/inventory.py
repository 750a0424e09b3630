"""Inventories for playbook tests that run against this machine (local connection)."""

from __future__ import annotations

from pathlib import Path

import yaml


def write_single_node_inventory(path: Path, group_vars: dict, node: dict | None = None) -> Path:
    """One combined broker+controller host, k1, in the kafka groups; returns the file written."""
    node = {"kafka_kraft_node_id": 1, **(node or {})}
    inventory = {
        "all": {
            "vars": {"ansible_connection": "local", **group_vars},
            "children": {
                "kafka": {
                    "children": {
                        "kafka_controllers": {"hosts": {"k1": node}},
                        "kafka_brokers": {"hosts": {"k1": node}},
                    }
                }
            },
        }
    }
    path.write_text(yaml.safe_dump(inventory))
    return path
