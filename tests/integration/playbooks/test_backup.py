"""playbooks/backup.yml: where dumps land on the controller, and the health gate before a node stops.

Topic dumps run for real against the session's local broker. For log-dir
backups the inventory's only node is this machine: systemctl and Kafka's
tools are stand-ins on PATH and in a scratch install dir, so the test sees
whether the node would have been stopped, and the gates read what the
stand-ins print. HOME is a scratch directory, so the default backup
directory (~/kafkaops-backups) is too.
"""

from __future__ import annotations

import json
import socket
import sys
import uuid
from pathlib import Path

import pytest

from tests.support.inventory import write_single_node_inventory
from tests.support.playbook import run_playbook, venv_path

REPO = Path(__file__).resolve().parents[3]
HEALTHY_QUORUM = (
    "NodeId  DirectoryId  LogEndOffset  Lag  LastFetchTimestamp  LastCaughtUpTimestamp  Status\n"
    "1       AAAAAAAAAAAAAAAAAAAAAA  100  0    1700000000000       1700000000000          Leader\n"
)
UNDER_REPLICATED = "\tTopic: orders\tPartition: 0\tLeader: 1\tReplicas: 1,2\tIsr: 1\n"


@pytest.fixture
def listening_port():
    """A port that accepts connections, standing in for the node's client listener."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield server.getsockname()[1]


def stand_ins(tmp_path: Path, under_replicated: bool) -> dict:
    """A fake systemctl on PATH (records calls, keeps unit state) and fake Kafka tools."""
    bin_dir, install_dir, state = tmp_path / "bin", tmp_path / "kafka", tmp_path / "systemd"
    for d in (bin_dir, install_dir / "bin", state):
        d.mkdir(parents=True)
    (bin_dir / "systemctl").write_text(
        "#!/bin/sh\n"
        f'echo "$*" >> {state}/calls\n'
        f"f={state}/$2.state\n"
        'active=$(cat "$f" 2>/dev/null || echo active)\n'
        'case "$1" in\n'
        '  show) printf "Id=%s\\nLoadState=loaded\\nActiveState=%s\\n" "$2" "$active" ;;\n'
        '  stop) echo inactive > "$f" ;;\n'
        '  start) echo active > "$f" ;;\n'
        "  is-enabled) echo enabled ;;\n"
        "esac\n"
    )
    (install_dir / "bin" / "kafka-metadata-quorum.sh").write_text(f"#!/bin/sh\ncat <<'EOF'\n{HEALTHY_QUORUM}EOF\n")
    urp = f"cat <<'EOF'\n{UNDER_REPLICATED}EOF\n" if under_replicated else ""
    (install_dir / "bin" / "kafka-topics.sh").write_text(
        f'#!/bin/sh\ncase "$*" in *--under-replicated-partitions*) {urp}: ;; esac\n'
    )
    for script in (*bin_dir.iterdir(), *(install_dir / "bin").iterdir()):
        script.chmod(0o755)
    return {"bin": bin_dir, "install_dir": install_dir, "calls": state / "calls"}


def run_backup(
    tmp_path: Path,
    variables: dict,
    host_vars: dict | None = None,
    path_prefix: Path | None = None,
    *args: str,
    json_output: bool = False,
):
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    (data / "meta.properties").write_text("node.id=1\n")
    write_single_node_inventory(
        tmp_path / "hosts.yml",
        {"ansible_become": False, "ansible_python_interpreter": sys.executable},
        {"kafka_kraft_data_root": str(data), **(host_vars or {})},
    )
    variables = {
        "backup_remote_dir": str(tmp_path / "remote"),
        "backup_admin_venv": str(Path(sys.executable).parent.parent),
        "backup_stamp": "STAMP",
        **variables,
    }
    path = venv_path(*([path_prefix] if path_prefix else []))
    return run_playbook(
        "playbooks/backup.yml",
        "-i",
        tmp_path / "hosts.yml",
        "-e",
        json.dumps(variables),
        *args,
        env={"HOME": str(home), "PATH": path},
        json_output=json_output,
    )


@pytest.fixture
def topic_with_records(kafka_broker):
    from kafka import KafkaProducer
    from kafka.admin import KafkaAdminClient, NewTopic

    name = f"backup-{uuid.uuid4().hex[:10]}"
    admin = KafkaAdminClient(bootstrap_servers=kafka_broker.bootstrap, request_timeout_ms=15000)
    admin.create_topics([NewTopic(name, num_partitions=2, replication_factor=1)])
    admin.close()
    producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap, acks="all")
    for i in range(5):
        producer.send(name, value=f"r{i}".encode(), partition=i % 2)
    producer.flush(30)
    producer.close()
    return name


def dump_vars(kafka_broker, topic):
    return {"backup_topics": [topic], "backup_bootstrap_servers": [kafka_broker.bootstrap]}


@pytest.fixture
def several_topics(kafka_broker, topic_with_records):
    """topic_with_records (5 records, 2 partitions), one with 3 records in 3 partitions, and an empty one."""
    from kafka import KafkaProducer
    from kafka.admin import KafkaAdminClient, NewTopic

    more = [f"backup-{uuid.uuid4().hex[:10]}" for i in range(2)]
    admin = KafkaAdminClient(bootstrap_servers=kafka_broker.bootstrap, request_timeout_ms=15000)
    admin.create_topics([NewTopic(name, num_partitions=3, replication_factor=1) for name in more])
    admin.close()
    producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap, acks="all")
    for i in range(3):
        producer.send(more[0], value=f"s{i}".encode(), partition=i)
    producer.flush(30)
    producer.close()
    return [topic_with_records, *more]


def topic_play(output: dict) -> dict:
    return next(play for play in output["plays"] if play["play"]["name"] == "Back up topics")


@pytest.mark.integration
def test_default_backup_dir_is_outside_the_repository(tmp_path, kafka_broker, topic_with_records):
    before = set((REPO / "backups").rglob("*")) if (REPO / "backups").exists() else set()
    result = run_backup(tmp_path, dump_vars(kafka_broker, topic_with_records))
    assert result.returncode == 0, result.stdout[-3000:]
    stamp_dir = tmp_path / "home" / "kafkaops-backups" / "STAMP"
    assert (stamp_dir / f"{topic_with_records}.jsonl").read_text().count("\n") == 5
    assert json.loads((stamp_dir / f"{topic_with_records}.meta.json").read_text())["records"] == 5
    after = set((REPO / "backups").rglob("*")) if (REPO / "backups").exists() else set()
    assert after == before


@pytest.mark.integration
def test_several_topics_are_one_module_call_and_one_transfer(tmp_path, kafka_broker, several_topics):
    variables = {"backup_topics": several_topics, "backup_bootstrap_servers": [kafka_broker.bootstrap]}
    result = run_backup(tmp_path, variables, json_output=True)
    assert result.returncode == 0, result.stdout[-3000:]
    tasks = topic_play(json.loads(result.stdout))["tasks"]
    # No task of the play loops over the topics, and the dump is one module run.
    assert not [t["task"]["name"] for t in tasks if "results" in t["hosts"]["k1"]]
    dumps = [t["hosts"]["k1"] for t in tasks if t["hosts"]["k1"].get("action") == "kafkaops.kraft.kafka_topic_backup"]
    assert len(dumps) == 1
    assert dumps[0]["summary"] == {"topics": 3, "partitions": 8, "records": 8}
    stamp_dir = tmp_path / "home" / "kafkaops-backups" / "STAMP"
    expected = sorted(f"{t}{ext}" for t in several_topics for ext in (".jsonl", ".meta.json"))
    assert sorted(p.name for p in stamp_dir.iterdir()) == expected
    assert sorted(p.name for p in (tmp_path / "remote" / "STAMP").iterdir()) == expected
    metas = [json.loads((stamp_dir / f"{t}.meta.json").read_text()) for t in several_topics]
    assert [(m["topic"], m["partitions"], m["records"]) for m in metas] == [
        (several_topics[0], 2, 5),
        (several_topics[1], 3, 3),
        (several_topics[2], 3, 0),
    ]
    assert (stamp_dir / f"{several_topics[1]}.jsonl").read_text().count("\n") == 3

    # restore.yml reads this layout: the partition count comes from the .meta.json beside the dump.
    target = f"restored-{uuid.uuid4().hex[:10]}"
    restored = run_playbook(
        "playbooks/restore.yml",
        "-i",
        tmp_path / "hosts.yml",
        "-e",
        json.dumps(
            {
                "restore_file": str(stamp_dir / f"{several_topics[1]}.jsonl"),
                "restore_topic": target,
                "restore_bootstrap_servers": [kafka_broker.bootstrap],
                "restore_admin_venv": str(Path(sys.executable).parent.parent),
                "restore_remote_dir": str(tmp_path / "upload"),
            }
        ),
        env={"HOME": str(tmp_path / "home"), "PATH": venv_path()},
    )
    assert restored.returncode == 0, restored.stdout[-3000:]
    assert f"3 record(s) restored into {target} (3 partitions)" in restored.stdout


@pytest.mark.integration
def test_a_missing_topic_fails_the_backup_before_anything_is_written(tmp_path, kafka_broker, topic_with_records):
    gone = f"gone-{uuid.uuid4().hex[:10]}"
    variables = {"backup_topics": [topic_with_records, gone], "backup_bootstrap_servers": [kafka_broker.bootstrap]}
    result = run_backup(tmp_path, variables)
    assert result.returncode != 0
    assert f"topic(s) not found, nothing was dumped: {gone}" in result.stdout, result.stdout[-3000:]
    assert list((tmp_path / "remote" / "STAMP").iterdir()) == []
    assert list((tmp_path / "home" / "kafkaops-backups" / "STAMP").iterdir()) == []


@pytest.mark.integration
def test_backup_dir_inside_a_git_work_tree_is_refused(tmp_path, kafka_broker, topic_with_records):
    worktree = tmp_path / "checkout"
    (worktree / ".git").mkdir(parents=True)
    target = worktree / "backups"
    result = run_backup(tmp_path, {**dump_vars(kafka_broker, topic_with_records), "backup_dir": str(target)})
    assert result.returncode != 0
    assert f"is inside the git work tree {worktree}" in result.stdout, result.stdout[-3000:]
    assert not target.exists()
    assert not (tmp_path / "remote").exists()


@pytest.mark.integration
def test_a_git_work_tree_may_be_allowed_explicitly(tmp_path, kafka_broker, topic_with_records):
    worktree = tmp_path / "checkout"
    (worktree / ".git").mkdir(parents=True)
    target = worktree / "backups"
    variables = {**dump_vars(kafka_broker, topic_with_records), "backup_dir": str(target)}
    result = run_backup(tmp_path, {**variables, "backup_allow_git_worktree": True})
    assert result.returncode == 0, result.stdout[-3000:]
    assert (target / "STAMP" / f"{topic_with_records}.jsonl").is_file()


def logdir_run(tmp_path, port, under_replicated):
    fakes = stand_ins(tmp_path, under_replicated)
    variables = {
        "backup_topics": [],
        "backup_logdirs": True,
        "backup_dir": str(tmp_path / "backups"),
        "kafka_kraft_health_retries": 1,
        "kafka_kraft_health_delay": 1,
    }
    host_vars = {"kafka_kraft_install_dir": str(fakes["install_dir"]), "kafka_kraft_client_port": port}
    result = run_backup(tmp_path, variables, host_vars, path_prefix=fakes["bin"])
    calls = fakes["calls"].read_text().splitlines() if fakes["calls"].exists() else []
    return result, calls


@pytest.mark.integration
def test_logdir_backup_refuses_to_stop_a_node_of_an_unhealthy_cluster(tmp_path, listening_port):
    result, calls = logdir_run(tmp_path, listening_port, under_replicated=True)
    assert result.returncode != 0
    assert "Log-dir backup refused: before stopping node 1" in result.stdout, result.stdout[-3000:]
    assert "Nothing was stopped" in result.stdout
    assert not [c for c in calls if c.startswith("stop")], calls
    assert not list((tmp_path / "remote").rglob("*.tar.gz"))


@pytest.mark.integration
def test_logdir_backup_of_a_healthy_cluster_stops_archives_and_starts(tmp_path, listening_port):
    result, calls = logdir_run(tmp_path, listening_port, under_replicated=False)
    assert result.returncode == 0, result.stdout[-3000:]
    assert [c for c in calls if c.split()[0] in ("stop", "start")] == ["stop kafka-node1", "start kafka-node1"]
    assert (tmp_path / "backups" / "STAMP" / "k1-node1-logdir.tar.gz").is_file()


@pytest.mark.integration
def test_check_mode_writes_nothing_and_stops_nothing(tmp_path, kafka_broker, topic_with_records, listening_port):
    fakes = stand_ins(tmp_path, under_replicated=False)
    variables = {**dump_vars(kafka_broker, topic_with_records), "backup_logdirs": True}
    host_vars = {"kafka_kraft_install_dir": str(fakes["install_dir"]), "kafka_kraft_client_port": listening_port}
    result = run_backup(tmp_path, variables, host_vars, fakes["bin"], "--check")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "Check mode: would dump at most 5 record(s) of 1 topic(s) (2 partitions)" in result.stdout
    assert f"{topic_with_records}: 5 record(s), 2 partition(s)" in result.stdout
    assert not (tmp_path / "home" / "kafkaops-backups").exists()
    assert not (tmp_path / "remote").exists()
    calls = fakes["calls"].read_text().splitlines() if fakes["calls"].exists() else []
    assert not [c for c in calls if c.split()[0] in ("stop", "start")], calls
