"""The seed's several-nodes-on-one-VM layout: on vm1 upgraded from 3.9.1 to 4.4.0 and finalized, on vm2
installed fresh on 4.4.0 (a cluster of its own, side_effect.yml)."""

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

VMS = hosts("vm1", "vm2")
VM = VMS["vm1"]  # the upgraded cluster
NODES = {1: (9092, 10092), 2: (9093, 10093)}
# side_effect.yml deploys OLD, upgrades to NEW, rolls back, upgrades again and finalizes.
OLD, NEW = "3.9.1", "4.4.0"
NEW_METADATA_VERSION = "4.4-IV2"


EACH_VM = pytest.mark.parametrize("vm", sorted(VMS))


@EACH_VM
@pytest.mark.parametrize("node_id", sorted(NODES))
def test_one_service_per_node(vm, node_id):
    service = VMS[vm].service(f"kafka-node{node_id}")
    assert service.is_running
    assert service.is_enabled


@EACH_VM
@pytest.mark.parametrize("node_id", sorted(NODES))
def test_ports_and_log_dirs_follow_the_seed(vm, node_id):
    host = VMS[vm]
    client, controller = NODES[node_id]
    assert host.socket(f"tcp://0.0.0.0:{client}").is_listening
    assert host.socket(f"tcp://0.0.0.0:{controller}").is_listening
    props = host.file(f"/etc/kafka/node{node_id}/server.properties").content_string
    assert f"log.dirs=/var/kafka/logs/broker{node_id}\n" in props
    assert f"node.id={node_id}\n" in props
    assert host.file(f"/var/kafka/logs/broker{node_id}/meta.properties").exists


@EACH_VM
def test_quorum_has_two_voters(vm):
    status = quorum_status(VMS[vm], "localhost:9092,localhost:9093")
    assert sorted(v["id"] for v in status["CurrentVoters"]) == [1, 2]


@EACH_VM
def test_replica_assignment_from_the_seed(vm):
    rows = describe_topic(VMS[vm], "test-topic", "localhost:9092,localhost:9093")
    assert [r["Replicas"] for r in rows] == ["1,2", "2,1", "1,2", "2,1"]
    for broker in (1, 2):
        dirs = VMS[vm].run(f"ls -d /var/kafka/logs/broker{broker}/test-topic-*").stdout.split()
        assert len(dirs) == 4


def read_topic(bootstrap: str, host=VM) -> list[str]:
    """Every record of test-topic. Reading up to the end offsets' total ends the
    console consumer as soon as it has them all, not after an idle timeout."""
    offsets = run(
        host, f"{BIN}/kafka-get-offsets.sh --bootstrap-server {bootstrap} --topic test-topic", 60, "^test-topic:"
    )
    assert offsets.rc == 0, offsets.stderr
    total = sum(int(line.rsplit(":", 1)[1]) for line in offsets.stdout.splitlines() if line.startswith("test-topic:"))
    consumed = host.run(
        f"{BIN}/kafka-console-consumer.sh --bootstrap-server {bootstrap} --topic test-topic "
        f"--from-beginning --max-messages {total} --timeout-ms 30000"
    )
    return consumed.stdout.splitlines()


@EACH_VM
def test_produce_on_one_node_consume_from_the_other(vm):
    marker = uuid.uuid4().hex
    produced = VMS[vm].run(
        f"echo {marker} | {BIN}/kafka-console-producer.sh --bootstrap-server localhost:9092 --topic test-topic"
    )
    assert produced.rc == 0, produced.stderr
    assert marker in read_topic("localhost:9093", VMS[vm])


def node_pids(host=VM) -> dict[int, str]:
    return {
        node_id: host.run(f"systemctl show --property=MainPID --value kafka-node{node_id}").stdout.strip()
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


@EACH_VM
@pytest.mark.parametrize("node_id", sorted(NODES))
def test_every_node_runs_the_new_release(vm, node_id):
    host = VMS[vm]
    assert host.file("/opt/kafka").linked_to == f"/opt/kafka-{NEW}"
    pid = node_pids(host)[node_id]
    cmdline = host.file(f"/proc/{pid}/cmdline").content_string
    assert f"/opt/kafka-{NEW}/libs" in cmdline
    assert f"/opt/kafka-{OLD}/" not in cmdline


@EACH_VM
def test_finalized_features_leave_kraft_version_alone(vm):
    """vm1 by upgrade.yml's finalize; vm2 formatted by 4.4.0 at the same levels, with a static quorum too."""
    levels = finalized_levels(VMS[vm], "localhost:9092,localhost:9093")
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
