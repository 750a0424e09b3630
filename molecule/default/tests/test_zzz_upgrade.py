"""Issue 17 on the real cluster: Kafka 3.9.1 -> 4.4.0 with playbooks/upgrade.yml while bench/ackload.py
keeps POSTing /send and a headless chromium watches the consumer page.

1. Phase 1 on one node first (`--limit kafka2`). A finalize with the same limit is refused by
   kafka_feature, naming the nodes still on 3.9.1, and changes nothing.
2. Phase 1 on the other nodes and phase 2 after it in the same run (the documented way to finalize
   right away; one playbook run less than two), under the same load: every acknowledged id is in
   test-topic once, at its offset; test-group's committed offsets only moved forward and its two
   members consumed what was produced, no more and no less (no reset to earliest or latest); the
   page got new rows after each node's restart, without a reload; no app restarted.
3. `kafka-features.sh describe` shows 4.4.0's metadata.version, kraft.version is where it was, a
   second finalize reports changed=0, the seed's commands work, /send reaches the page, and a
   rollback limited to one node is refused before anything is touched.

The file sorts last: afterwards the cluster runs 4.4.0, finalized, which no other check expects.
"""

from __future__ import annotations

import itertools
import json
import re
import time
import uuid
from contextlib import contextmanager

import pytest
from kraft_testlib import (
    AckLoad,
    ansible_playbook,
    cluster_healthy,
    finalized_levels,
    group_offsets,
    hosts,
    http,
    http_json,
    output_tail,
    seed_command_failures,
    until,
)

from tests.support import browser
from tests.support.playbook import recap_counts

KAFKA = hosts("kafka1", "kafka2", "kafka3")
APPS = hosts("apps1")["apps1"]
OLD, NEW, NEW_METADATA_VERSION = "3.9.1", "4.4.0", "4.4-IV2"
CANARY = "kafka2"  # upgraded alone first
CONSUMERS = ("http://127.0.0.1:8002/messages", "http://127.0.0.1:8003/messages")
APP_UNITS = ("kafkaops-producer@8001", "kafkaops-consumer@8002", "kafkaops-consumer@8003")
RATE = 20  # /send per second during the roll
MAX_PAGE_GAP_S = 20  # longest the page may go without a new row while the load runs

# Every row the page adds, with the browser's clock (the containers share the host's).
WATCH_ROWS = """
window.__notReloaded = true;
window.__arrivals = [];
new MutationObserver(function (changes) {
  changes.forEach(function (change) {
    change.addedNodes.forEach(function (row) {
      if (row.dataset && row.dataset.seq) window.__arrivals.push(Date.now());
    });
  });
}).observe(document.getElementById("rows"), {childList: true});
"""


@pytest.fixture(scope="module")
def levels_before() -> dict[str, str]:
    """The finalized feature levels before anything is finalized (3.9.1's)."""
    return finalized_levels(KAFKA["kafka1"])


def upgrade(*args: str, version: str = NEW):
    """upgrade.yml against the scenario's inventory, as a user runs it; the run and its seconds."""
    began = time.monotonic()
    result = ansible_playbook(
        "-e", f"upgrade_version={version}", *args, playbook="playbooks/upgrade.yml", timeout_s=900
    )
    return result, time.monotonic() - began


def finalized(levels: dict[str, str]) -> dict[str, str]:
    """The levels set above 0. describe also lists, at 0, the features its answering broker knows,
    which differs between a 3.9.1 and a 4.4.0 broker."""
    return {feature: level for feature, level in levels.items() if level != "0"}


def said(result) -> str:
    return " ".join((result.stdout + result.stderr).split())


def node_pids() -> dict[str, str]:
    return {
        name: host.run(f"systemctl show -p MainPID --value kafka-node{name[-1]}").stdout.strip()
        for name, host in KAFKA.items()
    }


def releases() -> dict[str, str | None]:
    """The Kafka release each node's running process was started from."""
    found = {}
    for name, host in KAFKA.items():
        cmdline = host.run(f"tr '\\0' ' ' < /proc/$(systemctl show -p MainPID --value kafka-node{name[-1]})/cmdline")
        match = re.search(r"/opt/kafka-([0-9.]+)/libs", cmdline.stdout)
        found[name] = match.group(1) if match else None
    return found


