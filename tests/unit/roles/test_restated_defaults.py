"""Role defaults restated elsewhere agree with the role's own defaults/main.yml.

A filter that reads a host's variables from hostvars sees no role defaults; the
filters read them from the roles' defaults files (plugins/plugin_utils/role_defaults.py).
A role's defaults may still restate another role's
("{{ prometheus_port | default(9090) }}"). A copy that drifts
from its source would make a port or a switch differ between the role that
sets it up and the one that opens or scrapes it.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[3]
ROLES = REPO / "roles"
DEFAULTS = {
    p.name: yaml.safe_load((p / "defaults" / "main.yml").read_text()) or {}
    for p in sorted(ROLES.iterdir())
    if (p / "defaults" / "main.yml").is_file()
}
# "{{ name | default(literal) }}"; default(x, true) also replaces empty values, so it is no restatement.
RESTATED = re.compile(r"\b([a-z][a-z0-9_]*)\s*\|\s*default\(\s*('[^']*'|-?\d+|true|false|\[\])\s*\)")


def _plugin(name):
    spec = importlib.util.spec_from_file_location(f"_restated_{name}", REPO / "plugins" / "filter" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _owners(name):
    return [role for role, values in DEFAULTS.items() if name in values]


def test_the_filters_restate_no_role_default():
    """The node model and the scrape targets read the roles' defaults files; no copy of them exists in Python."""
    for name in ("kraft", "kraft_monitoring", "kraft_server", "kraft_network"):
        plugin = _plugin(name)
        assert not hasattr(plugin, "DEFAULTS")
        assert not hasattr(plugin, "APP_DEFAULTS")


def test_the_monitoring_app_settings_name_the_role_that_owns_each():
    owners = _plugin("kraft_monitoring").APP_SETTING_ROLES
    assert {name: _owners(name) for name in owners} == {name: [role] for name, role in owners.items()}


def _restatements():
    for role, values in DEFAULTS.items():
        for variable, value in values.items():
            for name, literal in RESTATED.findall(value) if isinstance(value, str) else []:
                owners = _owners(name)
                if owners and role not in owners:
                    yield pytest.param(name, literal, owners, id=f"{role}.{variable}:{name}")


@pytest.mark.parametrize(("name", "literal", "owners"), list(_restatements()))
def test_a_role_restating_another_roles_default_restates_it_unchanged(name, literal, owners):
    assert [yaml.safe_load(literal)] == [DEFAULTS[owner][name] for owner in owners]


def test_the_firewalls_restatements_are_checked():
    found = {p.values[0] for p in _restatements() if p.id.startswith("firewall.")}
    assert {"prometheus_port", "prometheus_alertmanager_port", "kafka_kraft_cluster_group"} <= found


def test_the_firewalls_app_ports_are_the_apps_default_ports():
    fallback = re.fullmatch(r"\{\{\s*\w+\s*\|\s*default\((.*)\)\s*\}\}", DEFAULTS["firewall"]["firewall_app_ports"])
    producer, consumer = DEFAULTS["fastapi_producer"], DEFAULTS["fastapi_consumer"]
    base, instances = consumer["fastapi_consumer_base_port"], consumer["fastapi_consumer_instances"]
    assert yaml.safe_load(fallback[1]) == [producer["fastapi_producer_port"], *range(base, base + instances)]
