"""The seed's several-nodes-on-one-VM layout, upgraded from 3.9.1 to 4.4.0 and finalized."""

import uuid

import pytest
from kraft_testlib import (
    BIN,
    ansible_playbook,
    describe_topic,
    finalized_levels,
    hosts,
    output_tail,
    quorum_status,
    run,
)

VM = hosts("vm1")["vm1"]
NODES = {1: (9092, 10092), 2: (9093, 10093)}
# side_effect.yml deploys OLD, upgrades to NEW, rolls back, upgrades again and finalizes.
OLD, NEW = "3.9.1", "4.4.0"
NEW_METADATA_VERSION = "4.4-IV2"


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


def read_topic(bootstrap: str) -> list[str]:
    """Every record of test-topic. Reading up to the end offsets' total ends the
    console consumer as soon as it has them all, not after an idle timeout."""
    offsets = run(
        VM, f"{BIN}/kafka-get-offsets.sh --bootstrap-server {bootstrap} --topic test-topic", 60, "^test-topic:"
    )
    assert offsets.rc == 0, offsets.stderr
    total = sum(int(line.rsplit(":", 1)[1]) for line in offsets.stdout.splitlines() if line.startswith("test-topic:"))
    consumed = VM.run(
        f"{BIN}/kafka-console-consumer.sh --bootstrap-server {bootstrap} --topic test-topic "
        f"--from-beginning --max-messages {total} --timeout-ms 30000"
    )
    return consumed.stdout.splitlines()


def test_produce_on_one_node_consume_from_the_other():
    marker = uuid.uuid4().hex
    produced = VM.run(
        f"echo {marker} | {BIN}/kafka-console-producer.sh --bootstrap-server localhost:9092 --topic test-topic"
    )
    assert produced.rc == 0, produced.stderr
    assert marker in read_topic("localhost:9093")


def node_pids() -> dict[int, str]:
    return {
        node_id: VM.run(f"systemctl show --property=MainPID --value kafka-node{node_id}").stdout.strip()
        for node_id in NODES
    }


def test_rollback_after_finalize_is_refused_and_changes_nothing():
    before = node_pids()
    result = ansible_playbook("-e", f"upgrade_version={OLD}", playbook="playbooks/upgrade.yml", timeout_s=300)
    said = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0, output_tail(result)
    assert f"metadata.version cannot be lowered once finalized, so the nodes cannot go back to Kafka {OLD}" in said, (
        output_tail(result)
    )
    # Refused in the first play: no node was stopped or restarted, nothing was installed.
    assert "Roll out the new Kafka version" not in said, output_tail(result)
    assert node_pids() == before
    assert VM.file("/opt/kafka").linked_to == f"/opt/kafka-{NEW}"
    status = quorum_status(VM, "localhost:9092,localhost:9093")
    assert status["LeaderId"] in {"1", "2"}


@pytest.mark.parametrize("node_id", sorted(NODES))
def test_every_node_runs_the_new_release(node_id):
    assert VM.file("/opt/kafka").linked_to == f"/opt/kafka-{NEW}"
    pid = node_pids()[node_id]
    cmdline = VM.file(f"/proc/{pid}/cmdline").content_string
    assert f"/opt/kafka-{NEW}/libs" in cmdline
    assert f"/opt/kafka-{OLD}/" not in cmdline


def test_finalized_features_leave_kraft_version_alone():
    levels = finalized_levels(VM, "localhost:9092,localhost:9093")
    assert levels["metadata.version"] == NEW_METADATA_VERSION, levels
    # The release's other features were raised too (kafka-features.sh version-mapping of 4.4.0) ...
    assert levels["group.version"] == "1", levels
    assert levels["transaction.version"] == "2", levels
    # ... but not kraft.version: the quorum stays static (controller.quorum.voters).
    assert levels["kraft.version"] == "0", levels


def test_records_from_before_the_upgrade_are_all_there():
    before = [line for line in read_topic("localhost:9092,localhost:9093") if line.startswith("pre-upgrade-")]
    assert sorted(before) == sorted(f"pre-upgrade-{i}" for i in range(200))


def test_the_group_kept_its_committed_offsets():
    out = run(VM, f"{BIN}/kafka-consumer-groups.sh --bootstrap-server localhost:9092 --describe --group test-group", 60)
    assert out.rc == 0, out.stderr
    offsets = [int(line.split()[3]) for line in out.stdout.splitlines() if line.startswith("test-group ")]
    assert len(offsets) == 4 and sum(offsets) == 200, out.stdout
