"""The default scenario: a real 3-node combined-mode KRaft cluster."""

import uuid

import pytest
from kraft_testlib import BIN, broker_config, describe_topic, hosts, quorum_status, run, seed_command_failures

NODES = hosts("kafka1", "kafka2", "kafka3")


@pytest.mark.parametrize("name", sorted(NODES))
def test_service_active_and_enabled(name):
    node_id = name[-1]
    service = NODES[name].service(f"kafka-node{node_id}")
    assert service.is_running
    assert service.is_enabled


@pytest.mark.parametrize("name", sorted(NODES))
def test_listens_on_client_and_controller_ports(name):
    host = NODES[name]
    assert host.socket("tcp://0.0.0.0:9092").is_listening
    assert host.socket("tcp://0.0.0.0:10092").is_listening


def test_installed_versioned_with_stable_link():
    host = NODES["kafka1"]
    assert host.file("/opt/kafka").linked_to == "/opt/kafka-3.9.1"
    assert host.file("/opt/kafka-3.9.1/libs/kafka_2.13-3.9.1.jar").user == "root"
    assert host.user("kafka").shell == "/usr/sbin/nologin"
    assert host.process.filter(user="kafka", comm="java")


@pytest.mark.parametrize("name", sorted(NODES))
def test_quorum_has_three_voters_and_a_leader(name):
    status = quorum_status(NODES[name])
    assert sorted(v["id"] for v in status["CurrentVoters"]) == [1, 2, 3]
    assert int(status["LeaderId"]) in (1, 2, 3)


def test_same_cluster_id_everywhere():
    ids = {
        NODES[n].file("/var/kafka/logs/meta.properties").content_string.split("cluster.id=")[1].split()[0]
        for n in NODES
    }
    assert len(ids) == 1


def test_produce_on_node1_consume_on_node3_rf3_in_sync():
    topic = f"verify-{uuid.uuid4().hex[:8]}"
    k1, k3 = NODES["kafka1"], NODES["kafka3"]
    created = k1.run(
        f"{BIN}/kafka-topics.sh --create --topic {topic} --partitions 3 --replication-factor 3 "
        "--bootstrap-server localhost:9092"
    )
    assert created.rc == 0, created.stderr
    rows = describe_topic(k1, topic)
    assert len(rows) == 3
    for row in rows:
        assert len(row["Replicas"].split(",")) == 3
        assert sorted(row["Isr"].split(",")) == sorted(row["Replicas"].split(","))

    messages = [f"msg-{i}-{uuid.uuid4().hex}" for i in range(5)]
    produced = k1.run(
        f"printf '%s\\n' {' '.join(messages)} | {BIN}/kafka-console-producer.sh "
        f"--bootstrap-server kafka1:9092 --topic {topic} --producer-property acks=all"
    )
    assert produced.rc == 0, produced.stderr
    consumed = run(
        k3,
        f"{BIN}/kafka-console-consumer.sh --bootstrap-server kafka3:9092 --topic {topic} "
        "--from-beginning --max-messages 5 --timeout-ms 30000",
    )
    assert consumed.rc == 0, consumed.stderr
    assert sorted(consumed.stdout.split()) == sorted(messages)

    # The data lands under /var/kafka/logs/<topic>-<partition> on every replica.
    for name in NODES:
        dirs = NODES[name].run(f"ls -d /var/kafka/logs/{topic}-*").stdout.split()
        assert sorted(dirs) == [f"/var/kafka/logs/{topic}-{p}" for p in range(3)]


@pytest.mark.parametrize(("key", "value"), [("log.retention.hours", "168"), ("log.retention.bytes", "1073741824")])
def test_retention_effective_in_broker_config(key, value):
    for node_id, name in enumerate(sorted(NODES), start=1):
        assert broker_config(NODES[name], node_id, key) == value


def test_seed_cli_commands_work():
    assert seed_command_failures(NODES["kafka2"], 2) == []


def test_storage_untouched_config_not_world_readable():
    host = NODES["kafka1"]
    assert host.file("/etc/kafka/node1/server.properties").mode == 0o640
    assert host.file("/var/kafka/logs").user == "kafka"
