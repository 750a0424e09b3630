"""kafkaops.kraft.kafka_reassignment in waves, planned by kafka_reassignment_info, on a real three-broker Kafka 3.9.1
KRaft cluster.

Node 1 is broker and controller, nodes 2 and 3 are brokers only. A topic with
every partition on broker 1 is spread over the three under a throttle, with
max_moves_per_broker 2, while a thread samples list_partition_reassignments.
Every movement involves broker 1, so the limit holds the run to two at a time.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time

import pytest
from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic

from tests.support.kafka_broker import KafkaBroker

pytestmark = pytest.mark.integration
REASSIGNMENT = "kafkaops.kraft.kafka_reassignment"
INFO = "kafkaops.kraft.kafka_reassignment_info"
# Small fetches, so the replication throttle holds every movement for a few seconds.
FETCH = {"replica.fetch.max.bytes": "65536", "replica.fetch.response.max.bytes": "65536"}
LIMIT = 2


class BrokerOnly(KafkaBroker):
    """A broker-only node joining node 1's quorum and cluster id."""

    def __init__(self, workdir, node_id, first: KafkaBroker):
        self.node_id = node_id
        self.first = first
        super().__init__(workdir, extra_props=FETCH)

    def _format(self) -> None:
        props = dict(line.split("=", 1) for line in self.config.read_text().splitlines() if "=" in line)
        props.update(
            {
                "process.roles": "broker",
                "node.id": str(self.node_id),
                "controller.quorum.voters": f"1@127.0.0.1:{self.first.controller_port}",
                "listeners": f"PLAINTEXT://127.0.0.1:{self.port}",
            }
        )
        self.config.write_text("".join(f"{k}={v}\n" for k, v in props.items()))
        meta = (self.first.workdir / "data" / "meta.properties").read_text()
        cluster_id = next(line.split("=", 1)[1] for line in meta.splitlines() if line.startswith("cluster.id="))
        subprocess.run(
            self._java("kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(self.config)),
            check=True,
            capture_output=True,
        )


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    first = KafkaBroker(tmp_path_factory.mktemp("node1"), extra_props=FETCH, heap="320m")
    first.start()
    others = []
    try:
        for node_id in (2, 3):
            node = BrokerOnly(tmp_path_factory.mktemp(f"node{node_id}"), node_id, first)
            node.heap = "256m"
            node.start()
            others.append(node)
        admin = KafkaAdminClient(bootstrap_servers=first.bootstrap, request_timeout_ms=15000)
        deadline = time.monotonic() + 60
        while len(admin.describe_cluster()["brokers"]) < 3:
            assert time.monotonic() < deadline, "brokers 2 and 3 did not register"
            time.sleep(0.5)
        yield first, admin
        admin.close()
    finally:
        for node in others:
            node.stop()
        first.stop()


class Sampler(threading.Thread):
    """Polls list_partition_reassignments; keeps the most movements seen per broker."""

    def __init__(self, bootstrap):
        super().__init__(daemon=True)
        self.admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)
        self.stop = threading.Event()
        self.peak = {}
        self.samples = 0
        self.busy_samples = 0

    def run(self):
        while not self.stop.is_set():
            load = {}
            for info in self.admin.list_partition_reassignments().values():
                for broker in set(info["adding_replicas"]) | set(info["removing_replicas"]):
                    load[broker] = load.get(broker, 0) + 1
            self.samples += 1
            self.busy_samples += bool(load)
            for broker, count in load.items():
                self.peak[broker] = max(self.peak.get(broker, 0), count)
            time.sleep(0.1)
        self.admin.close()


def test_waves_keep_the_limit_per_broker_and_complete(cluster, run_module, topic_name, request):
    first, admin = cluster
    bootstrap = [first.bootstrap]
    admin.create_topics([NewTopic(topic_name, replica_assignments={p: [1] for p in range(6)})])
    producer = KafkaProducer(bootstrap_servers=first.bootstrap, acks="all", batch_size=65536, linger_ms=5)
    for partition in range(6):
        for _record in range(40):
            producer.send(topic_name, os.urandom(10000), partition=partition)  # about 400 KB each
    producer.flush()
    producer.close()

    plan = run_module(
        INFO,
        {"topics": [topic_name], "brokers": [1, 2, 3], "max_moves_per_broker": LIMIT, "bootstrap_servers": bootstrap},
    )
    assert not plan.failed, plan.result
    moving = [c for c in plan["changes"] if not c["reorder_only"]]
    assert len(moving) == 4  # 6 replicas over 3 brokers: 4 leave broker 1
    assert plan["waves"] == 2
    assert all(entry["bytes"] > 300000 for entry in plan["assignment"] if entry["replicas"] != [1])

    step_args = {
        "operation": "step",
        "assignment": plan["assignment"],
        "topics": [topic_name],
        "max_moves_per_broker": LIMIT,
        "throttle_bytes": 200000,
        "bootstrap_servers": bootstrap,
    }
    preview = run_module(REASSIGNMENT, step_args, check=True)
    assert preview["changed"] and len(preview["submitted"]) >= LIMIT
    assert admin.list_partition_reassignments() == {}  # check mode submitted nothing

    sampler = Sampler(first.bootstrap)
    sampler.start()
    results = []
    try:
        deadline = time.monotonic() + 120
        while True:
            step = run_module(REASSIGNMENT, step_args)
            assert not step.failed, step.result
            results.append(step.result)
            assert all(n <= LIMIT for n in step["load"].values()), step["load"]
            if step["complete"]:
                break
            assert time.monotonic() < deadline, step["msg"]
            time.sleep(1)
    finally:
        sampler.stop.set()
        sampler.join(10)
        cleared = run_module(
            REASSIGNMENT, {"operation": "clear_throttles", "topics": [topic_name], "bootstrap_servers": bootstrap}
        )

    assert sampler.samples > 0 and sampler.busy_samples > 0, "no movement was ever seen in progress"
    assert max(sampler.peak.values()) <= LIMIT, sampler.peak
    waves = [r for r in results if r["submitted"]]
    assert len(waves) >= 2  # broker 1 is in every movement: two, then two more
    assert sum(len(r["submitted"]) for r in results) == len(plan["assignment"])
    last = results[-1]
    assert last["done"] == last["total"] == len(plan["assignment"])
    assert last["bytes_done"] == last["bytes_total"] > 0
    assert results[0]["throttled"]["rate"] == 200000
    assert cleared["removed"]  # the throttles were there until cleared

    # Shown in the run's "measured figures" summary (tests/integration/conftest.py).
    request.node.user_properties.append(
        (
            "figure",
            f"reassignment waves: {len(waves)} submitting step(s) of {len(results)}, peak per broker "
            f"{sampler.peak} in {sampler.busy_samples}/{sampler.samples} samples (limit {LIMIT})",
        )
    )
    after = run_module(INFO, {"topics": [topic_name], "brokers": [1, 2, 3], "bootstrap_servers": bootstrap})
    assert after["replicas_to_move"] == 0
    assert sorted(after["replicas_before"].values()) == [2, 2, 2]
