"""Render a kafka_kraft template with the role's defaults, without Ansible (for tests)."""

from __future__ import annotations

from pathlib import Path

import jinja2
import yaml

REPO = Path(__file__).resolve().parents[2]
ROLE = REPO / "roles" / "kafka_kraft"


def role_defaults() -> dict:
    return yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())


def render(template: str, **overrides) -> str:
    # Properties files, not HTML: nothing to escape.
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False)  # noqa: S701
    source = (ROLE / "templates" / template).read_text()
    return env.from_string(source).render(ansible_managed="managed", **{**role_defaults(), **overrides})
