"""Every role task file a playbook or another role reaches with `tasks_from` is a declared entry point.

A playbook that needs a role's internals calls an entry point of the role's
meta/argument_specs.yml, whose public variables are documented and checked.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
SOURCES = sorted(
    [
        *REPO.glob("*.yml"),
        *REPO.glob("playbooks/**/*.yml"),
        *REPO.glob("roles/*/tasks/*.yml"),
        *REPO.glob("molecule/**/*.yml"),
    ]
)


def includes(node):
    """Yield (role, tasks_from) of every include_role/import_role in a parsed YAML document."""
    if isinstance(node, dict):
        for key in ("ansible.builtin.include_role", "ansible.builtin.import_role", "include_role", "import_role"):
            spec = node.get(key)
            if isinstance(spec, dict) and spec.get("tasks_from"):
                yield spec["name"], spec["tasks_from"]
        for value in node.values():
            yield from includes(value)
    elif isinstance(node, list):
        for item in node:
            yield from includes(item)


CALLS = sorted(
    {
        (str(path.relative_to(REPO)), role, tasks_from)
        for path in SOURCES
        for role, tasks_from in includes(yaml.safe_load(path.read_text()))
    }
)


def test_the_scan_finds_the_known_callers():
    assert ("playbooks/rolling_restart.yml", "kafkaops.kraft.kafka_kraft", "health_gate.yml") in CALLS


@pytest.mark.parametrize(("source", "role", "tasks_from"), CALLS)
def test_tasks_from_is_a_declared_entry_point(source, role, tasks_from):
    name = role.removeprefix("kafkaops.kraft.")
    specs = yaml.safe_load((REPO / "roles" / name / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    entry_point = Path(tasks_from).stem
    assert entry_point in specs, f"{source}: {role} tasks_from {tasks_from} is not declared in meta/argument_specs.yml"
