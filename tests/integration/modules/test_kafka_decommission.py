"""kafkaops.kraft.kafka_decommission on the session's single Kafka 3.9.1 node (broker and static-quorum voter),
and the Kafka answer the role's broker_unregister task takes for "unregistered already"."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.integration
MODULE = "kafkaops.kraft.kafka_decommission"
UNREGISTER_TASK = Path(__file__).resolve().parents[3] / "roles/kafka_kraft/tasks/broker_unregister.yml"


def test_retiring_the_only_node_is_refused_before_anything_changes(ansible_module):
    run = ansible_module(MODULE, {"node_ids": [1], "quorum_mode": "static"})
    assert run.failed and run.rc != 0
    assert run["msg"].startswith("refusing to retire node(s) 1: no broker would remain")
    assert any("vote in a static quorum" in r and "needs a new cluster" in r for r in run["refusals"])
    assert run["voters"] == [1] and run["brokers"] == [1]


def test_a_node_that_holds_nothing_may_retire_and_the_report_shows_it(ansible_module, topic_name):
    created = ansible_module(
        "kafkaops.kraft.kafka_topic", {"topics": [{"name": topic_name, "partitions": 2, "replication_factor": 1}]}
    )
    assert not created.failed, created.result
    run = ansible_module(MODULE, {"node_ids": [7], "fail_when_refused": False}, check=True)
    assert not run.failed, run.result
    # Other tests' topics share this broker: only this topic's verdict and the cluster's count here.
    assert not [r for r in run["refusals"] if topic_name in r or "broker" in r or "quorum" in r], run["refusals"]
    assert not run["changed"]
    assert run["brokers_after"] == [1] and run["registered"] == []
    assert run["replicas_on_nodes"] == {"7": 0} and run["replicas_left"] == 0
    assert topic_name in run["topics"]
    assert {"name": topic_name, "rf": 1, "min_isr": 1} in run["limits"]


def test_a_topic_whose_min_insync_replicas_cannot_be_met_is_refused(ansible_module, topic_name):
    created = ansible_module(
        "kafkaops.kraft.kafka_topic",
        {
            "topics": [
                {"name": topic_name, "partitions": 1, "replication_factor": 1, "configs": {"min.insync.replicas": 2}}
            ]
        },
    )
    assert not created.failed, created.result
    run = ansible_module(MODULE, {"node_ids": [7], "fail_when_refused": False})
    assert not run.failed
    assert f"topic {topic_name} needs min.insync.replicas=2, but at most 1 in-sync replica(s) would remain" in " ".join(
        run["refusals"]
    )
    deleted = ansible_module("kafkaops.kraft.kafka_topic", {"topics": [{"name": topic_name, "state": "absent"}]})
    assert not deleted.failed, deleted.result


def test_unregistering_an_unknown_broker_matches_the_tasks_no_change_answer(kafka_broker):
    """broker_unregister.yml treats Kafka's "not registered" answer as no change: a re-run is changed=0."""
    proc = subprocess.run(
        kafka_broker._java(
            "org.apache.kafka.tools.ClusterTool",
            "unregister",
            "--bootstrap-server",
            kafka_broker.bootstrap,
            "--id",
            "99",
        ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode != 0
    task = yaml.safe_load(UNREGISTER_TASK.read_text())[0]
    pattern = re.search(r"is search\('([^']+)'\)", task["failed_when"]).group(1)
    assert re.search(pattern, proc.stdout + proc.stderr), proc.stderr[-2000:]
