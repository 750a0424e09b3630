"""Every PromQL expression of the Grafana dashboards and alert rules, for tests.

The unit tests parse them with promtool; a Molecule test can evaluate
``panel_expressions()`` against the lab's Prometheus (HTTP API /api/v1/query)
and require at least one series each, so a renamed metric fails the build.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
DASHBOARDS = REPO / "roles" / "prometheus" / "files" / "grafana" / "dashboards"
# A template: the thresholds are the prometheus role's prometheus_alert_* variables.
ALERTS = REPO / "roles" / "prometheus" / "templates" / "kafkaops-alerts.yml.j2"
# Grafana's variables, as a query through the API needs them: every value of a
# multi-value variable, and a rate window of a few scrape intervals.
VARIABLES = {"$__rate_interval": "1m", "$node": ".*", "$host": ".*", "$group": ".*"}


def promql(expr: str) -> str:
    """The expression with Grafana's variables replaced, ready for Prometheus."""
    for name in sorted(VARIABLES, key=len, reverse=True):
        expr = expr.replace(name, VARIABLES[name])
    if "$" in expr:
        raise ValueError(f"unknown Grafana variable in {expr!r}")
    return expr


def _panels(panels):
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels") or [])


def panel_expressions() -> list[dict]:
    """One entry per panel query: dashboard file, panel title, refId, the raw ``expr`` and ``promql``."""
    found = []
    for path in sorted(DASHBOARDS.glob("*.json")):
        dashboard = json.loads(path.read_text())
        for panel in _panels(dashboard.get("panels") or []):
            for target in panel.get("targets") or []:
                found.append(
                    {
                        "dashboard": path.name,
                        "panel": panel["title"],
                        "ref": target["refId"],
                        "expr": target["expr"],
                        "promql": promql(target["expr"]),
                    }
                )
    return found


def rendered_alerts(overrides: dict | None = None) -> str:
    """The alert rules as the prometheus role installs them: its template, its defaults, then ``overrides``."""
    from tests.support.ansible_templates import host_variables, render

    inventory = {"hosts": {"mon1": {}}, "groups": {"kafka_monitoring": ["mon1"]}}
    variables = host_variables(inventory, "mon1", overrides, roles=("prometheus",))
    return render(ALERTS.name, variables, role="prometheus")


def alert_expressions() -> list[dict]:
    """One entry per alert rule (as rendered with the role's defaults): its name and ``expr``."""
    rules = yaml.safe_load(rendered_alerts())
    return [{"alert": r["alert"], "expr": r["expr"]} for g in rules["groups"] for r in g["rules"]]


def metric_names(expr: str) -> set[str]:
    """Metric names an expression reads (identifiers outside label matchers that are not PromQL words)."""
    bare = re.sub(r"\{[^}]*\}", "", re.sub(r'"[^"]*"', "", re.sub(r"\$\w+", "", expr)))
    bare = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", bare)
    words = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", bare))
    return {w for w in words if "_" in w and not w.startswith("histogram_") and w not in {"group_left", "group_right"}}


if __name__ == "__main__":
    print(json.dumps(panel_expressions(), indent=2))
