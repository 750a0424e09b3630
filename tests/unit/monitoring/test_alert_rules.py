"""The alert rules pass promtool's unit tests, each with a firing and a quiet case, and link to their runbook."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from ansible_collections.kafkaops.kraft.plugins.module_utils.lag_exporter import METRICS, PREFIX

from tests.support.dashboards import ALERTS, alert_expressions, metric_names

HERE = Path(__file__).parent
TESTS = HERE / "alerts_test.yml"
DOCS = HERE.parents[2] / "docs" / "monitoring.md"
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason="promtool (Debian package prometheus) is not installed")


def rules():
    return [r for g in yaml.safe_load(ALERTS.read_text())["groups"] for r in g["rules"]]


@needs_promtool
def test_rules_pass_promtool_check_and_unit_tests():
    check = subprocess.run([PROMTOOL, "check", "rules", str(ALERTS)], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    run = subprocess.run([PROMTOOL, "test", "rules", TESTS.name], cwd=HERE, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr


def test_every_alert_has_a_firing_and_a_quiet_case():
    cases = {}
    for test in yaml.safe_load(TESTS.read_text())["tests"]:
        for check in test["alert_rule_test"]:
            cases.setdefault(check["alertname"], set()).add("fires" if check.get("exp_alerts") else "quiet")
    assert {r["alert"]: cases.get(r["alert"], set()) for r in rules()} == {
        r["alert"]: {"fires", "quiet"} for r in rules()
    }


def test_every_alert_links_to_its_runbook_section():
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        for line in DOCS.read_text().splitlines()
        if line.startswith("#")
    }
    for rule in rules():
        url = rule["annotations"]["runbook_url"]
        assert url.endswith(f"docs/monitoring.md#{rule['alert'].lower()}"), url
        assert rule["alert"].lower() in anchors, f"docs/monitoring.md has no section {rule['alert']}"
        assert rule["labels"]["severity"] in ("warning", "critical")


def test_lag_exporter_metrics_the_rules_read_exist():
    known = {PREFIX + name for name in METRICS}
    used = set()
    for entry in alert_expressions():
        used |= {n for n in metric_names(entry["expr"]) if n.startswith(PREFIX)}
    assert used and used <= known
