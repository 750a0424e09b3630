"""R1 and R4 of issue 7, small: broker failures under load on the real cluster.

The file name sorts last, so these run after every other check of the scenario; each
test leaves the cluster with all nodes up and no under-replicated partition.

- R1: bench/ackload.py keeps /send busy from the apps host while the active controller's
  broker is killed with SIGKILL and started again; every acknowledged id must be in
  test-topic exactly once, at its acknowledged offset.
- R4: all three brokers stop; /send answers 503 + Retry-After within its timeout and
  /readyz is false; after the brokers start, both apps recover without a restart.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

from kraft_testlib import AckLoad, cluster_healthy, hosts, quorum_status, until

KAFKA = hosts("kafka1", "kafka2", "kafka3")
APPS = hosts("apps1")["apps1"]
APP_UNITS = ("kafkaops-producer@8001", "kafkaops-consumer@8002", "kafkaops-consumer@8003")
READY_URLS = ("http://127.0.0.1:8001/readyz", "http://127.0.0.1:8002/readyz", "http://127.0.0.1:8003/readyz")
SEND_TIMEOUT_S = 5  # fastapi_producer_send_timeout_s
OUTAGE_S = 15

PROBE = """
import json, sys, time, urllib.request, urllib.error
method, url, body = sys.argv[1], sys.argv[2], sys.argv[3].encode() or None
req = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": "application/json"})
began = time.monotonic()
try:
    r = urllib.request.urlopen(req, timeout=float(sys.argv[4]))
    status, headers, text = r.status, dict(r.headers), r.read().decode()
except urllib.error.HTTPError as e:
    status, headers, text = e.code, dict(e.headers), e.read().decode()
except OSError as e:
    status, headers, text = 0, {}, repr(e)
headers = {k.lower(): v for k, v in headers.items()}
print(json.dumps({"status": status, "s": time.monotonic() - began, "headers": headers, "body": text}))
"""


def probe(method: str, url: str, body: str = "", timeout: float = 30) -> dict:
    """One request from inside apps1, timed there (not including podman exec)."""
    out = APPS.run("python3 -c %s %s %s %s %s", PROBE, method, url, body, str(timeout))
    assert out.rc == 0, out.stderr
    return json.loads(out.stdout)


def on_all(command) -> list:
    """command(name, host) on the three Kafka hosts at once."""
    with ThreadPoolExecutor(len(KAFKA)) as pool:
        return list(pool.map(lambda item: command(*item), KAFKA.items()))


def wait_healthy(via, timeout: float = 180) -> float:
    began = time.monotonic()
    for name, host in KAFKA.items():
        until(f"kafka-node{name[-1]} active", lambda h=host, n=name: h.service(f"kafka-node{n[-1]}").is_running, 60)
    until("0 under-replicated and 0 unavailable partitions", lambda: cluster_healthy(via), timeout, 2)
    for url in READY_URLS:
        until(f"{url} ready", lambda u=url: probe("GET", u, timeout=10)["status"] == 200, 90)
    return time.monotonic() - began


def app_pids() -> dict[str, str]:
    return {
        unit: APPS.run(f"systemctl show -p MainPID -p NRestarts --value {unit}").stdout.split() for unit in APP_UNITS
    }


def test_r1_kill_active_controller_under_load_loses_nothing(figure):
    wait_healthy(KAFKA["kafka1"])
    leader = int(quorum_status(KAFKA["kafka1"])["LeaderId"])
    victim = KAFKA[f"kafka{leader}"]
    survivor = KAFKA[f"kafka{leader % 3 + 1}"]
    load = AckLoad("apps1", "r1-load")
    load.start(rate=40, duration=300)
    try:
        time.sleep(3)
        killed_at = time.monotonic()
        assert victim.run(f"systemctl kill -s SIGKILL kafka-node{leader}").rc == 0
        # Hold the auto-restart back past the broker session timeout (9 s), so leaders move.
        victim.run(f"systemctl stop kafka-node{leader}")
        time.sleep(max(0.0, 12 - (time.monotonic() - killed_at)))
        assert victim.run(f"systemctl start kafka-node{leader}").rc == 0
        healed = wait_healthy(survivor)
        time.sleep(3)  # some load on the healed cluster
    finally:
        sent = load.stop()
    rc, report = load.verify()
    figure(
        f"R1: node {leader} killed; {sent['sent']} ids sent, {sent['acked']} acknowledged, {sent['failed']} failed "
        f"(raw {sent['raw_errors']}), error window {sent['error_window_s']} s "
        f"(from {sent['first_error_s']} s); found {report['found_acked']}/{report['acked']} acknowledged, "
        f"missing {report['missing']}, duplicates {report['duplicates'] + report['retry_duplicates']}, "
        f"offset mismatches {report['offset_mismatches']}, failed-but-stored {report['unacked_found']}; "
        f"healthy {healed:.0f} s after the restart; latency {sent['latency_ms']}"
    )
    assert rc == 0, report["failures"]
    assert report["acked"] >= 200 and report["found_acked"] == report["acked"]
    assert (report["missing"], report["duplicates"], report["retry_duplicates"]) == (0, 0, 0)


def test_r4_all_brokers_down_apps_answer_503_and_recover_without_restart(figure):
    wait_healthy(KAFKA["kafka1"])
    pids = app_pids()
    assert all(pid != "0" for pid, _restarts in pids.values()), pids
    began = time.monotonic()
    # A clean stop first; if the last nodes wait on a controller that is gone, kill them.
    on_all(
        lambda name, host: host.run(
            f"timeout 40 systemctl stop kafka-node{name[-1]} || systemctl kill -s SIGKILL kafka-node{name[-1]}; "
            f"systemctl stop kafka-node{name[-1]}"
        )
    )
    stopped_in = time.monotonic() - began
    try:
        down = time.monotonic()
        sends = []
        for _send in range(3):
            sends.append(probe("POST", "http://127.0.0.1:8001/send", '{"r4": "during outage"}'))
            time.sleep(1)
        not_ready = {url: until(f"{url} false", lambda u=url: _not_ready(u), 20, 0.5) for url in READY_URLS}
        time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - down)))
    finally:
        on_all(lambda name, host: host.run(f"systemctl start kafka-node{name[-1]}"))
    restarted = time.monotonic()
    first_ok = until(
        "/send 200 again",
        lambda: probe("POST", "http://127.0.0.1:8001/send", '{"r4": "after"}', 15)["status"] == 200,
        120,
    )
    send_back = time.monotonic() - restarted
    healed = wait_healthy(KAFKA["kafka1"])
    figure(
        f"R4: brokers stopped in {stopped_in:.1f} s, down {restarted - down:.0f} s; /send during the outage "
        f"{[(s['status'], round(s['s'], 2)) for s in sends]}; /readyz {sorted(set(not_ready.values()))}; "
        f"/send 200 {send_back:.1f} s after the start, all healthy after {healed:.0f} s"
    )
    for answer in sends:
        assert answer["status"] == 503, answer
        assert answer["headers"].get("retry-after") == "5", answer["headers"]
        assert answer["s"] < SEND_TIMEOUT_S + 1.5, f"/send took {answer['s']:.1f} s"
    assert first_ok
    assert app_pids() == pids, "an app was restarted"


def _not_ready(url: str) -> int | None:
    answer = probe("GET", url, timeout=10)
    if answer["status"] == 503 and json.loads(answer["body"])["ready"] is False:
        return answer["status"]
    return None