def started_ms(name: str) -> int:
    """When the node's current process started, in epoch milliseconds."""
    unit = f"kafka-node{name[-1]}"
    out = KAFKA[name].run(f'date +%s%3N -d "$(systemctl show -p ExecMainStartTimestamp --value {unit})"')
    assert out.rc == 0, out.stderr
    return int(out.stdout)


def app_pids() -> dict[str, str]:
    return {unit: APPS.run(f"systemctl show -p MainPID --value {unit}").stdout.strip() for unit in APP_UNITS}


def settled() -> tuple[int, dict[int, tuple[int | None, int]]]:
    """test-group caught up: the records its two members consumed so far, and its offsets per partition."""

    def once():
        statuses = [answer["status"] for answer in http_json(APPS, *CONSUMERS)]
        if not all(s["member"] and s["total_lag"] == 0 for s in statuses):
            return None
        offsets = group_offsets(KAFKA["kafka1"], "test-group")
        consumed = sum(s["consumed"] for s in statuses)
        still = sum(answer["status"]["consumed"] for answer in http_json(APPS, *CONSUMERS))
        if still != consumed or any(committed != end for committed, end in offsets.values()):
            return None
        return consumed, offsets

    return until("test-group caught up, nothing left to consume", once, 120, 2)


@contextmanager
def watched_page():
    """Chromium on consumer instance :8002's page, recording when each new row appears."""
    if not browser.available():
        pytest.fail("the consumer page check needs Debian's chromium and chromium-driver (make host-deps)")
    address = APPS.run("hostname -I").stdout.split()[0]
    with browser.chromium() as driver:
        driver.get(f"http://{address}:8002/")
        live = "return document.getElementById('live').textContent"
        until("the page's live stream", lambda: driver.execute_script(live).startswith("Live:"), 30)
        driver.execute_script(WATCH_ROWS)
        yield driver


def test_one_node_first_then_all_and_finalize_under_load(figure, levels_before):
    until("a healthy cluster to start from", lambda: cluster_healthy(KAFKA["kafka1"]), 180, 2)
    assert releases() == dict.fromkeys(KAFKA, OLD)
    consumed_before, offsets_before = settled()
    apps_before = app_pids()
    load = AckLoad("apps1", "upgrade-load")
    since_ms = int(time.time() * 1000) - 2000
    with watched_page() as page:
        load_began = time.time() * 1000
        load.start(rate=RATE)
        try:
            canary, canary_s = upgrade("--limit", CANARY)
            assert canary.returncode == 0, output_tail(canary)
            assert releases() == {"kafka1": OLD, "kafka2": NEW, "kafka3": OLD}

            pids, levels = node_pids(), finalized(finalized_levels(KAFKA["kafka1"]))
            refused, refused_s = upgrade("--limit", CANARY, "-e", "upgrade_finalize_metadata=true")
            text = said(refused)
            assert refused.returncode != 0, output_tail(refused)
            for node_id in (1, 3):
                assert f"node {node_id} supports metadata.version" in text, output_tail(refused)
            assert "node 2 supports" not in text, output_tail(refused)
            assert "it runs an older release or is not upgraded yet" in text, output_tail(refused)
            assert recap_counts(refused.stdout)[CANARY]["changed"] == 0, output_tail(refused)
            assert node_pids() == pids
            assert finalized(finalized_levels(KAFKA["kafka1"])) == levels

            rest, rest_s = upgrade("-e", "upgrade_finalize_metadata=true")
            assert rest.returncode == 0, output_tail(rest)
            assert releases() == dict.fromkeys(KAFKA, NEW)
            time.sleep(5)  # some load on the upgraded cluster
        finally:
            sent = load.stop()
        load_ended = time.time() * 1000
        rows = page.execute_script("return window.__arrivals || null;")
        not_reloaded = page.execute_script("return window.__notReloaded === true;")

    rc, report = load.verify(since_ms)
    consumed_after, offsets_after = settled()
    restarts = sorted((started_ms(name), name) for name in KAFKA)
    produced = sum(end - offsets_before[p][1] for p, (_committed, end) in offsets_after.items())
    consumed = consumed_after - consumed_before
    # Gaps between new rows while the load ran, edges included.
    marks = [load_began, *(t for t in rows or [] if load_began <= t <= load_ended), load_ended]
    gap_s = max(b - a for a, b in itertools.pairwise(marks)) / 1000
    # Each node's window: from its restart to the next node's, the last one to the end of the load.
    bounds = [*(start for start, _name in restarts), load_ended]
    windows = [(name, start, end) for (start, name), end in zip(restarts, bounds[1:], strict=True)]
    rows_after = {name: sum(start < t <= end for t in rows or []) for name, start, end in windows}
    figure(
        f"upgrade: phase 1 on {CANARY} {canary_s:.0f} s, refused finalize {refused_s:.0f} s, "
        f"phase 1 on the rest and finalize {rest_s:.0f} s; {sent['sent']} ids sent at {RATE}/s, "
        f"{sent['acked']} acknowledged, {sent['failed']} failed (error window {sent['error_window_s']} s), "
        f"latency {sent['latency_ms']}; "
        f"found {report['found_acked']}/{report['acked']}, missing {report['missing']}, "
        f"duplicates {report['duplicates'] + report['retry_duplicates']}, "
        f"offset mismatches {report['offset_mismatches']}"
    )
    figure(
        f"upgrade: test-group consumed {consumed} of {produced} produced records "
        f"(redelivered {consumed - produced}); page rows {len(rows or [])}, "
        f"after each restart {rows_after}, longest gap {gap_s:.1f} s"
    )
    assert rc == 0, report["failures"]
    assert report["acked"] >= 200 and report["found_acked"] == report["acked"]
    assert (report["missing"], report["duplicates"], report["retry_duplicates"]) == (0, 0, 0)
    # The group's offsets only moved forward, and it read each new record: a reset to latest
    # would skip some, a reset to earliest would read a whole partition's older records again.
    for partition, (committed, _end) in offsets_after.items():
        assert committed >= offsets_before[partition][0], (partition, offsets_before, offsets_after)
    assert consumed >= produced, f"test-group consumed {consumed} of {produced} new records"
    assert consumed - produced < min(end for _committed, end in offsets_before.values()), (
        f"test-group consumed {consumed - produced} records twice: its offsets were reset"
    )
    assert rows is not None and not_reloaded, "the consumer page reloaded during the upgrade"
    assert all(rows_after.values()), f"no new row on the page after a node's restart: {rows_after}"
    assert gap_s < MAX_PAGE_GAP_S, f"the page showed no new row for {gap_s:.0f} s"
    assert app_pids() == apps_before, "an app restarted"


