"""The prometheus role's scrape targets come from the inventory, and the rendered prometheus.yml passes promtool.

kraft_scrape_configs runs on inventories shaped like the lab (three combined
nodes, one apps host), the single-VM layout (two nodes on one host) and the
secure profile (apps with bearer tokens); the role's template renders each
into a file that ``promtool check config`` accepts.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from tests.support.ansible_templates import evaluate, host_variables, render
from tests.support.dashboards import rendered_alerts

REPO = Path(__file__).resolve().parents[3]
PROMTOOL = shutil.which("promtool")
COMBINED = ["kafka_controllers", "kafka_brokers"]


def inventory(kafka_hosts, apps=None, monitoring="mon1", group_vars=None):
    hosts = {**kafka_hosts, **(apps or {}), monitoring: {"ansible_host": "10.0.0.40"}}
    groups = {"kafka": sorted(kafka_hosts), "kafka_apps": sorted(apps or {}), "kafka_monitoring": [monitoring]}
    for group in COMBINED:
        groups[group] = sorted(h for h, v in kafka_hosts.items() if "kafka_kraft_nodes" in v or group in v["_in"])
    for spec in kafka_hosts.values():
        spec.pop("_in", None)
    return {"hosts": hosts, "groups": groups, "vars": {"kafka_kraft_jmx_exporter_enabled": True, **(group_vars or {})}}


def three(group_vars=None, app_vars=None):
    kafka = {
        f"kafka{i}": {"kafka_kraft_node_id": i, "ansible_host": f"10.0.0.1{i}", "_in": COMBINED} for i in (1, 2, 3)
    }
    for i in (1, 2, 3):
        kafka[f"kafka{i}"]["kafka_kraft_advertised_host"] = f"10.0.0.1{i}"
    return inventory(kafka, {"apps1": {"ansible_host": "10.0.0.20", **(app_vars or {})}}, group_vars=group_vars)


def single_vm():
    kafka = {"vm1": {"kafka_kraft_nodes": [{"id": 1}, {"id": 2}], "ansible_host": "10.0.0.31"}}
    return inventory(kafka, {"vm1": kafka["vm1"]} | {}, group_vars={"fastapi_consumer_instances": 2})


TOKENS = {"prometheus_producer_token": "producer-token-1", "prometheus_consumer_token": "consumer-token-1"}
SECURE_APPS = {
    "fastapi_producer_api_auth": True,
    "fastapi_producer_api_tokens": ["producer-token-1"],
    "fastapi_consumer_api_auth": True,
    "fastapi_consumer_api_tokens": ["consumer-token-1"],
}


# The secure profile's exporters: HTTPS (TLS on) and basic auth, set for every host.
SECURE_CLUSTER = {"kafka_kraft_tls_enabled": True, "kafka_kraft_jmx_exporter_password": "scrape-Secret-5c1d"}
SCRAPE_FILES = {"prometheus_kafka_ca_src": "/pki/ca.crt"}


def variables(inv, host="mon1", **extra):
    return host_variables(inv, host, extra, roles=("prometheus",))


def jobs(inv, **extra):
    return {job["job_name"]: job for job in evaluate(variables(inv, **extra), "_prometheus_scrape_configs")}


def targets(job):
    return [(group["targets"][0], group.get("labels", {})) for group in job["static_configs"]]


def test_every_node_app_instance_and_the_monitoring_host_is_a_target():
    found = jobs(three())
    assert sorted(found) == [
        "alertmanager",
        "kafka",
        "kafka-lag",
        "kafkaops-consumer",
        "kafkaops-producer",
        "prometheus",
    ]
    assert targets(found["kafka"]) == [
        (f"10.0.0.1{i}:7071", {"host": f"kafka{i}", "node_id": str(i), "kafka_roles": "broker,controller"})
        for i in (1, 2, 3)
    ]
    assert targets(found["kafkaops-producer"]) == [("10.0.0.20:8001", {"host": "apps1", "app": "producer"})]
    assert targets(found["kafkaops-consumer"]) == [("10.0.0.20:8002", {"host": "apps1", "app": "consumer"})]
    assert targets(found["kafka-lag"]) == [("127.0.0.1:9308", {})]
    assert targets(found["prometheus"]) == [("127.0.0.1:9090", {})]
    assert "authorization" not in found["kafkaops-producer"]


def test_several_nodes_on_one_host_get_consecutive_exporter_ports_like_kafka_kraft():
    found = jobs(single_vm())
    assert [t for t, _labels in targets(found["kafka"])] == ["vm1:7071", "vm1:7072"]
    assert [t for t, _labels in targets(found["kafkaops-consumer"])] == ["10.0.0.31:8002", "10.0.0.31:8003"]


def test_exporter_port_and_app_ports_follow_the_inventory():
    inv = three(
        {"kafka_kraft_jmx_exporter_port": 17071, "fastapi_producer_port": 9001, "fastapi_consumer_base_port": 9002}
    )
    found = jobs(inv)
    assert targets(found["kafka"])[0][0] == "10.0.0.11:17071"
    assert [t for t, _l in targets(found["kafkaops-producer"]) + targets(found["kafkaops-consumer"])] == [
        "10.0.0.20:9001",
        "10.0.0.20:9002",
    ]


def test_apps_with_api_auth_are_scraped_with_their_token_file():
    found = jobs(three(app_vars=SECURE_APPS), **TOKENS)
    assert found["kafkaops-producer"]["authorization"] == {
        "type": "Bearer",
        "credentials_file": "/etc/prometheus/kafkaops/producer.token",
    }
    assert found["kafkaops-consumer"]["authorization"]["credentials_file"] == "/etc/prometheus/kafkaops/consumer.token"


def test_the_token_defaults_to_the_apps_first_token():
    # As in the GCP profile: the tokens are group vars of kafka_apps, the monitoring host reads them there.
    inv = three(app_vars=SECURE_APPS)
    for name, value in SECURE_APPS.items():
        inv["hosts"]["mon1"][name] = value
    assert evaluate(variables(inv), "prometheus_producer_token") == "producer-token-1"


def test_metrics_auth_turned_off_needs_no_token():
    app_vars = {**SECURE_APPS, "fastapi_producer_extra_env": {"METRICS_AUTH": "false"}}
    found = jobs(three(app_vars=app_vars), prometheus_consumer_token=TOKENS["prometheus_consumer_token"])
    assert "authorization" not in found["kafkaops-producer"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"group_vars": {"kafka_kraft_jmx_exporter_enabled": False}}, "kafka_kraft_jmx_exporter_enabled=true"),
        ({"app_vars": SECURE_APPS}, "set prometheus_producer_token"),
        ({"app_vars": {"fastapi_app_behind_proxy": True}}, "listen on loopback only"),
    ],
)
def test_an_inventory_the_scrapes_cannot_work_with_fails_saying_what_to_change(change, message):
    with pytest.raises(AnsibleFilterError, match=message):
        jobs(three(**change))


def test_exporters_with_tls_and_a_password_are_scraped_over_https_with_basic_auth_from_files():
    found = jobs(three(SECURE_CLUSTER), **SCRAPE_FILES)
    assert found["kafka"]["scheme"] == "https"
    assert found["kafka"]["tls_config"] == {"ca_file": "/etc/prometheus/kafkaops/kafka-ca.crt"}
    assert found["kafka"]["basic_auth"] == {
        "username": "prometheus",
        "password_file": "/etc/prometheus/kafkaops/jmx-exporter.password",
    }
    # The password stays in its file: nothing in the scrape config holds it.
    assert "scrape-Secret-5c1d" not in str(found)


def test_exporters_without_security_stay_plain_http():
    kafka = jobs(three())["kafka"]
    assert "scheme" not in kafka and "tls_config" not in kafka and "basic_auth" not in kafka


def test_exporter_username_and_tls_switch_follow_the_kafka_hosts():
    found = jobs(
        three({**SECURE_CLUSTER, "kafka_kraft_jmx_exporter_tls": False, "kafka_kraft_jmx_exporter_username": "scraper"})
    )
    assert "scheme" not in found["kafka"]
    assert found["kafka"]["basic_auth"]["username"] == "scraper"


@pytest.mark.parametrize(
    ("change", "extra", "message"),
    [
        # One host without the password: one job cannot scrape both kinds.
        ({"kafka2": {"kafka_kraft_jmx_exporter_password": ""}}, {}, "differ in HTTPS or basic auth"),
        ({}, {"prometheus_jmx_exporter_password": ""}, "set prometheus_jmx_exporter_password"),
        ({}, {"prometheus_kafka_ca_src": ""}, "set prometheus_kafka_ca_src"),
    ],
)
def test_secure_exporters_the_scrapes_cannot_reach_fail_saying_what_to_change(change, extra, message):
    inv = three(SECURE_CLUSTER)
    for host, values in change.items():
        inv["hosts"][host].update(values)
    with pytest.raises(AnsibleFilterError, match=message):
        jobs(inv, **extra)


def test_without_the_lag_exporter_there_is_no_lag_job():
    assert "kafka-lag" not in jobs(three(), prometheus_lag_exporter_enabled=False)


def _render_config(tmp_path, inv, **extra):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "kafkaops-alerts.yml").write_text(rendered_alerts())
    values = variables(inv, prometheus_rules_dir=str(rules), **extra)
    values["_prometheus_secrets_dir"] = str(tmp_path)
    for name in ("producer.token", "consumer.token", "jmx-exporter.password"):
        (tmp_path / name).write_text("secret")
    (tmp_path / "kafka-ca.crt").write_text("")
    config = tmp_path / "prometheus.yml"
    config.write_text(render("prometheus.yml.j2", values, role="prometheus"))
    return config


@pytest.mark.skipif(PROMTOOL is None, reason="promtool (Debian package prometheus) is not installed")
@pytest.mark.parametrize(
    ("inv", "extra"),
    [
        pytest.param(three(), {}, id="lab"),
        pytest.param(single_vm(), {}, id="single_vm"),
        pytest.param(
            three(SECURE_CLUSTER, app_vars=SECURE_APPS),
            {**TOKENS, **SCRAPE_FILES},
            id="secure",
        ),
    ],
)
def test_rendered_config_passes_promtool_check_config(tmp_path, inv, extra):
    config = _render_config(tmp_path, inv, **extra)
    result = subprocess.run([PROMTOOL, "check", "config", str(config)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 1 rule files found" in result.stdout
    loaded = yaml.safe_load(config.read_text())
    assert loaded["rule_files"] == [f"{tmp_path}/rules/*.yml"]
    assert loaded["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == ["127.0.0.1:9093"]


def test_retention_is_bounded_by_time_and_size():
    args = evaluate(variables(three()), "_prometheus_args").split()
    assert "--storage.tsdb.retention.time=15d" in args
    assert "--storage.tsdb.retention.size=5GB" in args


def test_lag_exporter_settings_pass_its_own_check():
    from kafkaops_apps.lag_exporter.exporter import config_errors

    settings = evaluate(variables(three()), "_prometheus_lag_exporter_settings")
    assert settings["bootstrap_servers"] == ["10.0.0.11:9092", "10.0.0.12:9092", "10.0.0.13:9092"]
    assert config_errors(settings) == []
    secure = evaluate(
        variables(
            three(),
            prometheus_lag_security_protocol="SASL_SSL",
            prometheus_lag_sasl_mechanism="SCRAM-SHA-512",
            prometheus_lag_sasl_username="admin",
            prometheus_lag_sasl_password=TOKENS["prometheus_producer_token"],
            prometheus_lag_ssl_ca_src="/pki/ca.crt",
        ),
        "_prometheus_lag_exporter_settings",
    )
    assert secure["ssl_cafile"] == "/etc/kafkaops/lag-exporter-ca.crt"
    assert config_errors(secure) == []


def test_the_monitoring_host_firewall_opens_its_ports():
    inv = three()
    values = host_variables(inv, "mon1", {"_firewall_cluster": ["10.0.0.11"]}, roles=("firewall",))
    assert evaluate(values, "_firewall_rules")[-1] == (
        'tcp dport { 9090, 9093 } ip saddr { 10.0.0.0/8 } accept comment "monitoring"'
    )
    other = host_variables(inv, "apps1", {"_firewall_cluster": ["10.0.0.11"]}, roles=("firewall",))
    assert not any("monitoring" in rule for rule in evaluate(other, "_firewall_rules"))
