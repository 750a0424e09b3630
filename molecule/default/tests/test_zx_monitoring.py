"""Monitoring on the real cluster: Prometheus on apps1 scrapes every target, every Grafana panel's
query has data, and a stopped broker pages through Alertmanager, then resolves.

The file sorts after the cluster, topic and app checks and before the storage guard and the
resilience checks, which start from a healthy cluster: the fault test stops one broker and
leaves every node up with no under-replicated partition.

With KAFKAOPS_SCREENSHOT_DIR set, the fault test saves Prometheus's alerts page with the firing
alert as prometheus-alerts.png there (Debian's headless chromium on this machine), the picture
docs/monitoring.md shows: KAFKAOPS_SCREENSHOT_DIR=$PWD/docs/images molecule test -s default
"""

from __future__ import annotations

import json
import os
import time
import urllib.parse
from pathlib import Path

import pytest
from kraft_testlib import cluster_healthy, hosts, http_json, quorum_status, until

from tests.support import browser
from tests.support.dashboards import panel_expressions

NODES = hosts("kafka1", "kafka2", "kafka3", "apps1")
APPS = NODES["apps1"]
PROMETHEUS = "http://127.0.0.1:9090"
ALERTMANAGER = "http://127.0.0.1:9093"
# Scrape jobs and their target counts in this scenario: 3 nodes, 1 producer, 2 consumer instances.
TARGETS = {
    "kafka": 3, "kafkaops-producer": 1, "kafkaops-consumer": 2, "kafka-lag": 1, "prometheus": 1, "alertmanager": 1,
}  # fmt: skip
URP_ALERT = "KafkaUnderReplicatedPartitions"  # roles/prometheus/templates/kafkaops-alerts.yml.j2
FIRES_WITHIN_S = 120


def prometheus(*paths: str) -> list:
    """The ``data`` of each Prometheus API answer, asked from apps1."""
    answers = http_json(APPS, *(PROMETHEUS + path for path in paths))
    assert all(a["status"] == "success" for a in answers), answers
    return [a["data"] for a in answers]


def active_targets() -> list[dict]:
    return prometheus("/api/v1/targets?state=active")[0]["activeTargets"]


def alerts(name: str) -> tuple[list[dict], list[dict]]:
    """Prometheus's active alerts of that name (pending or firing) and Alertmanager's."""
    (rules,) = prometheus("/api/v1/alerts")
    (received,) = http_json(APPS, f"{ALERTMANAGER}/api/v2/alerts?active=true")
    return (
        [a for a in rules["alerts"] if a["labels"]["alertname"] == name],
        [a for a in received if a["labels"]["alertname"] == name and a["status"]["state"] == "active"],
    )


SEND = """
import json, sys, urllib.error, urllib.request
def post(body):
    req = urllib.request.Request("http://127.0.0.1:8001/send", data=body.encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        return urllib.request.urlopen(req, timeout=15).status
    except urllib.error.HTTPError as e:
        return e.code
print(json.dumps([post(json.dumps({"monitoring": i})) for i in range(int(sys.argv[1]))] + [post("{not json")]))
"""


def send_traffic(records: int = 20) -> None:
    """Records through /send, and one refused body so the producer's error counter has a series."""
    out = APPS.run("python3 -c %s %s", SEND, str(records))
    assert out.rc == 0, out.stderr
    *sent, refused = json.loads(out.stdout)
    assert sent == [200] * records and 400 <= refused < 500, out.stdout


def test_every_scrape_target_is_up(figure):
    def all_up():
        targets = active_targets()
        counts = {job: sum(t["labels"]["job"] == job for t in targets) for job in TARGETS}
        return targets if counts == TARGETS and all(t["health"] == "up" for t in targets) else None

    began = time.monotonic()
    try:
        until("every scrape target up", all_up, 90, 3)
    except AssertionError:
        down = [(t["labels"]["job"], t["scrapeUrl"], t["health"], t["lastError"]) for t in active_targets()]
        raise AssertionError(f"targets (job, url, health, error): {down}") from None
    figure(f"monitoring: {sum(TARGETS.values())} scrape targets up after {time.monotonic() - began:.0f} s")


