"""The alert rules pass promtool's unit tests, each with a firing and a quiet case, and link to their runbook.

The rules are a template of the prometheus role (thresholds are role variables);
promtool tests them as the role renders them with its defaults.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from kafkaops_apps.lag_exporter.exporter import METRICS, PREFIX

from tests.support.dashboards import alert_expressions, metric_names, rendered_alerts

HERE = Path(__file__).parent
TESTS = HERE / "alerts_test.yml"
DOCS = HERE.parents[2] / "docs" / "monitoring.md"
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(PROMTOOL is None, reason="promtool (Debian package prometheus) is not installed")


ROLE = HERE.parents[2] / "roles" / "prometheus"


def rules(overrides=None):
    return [r for g in yaml.safe_load(rendered_alerts(overrides))["groups"] for r in g["rules"]]


def promtool_tests(tmp_path, overrides=None, tests_text=None):
    """``promtool test rules`` on the rules rendered with the role's defaults (and ``overrides``)."""
    rendered = tmp_path / "kafkaops-alerts.yml"
    rendered.write_text(rendered_alerts(overrides))
    check = subprocess.run([PROMTOOL, "check", "rules", str(rendered)], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    (tmp_path / TESTS.name).write_text(tests_text or TESTS.read_text())
    return subprocess.run(
        [PROMTOOL, "test", "rules", TESTS.name], cwd=tmp_path, capture_output=True, text=True, check=False
    )


@needs_promtool
def test_rules_pass_promtool_check_and_unit_tests(tmp_path):
    run = promtool_tests(tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr


def test_thresholds_are_the_roles_variables_with_documented_defaults():
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    specs = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
    thresholds = {k: v for k, v in defaults.items() if k.startswith("prometheus_alert_")}
    assert thresholds == {
        "prometheus_alert_under_replicated_for": "1m",
        "prometheus_alert_broker_down_for": "1m",
        "prometheus_alert_quorum_lag_records": 1000,
        "prometheus_alert_log_dir_used_percent": 80,
        "prometheus_alert_consumer_lag_records": 10000,
        "prometheus_alert_producer_503_percent": 5,
    }
    for name, value in thresholds.items():
        assert specs[name]["default"] == value, name
    assert all(name in DOCS.read_text() for name in thresholds)
    changed = {
        "prometheus_alert_under_replicated_for": "3m",
        "prometheus_alert_broker_down_for": "2m",
        "prometheus_alert_quorum_lag_records": 5000,
        "prometheus_alert_log_dir_used_percent": 90,
        "prometheus_alert_consumer_lag_records": 250,
        "prometheus_alert_producer_503_percent": 1.5,
    }
    by_name = {r["alert"]: r for r in rules(changed)}
    assert by_name["KafkaUnderReplicatedPartitions"]["for"] == "3m"
    assert by_name["KafkaBrokerDown"]["for"] == "2m"
    assert by_name["KafkaQuorumVoterLagging"]["expr"].endswith("> 5000")
    assert by_name["KafkaLogDirDiskFull"]["expr"].endswith("> 90")
    assert "(kafkaops_consumergroup_lag) > 250 and" in by_name["KafkaConsumerLagGrowing"]["expr"]
    assert by_name["ProducerHigh503Rate"]["expr"].endswith("> 1.5")


@needs_promtool
def test_a_changed_threshold_changes_what_fires(tmp_path):
    # The defaults' firing case for the consumer lag (50,000 records) stays quiet at a 60,000 threshold.
    run = promtool_tests(tmp_path, {"prometheus_alert_consumer_lag_records": 60000})
    assert run.returncode != 0
    assert "KafkaConsumerLagGrowing" in run.stdout + run.stderr


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