def test_finalized_cluster(figure, levels_before):
    levels = finalized_levels(KAFKA["kafka1"])
    assert levels["metadata.version"] == NEW_METADATA_VERSION, levels
    # The static quorum stays static (KAFKA-21426): kraft.version is not raised with the rest.
    assert levels.get("kraft.version", "0") == levels_before.get("kraft.version", "0"), (levels_before, levels)

    again, again_s = upgrade("-e", "upgrade_finalize_metadata=true")
    assert again.returncode == 0, output_tail(again)
    counters = recap_counts(again.stdout)
    assert sorted(counters) == sorted(KAFKA) and all(c["changed"] == 0 for c in counters.values()), counters

    assert seed_command_failures(KAFKA["kafka2"], 2) == []

    # The apps on the finalized 4.4.0 cluster: a new record reaches a consumer instance.
    marker = f"finalized-{uuid.uuid4().hex}"
    status, body = http(
        APPS, "POST", "http://127.0.0.1:8001/send", json.dumps({"key": marker}), {"Content-Type": "application/json"}
    )
    assert status == 200, body
    until(
        "the record on a consumer instance",
        lambda: any(marker in json.dumps(answer["messages"]) for answer in http_json(APPS, *CONSUMERS)),
        15,
        0.5,
    )

    # The pre-check covers the whole cluster even when the run is limited to one node.
    pids = node_pids()
    back, back_s = upgrade("--limit", CANARY, version=OLD)
    text = said(back)
    assert back.returncode != 0, output_tail(back)
    assert f"metadata.version cannot be lowered once finalized, so the nodes cannot go back to Kafka {OLD}" in text, (
        output_tail(back)
    )
    assert "Roll out the new Kafka version" not in text, output_tail(back)
    assert node_pids() == pids
    figure(
        f"upgrade: finalized {levels}; finalize again {again_s:.0f} s, changed=0; "
        f"rollback of {CANARY} refused in {back_s:.0f} s"
    )
