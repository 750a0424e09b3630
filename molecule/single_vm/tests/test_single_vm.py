"""The seed's several-nodes-on-one-VM layout."""

import uuid

import pytest
from kraft_testlib import BIN, describe_topic, hosts, quorum_status, run

VM = hosts("vm1")["vm1"]
NODES = {1: (9092, 10092), 2: (9093, 10093)}


@pytest.mark.parametrize("node_id", sorted(NODES))
def test_one_service_per_node(node_id):
    service = VM.service(f"kafka-node{node_id}")
    assert service.is_running
    assert service.is_enabled


@pytest.mark.parametrize("node_id", sorted(NODES))
def test_ports_and_log_dirs_follow_the_seed(node_id):
    client, controller = NODES[node_id]
    assert VM.socket(f"tcp://0.0.0.0:{client}").is_listening
    assert VM.socket(f"tcp://0.0.0.0:{controller}").is_listening
    props = VM.file(f"/etc/kafka/node{node_id}/server.properties").content_string
    assert f"log.dirs=/var/kafka/logs/broker{node_id}\n" in props
    assert f"node.id={node_id}\n" in props
    assert VM.file(f"/var/kafka/logs/broker{node_id}/meta.properties").exists


def test_quorum_has_two_voters():
    status = quorum_status(VM, "localhost:9092,localhost:9093")
    assert sorted(v["id"] for v in status["CurrentVoters"]) == [1, 2]


def test_replica_assignment_from_the_seed():
    rows = describe_topic(VM, "test-topic", "localhost:9092,localhost:9093")
    assert [r["Replicas"] for r in rows] == ["1,2", "2,1", "1,2", "2,1"]
    for broker in (1, 2):
        dirs = VM.run(f"ls -d /var/kafka/logs/broker{broker}/test-topic-*").stdout.split()
        assert len(dirs) == 4


def test_produce_on_one_node_consume_from_the_other():
    marker = uuid.uuid4().hex
    produced = VM.run(
        f"echo {marker} | {BIN}/kafka-console-producer.sh --bootstrap-server localhost:9092 --topic test-topic"
    )
    assert produced.rc == 0, produced.stderr
    consumed = run(
        VM,
        f"{BIN}/kafka-console-consumer.sh --bootstrap-server localhost:9093 --topic test-topic "
        "--from-beginning --timeout-ms 20000",
    )
    assert marker in consumed.stdout


@pytest.mark.parametrize("node_id", sorted(NODES))
def test_every_node_runs_the_upgraded_version(node_id):
    assert VM.file("/opt/kafka").linked_to == "/opt/kafka-3.9.1"
    pid = VM.run(f"systemctl show --property=MainPID --value kafka-node{node_id}").stdout.strip()
    cmdline = VM.file(f"/proc/{pid}/cmdline").content_string
    assert "/opt/kafka-3.9.1/libs" in cmdline
    assert "/opt/kafka-3.9.0/" not in cmdline


def test_records_from_before_the_upgrade_are_all_there():
    consumed = run(
        VM,
        f"{BIN}/kafka-console-consumer.sh --bootstrap-server localhost:9092,localhost:9093 --topic test-topic "
        "--from-beginning --timeout-ms 20000",
    )
    before = {line for line in consumed.stdout.splitlines() if line.startswith("pre-upgrade-")}
    assert before == {f"pre-upgrade-{i}" for i in range(200)}
