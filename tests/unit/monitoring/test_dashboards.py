"""The Grafana dashboards: every panel has a query, every query parses, every metric it reads exists.

promtool has no command that parses a bare expression, so each one becomes a
recording rule of a scratch rules file that ``promtool check rules`` parses.
tests/support/dashboards.py lists the expressions; Molecule evaluates them too.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from kafkaops_apps.lag_exporter.exporter import METRICS, PREFIX

from tests.support.dashboards import DASHBOARDS, metric_names, panel_expressions

REPO = Path(__file__).resolve().parents[3]
PROVISIONING = DASHBOARDS.parent / "provisioning"
PROMTOOL = shutil.which("promtool")


def app_metric_names():
    """Names the apps register (Counter/Gauge/Histogram and collector families), as Prometheus exposes them."""
    names = set()
    for path in (REPO / "apps" / "kafkaops_apps").rglob("*.py"):
        for kind, name in re.findall(
            r'(Counter|Gauge|Histogram|CounterMetricFamily)\(\s*"([a-z_]+)"', path.read_text()
        ):
            if kind in ("Counter", "CounterMetricFamily"):
                names.add(name + "_total")
            elif kind == "Histogram":
                names |= {name + "_bucket", name + "_sum", name + "_count"}
            else:
                names.add(name)
    return names


def test_the_four_dashboards_have_queries_in_every_panel():
    files = sorted(p.name for p in DASHBOARDS.glob("*.json"))
    assert files == ["kafkaops-apps.json", "kafkaops-broker.json", "kafkaops-cluster.json", "kafkaops-lag.json"]
    uids = set()
    for path in DASHBOARDS.glob("*.json"):
        dashboard = json.loads(path.read_text())
        uids.add(dashboard["uid"])
        for panel in dashboard["panels"]:
            assert panel.get("targets"), f"{path.name}: panel {panel['title']!r} has no query"
            assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}
    assert len(uids) == 4
    assert len(panel_expressions()) >= 30


@pytest.mark.skipif(PROMTOOL is None, reason="promtool (Debian package prometheus) is not installed")
def test_every_panel_expression_parses(tmp_path):
    entries = panel_expressions()
    rules = {
        "groups": [
            {
                "name": "panels",
                "rules": [{"record": f"panel:expr_{i}", "expr": e["promql"]} for i, e in enumerate(entries)],
            }
        ]
    }
    scratch = tmp_path / "panels.yml"
    scratch.write_text(yaml.safe_dump(rules))
    result = subprocess.run([PROMTOOL, "check", "rules", str(scratch)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(entries)} rules found" in result.stdout


def test_app_and_lag_metrics_the_panels_read_exist():
    known = app_metric_names() | {PREFIX + name for name in METRICS}
    used = set()
    for entry in panel_expressions():
        used |= {n for n in metric_names(entry["expr"]) if n.startswith(("producer_", "consumer_", PREFIX))}
    assert "producer_http_requests_total" in known and "consumer_sse_clients" in known
    assert sorted(used - known) == []


def test_provisioning_points_grafana_at_the_dashboards():
    provider = yaml.safe_load((PROVISIONING / "dashboards.yml").read_text())["providers"][0]
    assert provider["type"] == "file" and provider["options"]["path"]
    source = yaml.safe_load((PROVISIONING / "datasources.yml").read_text())["datasources"][0]
    assert source["type"] == "prometheus"
