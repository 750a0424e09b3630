"""R5 (issue 7): restart the consumer app mid-stream; no record may be skipped.

A stream of known ids goes through the real producer app (bench/ackload.py) while a
viewer follows the consumer's live updates (/events). The consumer is restarted in the
middle, gracefully (SIGTERM, as systemd does) or killed (SIGKILL). Then:
- every acknowledged id was shown by one of the two processes;
- the offsets the first process committed only cover records it showed;
- re-deliveries (records both processes showed) are reported; a graceful stop has none.
"""

from __future__ import annotations

import contextlib
import json
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient

from tests.integration.apps.support import AppProcess, wait_for

pytestmark = pytest.mark.integration

ACKLOAD = Path(__file__).resolve().parents[3] / "bench" / "ackload.py"
RATE, DURATION, RESTART_AFTER = 40, 10, 2  # msg/s, s, s into the stream


class Viewer(threading.Thread):
    """Follows /events like the page does, resuming from the last sequence number."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url = url
        self.shown: list[dict] = []
        self.done = threading.Event()

    def run(self) -> None:
        seq = 0
        while not self.done.is_set():
            try:
                with httpx.stream("GET", self.url + "/events", params={"since": seq}, timeout=10) as stream:
                    event = None
                    for line in stream.iter_lines():
                        if line.startswith("event: "):
                            event = line[7:]
                        elif line.startswith("data: ") and event == "record":
                            entry = json.loads(line[6:])
                            seq = entry["seq"]
                            self.shown.append(entry)
                        if self.done.is_set():
                            return
            except httpx.HTTPError:
                time.sleep(0.2)  # the process is stopping or gone

    def stop(self) -> None:
        self.done.set()
        self.join(15)

    def offsets(self) -> dict[int, set[int]]:
        out: dict[int, set[int]] = {}
        for entry in self.shown:
            out.setdefault(entry["partition"], set()).add(entry["offset"])
        return out

    def ids(self) -> set[str]:
        ids = set()
        for entry in self.shown:
            try:
                ids.add(json.loads(entry["value"])["id"])
            except (ValueError, TypeError, KeyError):
                pass  # records of other tests
        return ids


def committed(bootstrap: str, group: str) -> dict[int, int]:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        offsets = admin.list_group_offsets({group: None}).get(group, {})
    finally:
        admin.close()
    return {tp.partition: meta.offset for tp, meta in offsets.items()}


def end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        return {tp.partition: offset for tp, offset in consumer.end_offsets(tps).items()}
    finally:
        consumer.close()


@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
def test_consumer_restart_mid_stream_skips_nothing(how, producer, app_env, kafka_broker, tmp_path, figure):
    bootstrap, topic = kafka_broker.bootstrap, app_env["KAFKA_TOPIC"]
    group = f"r5-{how.lower()}-{uuid.uuid4().hex[:6]}"
    # A buffer larger than the stream, so the viewer sees every record the process shows.
    env = {**app_env, "KAFKA_GROUP_ID": group, "BUFFER_SIZE": "5000"}
    first = AppProcess("consumer", tmp_path, env).start()
    first.wait_ready()
    viewers = [Viewer(first.url)]
    viewers[0].start()
    acks = tmp_path / "acks.jsonl"
    load = subprocess.Popen(
        [
            *(sys.executable, str(ACKLOAD), "send", "--url", producer.url, "--rate", str(RATE)),
            *("--duration", str(DURATION), "--concurrency", "4", "--out", str(acks)),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    second = None
    try:
        time.sleep(RESTART_AFTER)
        restarted = time.monotonic()
        if how == "SIGTERM":
            first.stop()
        else:
            first.proc.send_signal(signal.SIGKILL)
            first.proc.wait(10)
        viewers[0].stop()
        after_first = committed(bootstrap, group)
        second = AppProcess("consumer", tmp_path, env).start()
        viewers.append(Viewer(second.url))
        viewers[1].start()
        second.wait_ready()
        rejoined = time.monotonic() - restarted
        summary = json.loads(load.communicate(timeout=DURATION + 60)[0])
        assert summary["acked"] > RATE * DURATION * 0.5 and summary["failed"] == 0, summary
        acked = {line["id"]: line for line in map(json.loads, acks.read_text().splitlines()) if line["ok"]}
        with contextlib.suppress(AssertionError):  # reported in detail below
            wait_for(lambda: set(acked) <= viewers[0].ids() | viewers[1].ids(), timeout=30, interval=0.5)
        ends = {p: end for p, end in end_offsets(bootstrap, topic).items() if end}
        with contextlib.suppress(AssertionError):
            wait_for(lambda: committed(bootstrap, group) == ends, timeout=20, interval=0.5)
        after_second = committed(bootstrap, group)
    finally:
        if load.poll() is None:
            load.kill()
        for viewer in viewers:
            viewer.done.set()
        if second is not None:
            second.stop()
        for viewer in viewers:
            viewer.join(15)

    shown_first, shown_second = viewers[0].offsets(), viewers[1].offsets()
    unshown = sorted(
        (a["partition"], a["offset"]) for i, a in acked.items() if i not in viewers[0].ids() | viewers[1].ids()
    )
    assert not unshown, f"acknowledged but never shown: {unshown[:20]}; first process committed {after_first}"
    # The guarantee: the first process committed nothing it had not shown.
    for partition, offset in after_first.items():
        unshown = set(range(offset)) - shown_first.get(partition, set())
        assert not unshown, f"partition {partition}: committed {offset} but never showed offsets {sorted(unshown)[:20]}"
    # Together the two processes showed every record of the topic, the acknowledged ids among them.
    for partition, end in ends.items():
        gaps = set(range(end)) - shown_first.get(partition, set()) - shown_second.get(partition, set())
        assert not gaps, f"partition {partition}: offsets never shown {sorted(gaps)[:20]}"
    assert after_second == ends, "the second process commits everything it showed"
    redelivered = sum(len(shown_first.get(p, set()) & shown_second.get(p, set())) for p in ends)
    verify = subprocess.run(
        [sys.executable, str(ACKLOAD), "verify", "--bootstrap", bootstrap, "--topic", topic, "--acks", str(acks)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = json.loads(verify.stdout)
    figure(
        f"R5 {how}: {summary['acked']} ids acknowledged, {report['found_acked']} found in Kafka "
        f"(missing {report['missing']}, duplicates {report['duplicates']}); shown {len(viewers[0].shown)} "
        f"+ {len(viewers[1].shown)}, committed before the restart {after_first}, re-deliveries {redelivered}, "
        f"back in the group after {rejoined:.1f}s"
    )
    assert verify.returncode == 0, report["failures"]
    if how == "SIGTERM":
        assert redelivered == 0, "a graceful stop commits everything it showed"
