"""Each role's meta/argument_specs.yml agrees with its defaults/main.yml.

A documented default is the value defaults/main.yml sets, and every variable
defaults/main.yml sets is declared in the role's main entry point, so the
documentation (ansible-doc -t role, the role READMEs) cannot drift from what
the role does.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROLES = Path(__file__).resolve().parents[3] / "roles"
ROLE_DIRS = sorted(p for p in ROLES.iterdir() if (p / "meta" / "argument_specs.yml").is_file())


# A default that falls back to an older variable name: "{{ old_name | default(VALUE) }}".
FALLBACK = re.compile(r"^\{\{\s*[a-z_][a-z0-9_]*\s*\|\s*default\((?P<value>.*)\)\s*\}\}$", re.S)


def load(path: Path) -> dict:
    return (yaml.safe_load(path.read_text()) or {}) if path.is_file() else {}


def effective(value):
    """The value a default resolves to when the older name it falls back to is unset."""
    match = FALLBACK.match(value) if isinstance(value, str) else None
    return yaml.safe_load(match["value"]) if match else value


@pytest.mark.parametrize("role", ROLE_DIRS, ids=lambda p: p.name)
def test_documented_defaults_are_the_role_defaults(role):
    defaults = load(role / "defaults" / "main.yml")
    specs = load(role / "meta" / "argument_specs.yml")["argument_specs"]
    wrong = {}
    for entry_point, spec in specs.items():
        for name, option in (spec.get("options") or {}).items():
            if "default" in option and (name not in defaults or effective(defaults[name]) != option["default"]):
                wrong[f"{entry_point}.{name}"] = (option["default"], defaults.get(name, "<not in defaults/main.yml>"))
    assert not wrong, "argument_specs default vs defaults/main.yml: " + repr(wrong)


@pytest.mark.parametrize("role", ROLE_DIRS, ids=lambda p: p.name)
def test_every_role_default_is_declared(role):
    defaults = load(role / "defaults" / "main.yml")
    declared = load(role / "meta" / "argument_specs.yml")["argument_specs"]["main"].get("options") or {}
    assert sorted(set(defaults) - set(declared)) == []


def test_every_role_has_argument_specs():
    assert [p.name for p in ROLE_DIRS] == sorted(p.name for p in ROLES.iterdir() if p.is_dir())
