"""The lag exporter turns GroupLagReader reads and DescribeLogDirs answers into metrics, and survives Kafka failing.

It runs the kafka_consumer_lag module's lag code: lag.py and kafka_client.py of its package
are links to plugins/module_utils, so there is one copy to fix and test.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from kafkaops_apps.lag_exporter.exporter import (
    LagCollector,
    config_errors,
    samples,
)
from kafkaops_apps.lag_exporter.lag import compute_lag
from prometheus_client import CollectorRegistry, generate_latest

REPO = Path(__file__).resolve().parents[3]
PACKAGE = REPO / "apps" / "kafkaops_apps" / "lag_exporter"


def group_read(group, members, committed):
    keys = [("t", 0), ("t", 1)]
    lag = compute_lag(keys, committed, {("t", 0): 100, ("t", 1): 50}, {("t", 0): 0, ("t", 1): 0})
    return dict(group=group, state="Empty" if members == 0 else "Stable", members=members, **lag)


LOG_DIRS = [
    {
        "broker": 1,
        "log_dirs": [{"log_dir": "/var/kafka/logs", "error_code": 0, "total_bytes": 1000, "usable_bytes": 250}],
    },
    # Kafka before 3.3 reports no sizes (-1): left out rather than reported as full.
    {"broker": 2, "log_dirs": [{"log_dir": "/var/kafka/logs", "error_code": 0, "total_bytes": -1, "usable_bytes": -1}]},
    {"broker": 3, "log_dirs": [{"log_dir": "/bad", "error_code": 57, "total_bytes": 10, "usable_bytes": 1}]},
]


def test_samples_report_lag_per_group_topic_partition_even_without_members():
    found = samples([group_read("g", 0, {("t", 0): 40})], LOG_DIRS)
    by_name = {}
    for name, labels, value in found:
        by_name.setdefault(name, []).append((labels, value))
    assert by_name["consumergroup_lag"] == [
        ({"group": "g", "topic": "t", "partition": "0"}, 60),
        ({"group": "g", "topic": "t", "partition": "1"}, 50),
    ]
    assert by_name["consumergroup_committed_offset"][1] == ({"group": "g", "topic": "t", "partition": "1"}, -1)
    assert by_name["consumergroup_members"] == [({"group": "g"}, 0)]
    assert by_name["consumergroup_state"] == [({"group": "g", "state": "Empty"}, 1)]
    assert by_name["partition_log_end_offset"] == [
        ({"topic": "t", "partition": "0"}, 100),
        ({"topic": "t", "partition": "1"}, 50),
    ]
    assert by_name["log_dir_total_bytes"] == [({"broker": "1", "log_dir": "/var/kafka/logs"}, 1000)]
    assert by_name["log_dir_usable_bytes"] == [({"broker": "1", "log_dir": "/var/kafka/logs"}, 250)]


class FakeAdmin:
    def __init__(self, groups, fail=False):
        self.groups = groups
        self.fail = fail
        self.closed = False

    def list_groups(self):
        if self.fail:
            raise ConnectionError("no broker")
        return [{"group_id": g, "protocol_type": "consumer"} for g in self.groups] + [
            {"group_id": "connect-cluster", "protocol_type": "connect"}
        ]

    def close(self):
        self.closed = True


class FakeCollector(LagCollector):
    """Reads from a canned group list; the GroupLagReader part is covered by compute_lag and the module tests."""

    def read(self):
        if self.admin is None:
            self.admin = self.admin_factory()
        return samples([group_read(g, 1, {("t", 0): 100, ("t", 1): 50}) for g in self.group_ids()], LOG_DIRS)


def scrape(collector):
    registry = CollectorRegistry()
    registry.register(collector)
    return generate_latest(registry).decode()


def test_a_scrape_lists_consumer_groups_only_and_reports_kafka_up():
    text = scrape(FakeCollector({}, admin_factory=lambda: FakeAdmin(["b", "a"])))
    assert 'kafkaops_consumergroup_lag{group="a",partition="0",topic="t"} 0.0' in text
    assert 'group="connect-cluster"' not in text
    assert "kafkaops_lag_exporter_kafka_up 1.0" in text


def test_configured_groups_are_read_without_listing():
    collector = FakeCollector({"groups": ["only"]}, admin_factory=lambda: FakeAdmin([], fail=True))
    assert 'group="only"' in scrape(collector)


def test_a_failed_scrape_reports_kafka_down_and_reconnects_next_time():
    admins = [FakeAdmin(["a"], fail=True), FakeAdmin(["a"])]
    first = admins[0]
    collector = FakeCollector({}, admin_factory=lambda: admins.pop(0))
    text = scrape(collector)
    assert "kafkaops_lag_exporter_kafka_up 0.0" in text
    assert "kafkaops_consumergroup_lag{" not in text
    assert first.closed and collector.admin is None
    assert "kafkaops_lag_exporter_kafka_up 1.0" in scrape(collector)


def test_every_scrape_connects_anew_and_closes_its_client():
    """A client kept between scrapes would miss a restarted broker's groups until its metadata refresh."""
    admins = [FakeAdmin(["a"]), FakeAdmin(["a", "b"])]
    first, second = admins
    collector = FakeCollector({}, admin_factory=lambda: admins.pop(0))
    assert 'group="b"' not in scrape(collector)
    assert first.closed and collector.admin is None
    assert 'group="b"' in scrape(collector)
    assert second.closed and admins == []


def test_config_errors_name_unknown_keys_and_bad_connections():
    assert config_errors({"bootstrap_servers": ["k1:9092"]}) == []
    errors = config_errors({"bootstrap_servers": ["k1"], "group": "x", "security_protocol": "SASL_SSL"})
    assert "unknown setting 'group'" in errors
    assert any("not host:port" in e for e in errors)
    assert any("needs sasl_mechanism" in e for e in errors)


def test_the_lag_code_is_the_modules_own_files():
    for name in ("lag.py", "kafka_client.py"):
        link = PACKAGE / name
        assert link.is_symlink(), f"{link} is a copy; link it to plugins/module_utils/{name}"
        assert link.resolve() == REPO / "plugins" / "module_utils" / name


def test_it_runs_without_ansible():
    """The exporter's virtualenv has the apps' lock only: nothing it imports may need Ansible."""
    code = (
        "import sys; sys.modules['ansible'] = None; sys.modules['ansible_collections'] = None\n"
        "from kafkaops_apps.lag_exporter import exporter\n"
        "print(exporter.config_errors({'bootstrap_servers': ['k1:9092']}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO / "apps", capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_usage_without_a_config_file(capsys):
    from kafkaops_apps.lag_exporter.exporter import main

    assert main([]) == 2
    assert "usage: python -m kafkaops_apps.lag_exporter CONFIG.json" in capsys.readouterr().err