def test_every_dashboard_query_returns_a_series(figure):
    send_traffic()
    panels = panel_expressions()
    assert len(panels) > 30, "the dashboards' queries were not found"
    queries = [f"/api/v1/query?{urllib.parse.urlencode({'query': p['promql']})}" for p in panels]
    empty: list[dict] = []

    def all_have_data():
        empty[:] = [p for p, data in zip(panels, prometheus(*queries), strict=True) if not data["result"]]
        return not empty

    began = time.monotonic()
    try:
        # Rates need two scrapes of a series inside their window (10 s scrapes, 1 m windows).
        until("a series for every dashboard query", all_have_data, 120, 5)
    except AssertionError:
        missing = [f"{p['dashboard']} / {p['panel']}: {p['promql']}" for p in empty]
        raise AssertionError("queries without a series:\n" + "\n".join(missing)) from None
    figure(f"monitoring: {len(panels)} dashboard queries each return a series ({time.monotonic() - began:.0f} s)")


def test_stopped_broker_fires_the_urp_alert_and_it_resolves(figure):
    kafka = {name: NODES[name] for name in ("kafka1", "kafka2", "kafka3")}
    until("a healthy cluster to start from", lambda: cluster_healthy(kafka["kafka1"]), 180, 2)
    until(f"no {URP_ALERT} left from earlier", lambda: alerts(URP_ALERT) == ([], []), 120, 5)
    # A node that is not the quorum leader: the fault is the lost replicas, not a controller election.
    leader = int(quorum_status(kafka["kafka1"])["LeaderId"])
    victim_id = 3 if leader != 3 else 2
    victim, survivor = kafka[f"kafka{victim_id}"], kafka["kafka1"]
    assert victim.run(f"systemctl stop kafka-node{victim_id}").rc == 0
    stopped = time.monotonic()
    try:
        firing = until(
            f"{URP_ALERT} firing in Prometheus and received by Alertmanager",
            _firing_and_received,
            FIRES_WITHIN_S - (time.monotonic() - stopped),
            3,
        )
        fired_in = time.monotonic() - stopped
        if os.environ.get("KAFKAOPS_SCREENSHOT_DIR"):
            shot = Path(os.environ["KAFKAOPS_SCREENSHOT_DIR"]) / "prometheus-alerts.png"
            save_alerts_page(shot)
            figure(f"monitoring: alerts page saved to {shot} ({shot.stat().st_size} bytes)")
    finally:
        victim.run(f"systemctl start kafka-node{victim_id}")
        until(f"kafka-node{victim_id} active", lambda: victim.service(f"kafka-node{victim_id}").is_running, 60)
        until("0 under-replicated and 0 unavailable partitions", lambda: cluster_healthy(survivor), 180, 2)
    healthy_in = time.monotonic() - stopped
    until(f"{URP_ALERT} resolved in Prometheus and Alertmanager", lambda: alerts(URP_ALERT) == ([], []), 120, 3)
    resolved_in = time.monotonic() - stopped
    leaders = sorted(a["labels"].get("node_id", "?") for a in firing)
    figure(
        f"monitoring: node {victim_id} stopped; {URP_ALERT} firing for nodes {leaders} and in Alertmanager "
        f"after {fired_in:.0f} s; node back and 0 URP at {healthy_in:.0f} s; alert resolved at {resolved_in:.0f} s"
    )


def _firing_and_received() -> list[dict] | None:
    rules, received = alerts(URP_ALERT)
    firing = [a for a in rules if a["state"] == "firing"]
    return firing if firing and received else None


def save_alerts_page(path: Path) -> None:
    """Prometheus's alerts page (Debian ships the classic UI): inactive rules hidden, firing ones open."""
    if not browser.available():
        pytest.fail("KAFKAOPS_SCREENSHOT_DIR needs Debian's chromium and chromium-driver (make host-deps)")
    address = APPS.run("hostname -I").stdout.split()[0]
    path.parent.mkdir(parents=True, exist_ok=True)
    with browser.chromium(1280, 900) as driver:
        driver.get(f"http://{address}:9090/classic/alerts")  # Debian ships the classic UI
        # The page's own filter, as a click on "Inactive" leaves it; then open the firing rules.
        driver.execute_script("localStorage.setItem('hideInactiveAlerts', 'true');")
        driver.refresh()
        until("the alerts page", lambda: URP_ALERT in driver.page_source, 30)
        driver.execute_script("$('tr.alert-danger.alert_header').click();")
        # The whole page, up to 1600 px: the viewport is the window less chromium's own (hidden) frame.
        height = driver.execute_script("return document.documentElement.scrollHeight;")
        frame = driver.get_window_size()["height"] - driver.execute_script("return window.innerHeight;")
        driver.set_window_size(1280, min(height, 1600) + frame)
        assert driver.save_screenshot(str(path)) and path.stat().st_size > 10_000
