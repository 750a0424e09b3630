"""Monitoring on the secured cluster: Prometheus on sec-apps1, the authorizer on.

- Every scrape target is up, the brokers' JMX exporters over HTTPS with basic
  auth (the password from a file Prometheus alone reads).
- An exporter refuses a scrape without credentials, with a wrong password and
  over plain HTTP.
- The lag exporter reports test-group's lag while the authorizer is on, as its
  own user (test_authz.py checks that this user can neither write nor read).
"""

from __future__ import annotations

import json
import time
import urllib.parse

from kraft_testlib import hosts, http, http_json, until

APPS = hosts("sec-apps1")["sec-apps1"]
PROMETHEUS = "http://127.0.0.1:9090"
CA = "/etc/prometheus/kafkaops/kafka-ca.crt"
PASSWORD_FILE = "/etc/prometheus/kafkaops/jmx-exporter.password"  # noqa: S105 - a path
HARNESS = "kafkaops-test-harness"
# 3 nodes, 1 producer, 1 consumer instance, the lag exporter, Prometheus, Alertmanager.
TARGETS = {
    "kafka": 3, "kafkaops-producer": 1, "kafkaops-consumer": 1, "kafka-lag": 1, "prometheus": 1, "alertmanager": 1,
}  # fmt: skip

# One scrape of an exporter from sec-apps1; prints the HTTP status, or the error's class.
SCRAPE = r"""
import base64, ssl, sys, urllib.error, urllib.request
url, user, password_file = sys.argv[1], sys.argv[2], sys.argv[3]
request = urllib.request.Request(url)
if user:
    password = open(password_file).read() if password_file != "-" else "wrong-password-123"
    request.add_header("Authorization", "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode())
context = ssl.create_default_context(cafile=sys.argv[4]) if url.startswith("https") else None
try:
    print(urllib.request.urlopen(request, timeout=20, context=context).status)
except urllib.error.HTTPError as exc:
    print(exc.code)
except Exception as exc:
    print(type(exc).__name__)
"""


def prometheus(*paths: str) -> list:
    answers = http_json(APPS, *(PROMETHEUS + path for path in paths))
    assert all(a["status"] == "success" for a in answers), answers
    return [a["data"] for a in answers]


def query(promql: str) -> list:
    return prometheus(f"/api/v1/query?{urllib.parse.urlencode({'query': promql})}")[0]["result"]


def scrape(url: str, user: str = "", password_file: str = "") -> str:
    out = APPS.run(f"python3 -c %s %s %s %s %s  # {HARNESS}", SCRAPE, url, user, password_file or "-", CA)
    assert out.rc == 0, out.stderr
    return out.stdout.strip()


def test_every_target_is_up_the_brokers_over_https_with_basic_auth(figure):
    def all_up():
        targets = prometheus("/api/v1/targets?state=active")[0]["activeTargets"]
        counts = {job: sum(t["labels"]["job"] == job for t in targets) for job in TARGETS}
        return targets if counts == TARGETS and all(t["health"] == "up" for t in targets) else None

    began = time.monotonic()
    try:
        targets = until("every scrape target up", all_up, 120, 3)
    except AssertionError:
        found = prometheus("/api/v1/targets?state=active")[0]["activeTargets"]
        down = [(t["labels"]["job"], t["scrapeUrl"], t["health"], t["lastError"]) for t in found]
        raise AssertionError(f"targets (job, url, health, error): {down}") from None
    kafka = [t for t in targets if t["labels"]["job"] == "kafka"]
    assert all(t["scrapeUrl"].startswith("https://sec-kafka") for t in kafka), kafka
    (config,) = prometheus("/api/v1/status/config")
    assert f"password_file: {PASSWORD_FILE}" in config["yaml"] and f"ca_file: {CA}" in config["yaml"]
    password_file = APPS.file(PASSWORD_FILE)
    assert (password_file.user, password_file.group, password_file.mode) == ("root", "prometheus", 0o640)
    # Compared here, not with grep on the host: the password must not reach a command line.
    secret = password_file.content_string
    assert secret and secret not in APPS.file("/etc/prometheus/prometheus.yml").content_string
    figure(f"secure monitoring: {sum(TARGETS.values())} targets up, brokers over HTTPS with basic auth, "
           f"after {time.monotonic() - began:.0f} s")  # fmt: skip


def test_an_exporter_refuses_scrapes_without_the_right_credentials():
    url = "https://sec-kafka1:7071/metrics"
    assert scrape(url, "prometheus", PASSWORD_FILE) == "200"
    assert scrape(url) == "401"
    assert scrape(url, "prometheus") == "401"  # a wrong password
    plain = scrape("http://sec-kafka1:7071/metrics", "prometheus", PASSWORD_FILE)
    assert plain != "200", "the exporter answered plain HTTP"


def test_the_lag_exporter_reports_test_groups_lag_with_the_authorizer_on(figure):
    status, text = http(APPS, "POST", "http://127.0.0.1:8001/send", json.dumps({"monitoring": "lag"}),
                        {"Content-Type": "application/json"})  # fmt: skip
    assert status == 200, text
    began = time.monotonic()
    series = until(
        "test-group's lag in Prometheus",
        lambda: query('kafkaops_consumergroup_lag{group="test-group",topic="test-topic"}'),
        120,
        5,
    )
    assert query("kafkaops_lag_exporter_kafka_up")[0]["value"][1] == "1"
    assert query("kafkaops_log_dir_total_bytes"), "no log-dir usage: DescribeLogDirs was refused"
    user = APPS.check_output('grep -o \'"sasl_username": "[^"]*"\' /etc/kafkaops/lag-exporter.json')
    assert user == '"sasl_username": "kafkaops-lag-exporter"', user
    figure(f"secure monitoring: test-group's lag on {len(series)} partitions after {time.monotonic() - began:.0f} s")
