"""Render a role's template through Ansible's own templating, filters included (for tests).

Role defaults, role vars and an inventory are layered as a play would see
them, so a template renders exactly what ``ansible.builtin.template`` writes
on the host, without running a play.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml
from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder

REPO = Path(__file__).resolve().parents[2]
ROLES = REPO / "roles"
_COLLECTIONS = REPO / "build" / "collections"

# Ansible resolves kafkaops.kraft.* filters through its collection finder. Other
# tests import the collection as a plain package from build/collections; those
# modules would shadow the finder's, so they are dropped and imported anew.
for _name in [m for m in sys.modules if m == "ansible_collections" or m.startswith("ansible_collections.")]:
    del sys.modules[_name]
_AnsibleCollectionFinder(paths=[str(_COLLECTIONS)])._install()

from ansible.parsing.dataloader import DataLoader  # noqa: E402
from ansible.template import Templar, trust_as_template  # noqa: E402


def _trusted(value):
    """Role files are trusted templates in a play; plain YAML loading does not mark them so."""
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, dict):
        return {k: _trusted(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_trusted(v) for v in value]
    return value


def _load(path: Path) -> dict:
    return _trusted(yaml.safe_load(path.read_text()) or {})


def role_defaults(role: str = "kafka_kraft") -> dict:
    """``roles/<role>/defaults/main.yml``."""
    return _load(ROLES / role / "defaults" / "main.yml")


def host_variables(inventory: dict, host: str, extra: dict | None = None, roles=("kafka_kraft",)) -> dict:
    """The variables ``host`` sees: roles' defaults < group vars < host vars < roles' vars < ``extra``.

    ``inventory`` is ``{"groups": {name: [hosts]}, "vars": {...}, "hosts": {host: {...}}}``;
    ``roles`` are the roles in scope, outermost first (a role that includes another lists both);
    none for a play's own tasks.
    """
    groups = {"all": sorted(inventory["hosts"]), **inventory["groups"]}
    hostvars = {}
    for name, own in inventory["hosts"].items():
        hostvars[name] = {
            **_trusted(inventory.get("vars", {})),
            **_trusted(own),
            "inventory_hostname": name,
            "group_names": sorted(g for g, members in inventory["groups"].items() if name in members),
        }
    variables = {}
    for role in roles:
        variables.update(role_defaults(role))
    variables.update(hostvars[host])
    for role in roles:
        if (ROLES / role / "vars" / "main.yml").exists():
            variables.update(_load(ROLES / role / "vars" / "main.yml"))
    return {
        **variables,
        "hostvars": hostvars,
        "groups": groups,
        "ansible_check_mode": False,
        "ansible_managed": "managed",
        **({"role_path": str(ROLES / roles[-1])} if roles else {}),
        **_trusted(extra or {}),
    }


def evaluate(variables: dict, expression: str):
    """The value of one Jinja expression, e.g. ``_kafka_kraft_local_nodes``."""
    return Templar(loader=DataLoader(), variables=variables).template(trust_as_template("{{ " + expression + " }}"))


def render(template: str, variables: dict, role: str = "kafka_kraft") -> str:
    """What ``ansible.builtin.template`` writes for ``roles/<role>/templates/<template>``."""
    source = trust_as_template((ROLES / role / "templates" / template).read_text())
    return Templar(loader=DataLoader(), variables=variables).template(source, escape_backslashes=False)
