# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0
"""The collection's role defaults, read from each role's own defaults/main.yml.

A filter that reads another host's settings from hostvars sees no role defaults:
hostvars hold the inventory and facts only. Such a filter falls back to these
values, so every default is written once, in the role that owns it.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from ansible.errors import AnsibleFilterError

ROLES = Path(__file__).resolve().parents[2] / "roles"
_UNSET = object()


@lru_cache(maxsize=None)
def role_defaults(role: str) -> dict:
    path = ROLES / role / "defaults" / "main.yml"
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise AnsibleFilterError(f"cannot read the defaults of role {role} ({path}): {error}") from None


def role_default(role: str, name: str):
    """The literal default of ``name`` in ``role``; a templated default cannot stand in for a host's value."""
    defaults = role_defaults(role)
    if name not in defaults:
        raise AnsibleFilterError(f"role {role} has no default {name}")
    value = defaults[name]
    if isinstance(value, str) and ("{{" in value or "{%" in value):
        raise AnsibleFilterError(f"role {role}'s default {name} is a template; a filter needs a literal there")
    return value


def host_setting(hostvars_of_host, role: str, name: str):
    """A host's ``name``: its inventory's value (even an empty one), else ``role``'s default."""
    value = hostvars_of_host.get(name, _UNSET)
    return role_default(role, name) if value is _UNSET else value
