"""playbooks/restore.yml checks an existing target before touching it, and never alters it.

The playbook runs for real against the session's local broker: the inventory's
only broker is this machine (local connection), and the modules run in the
test's own Python, which has kafka-python.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.support.inventory import write_single_node_inventory
from tests.support.playbook import run_playbook, venv_path

DUMP_PARTITIONS = 4


def write_dump(directory: Path, partitions: int = DUMP_PARTITIONS, with_meta: bool = True) -> Path:
    dump = directory / "source.jsonl"
    rows = [
        {
            "topic": "source",
            "partition": p,
            "offset": 0,
            "timestamp": None,
            "key": f"k{p}",
            "value": f"v{p}",
            "headers": [],
        }
        for p in range(partitions)
    ]
    dump.write_text("".join(json.dumps(row) + "\n" for row in rows))
    if with_meta:
        (directory / "source.meta.json").write_text(json.dumps({"topic": "source", "partitions": partitions}))
    return dump


def run_restore(
    tmp_path: Path, bootstrap: str, dump: Path, topic: str, check: bool = False, **extra
) -> subprocess.CompletedProcess:
    write_single_node_inventory(
        tmp_path / "hosts.yml", {"ansible_become": False, "ansible_python_interpreter": sys.executable}
    )
    variables = {
        "restore_file": str(dump),
        "restore_topic": topic,
        "restore_bootstrap_servers": [bootstrap],
        "restore_admin_venv": str(Path(sys.executable).parent.parent),
        "restore_remote_dir": str(tmp_path / "upload"),
        **extra,
    }
    return run_playbook(
        "playbooks/restore.yml",
        "-i",
        tmp_path / "hosts.yml",
        "-e",
        json.dumps(variables),
        *(["--check"] if check else []),
        env={"PATH": venv_path()},
    )


def partitions(admin, topic: str) -> int | None:
    meta = admin.describe_topics([topic])[0]
    return None if meta["error_code"] == 3 else len(meta["partitions"])


def create(admin, topic: str, count: int) -> None:
    from kafka.admin import NewTopic

    admin.create_topics([NewTopic(topic, num_partitions=count, replication_factor=1)])


def produce(bootstrap: str, topic: str, n: int) -> None:
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    for i in range(n):
        producer.send(topic, value=f"old-{i}".encode(), partition=0)
    producer.flush(30)
    producer.close()


@pytest.fixture
def topic():
    return f"restore-{uuid.uuid4().hex[:10]}"


@pytest.mark.integration
def test_missing_target_is_created_with_the_dumps_partitions(tmp_path, kafka_broker, admin, topic):
    result = run_restore(tmp_path, kafka_broker.bootstrap, write_dump(tmp_path), topic)
    assert result.returncode == 0, result.stdout[-3000:]
    assert partitions(admin, topic) == DUMP_PARTITIONS
    assert f"{DUMP_PARTITIONS} record(s) restored into {topic}" in result.stdout


@pytest.mark.integration
def test_empty_target_with_fewer_partitions_is_refused_not_grown(tmp_path, kafka_broker, admin, topic):
    create(admin, topic, 2)
    result = run_restore(tmp_path, kafka_broker.bootstrap, write_dump(tmp_path), topic)
    assert result.returncode != 0
    assert f"{topic} exists with 2 partition(s) but the dump has {DUMP_PARTITIONS}" in result.stdout, result.stdout[
        -3000:
    ]
    assert "never alters an existing topic" in result.stdout
    assert partitions(admin, topic) == 2


@pytest.mark.integration
def test_non_empty_target_is_refused_before_any_change(tmp_path, kafka_broker, admin, topic):
    create(admin, topic, 2)
    produce(kafka_broker.bootstrap, topic, 3)
    result = run_restore(tmp_path, kafka_broker.bootstrap, write_dump(tmp_path), topic)
    assert result.returncode != 0
    assert f"{topic} already holds 3 record(s)" in result.stdout, result.stdout[-3000:]
    assert partitions(admin, topic) == 2
    assert not (tmp_path / "upload").exists()


@pytest.mark.integration
def test_appending_never_grows_the_target_either(tmp_path, kafka_broker, admin, topic):
    create(admin, topic, 2)
    produce(kafka_broker.bootstrap, topic, 3)
    result = run_restore(tmp_path, kafka_broker.bootstrap, write_dump(tmp_path), topic, restore_allow_nonempty=True)
    assert result.returncode != 0
    assert "never alters an existing topic" in result.stdout, result.stdout[-3000:]
    assert partitions(admin, topic) == 2


@pytest.mark.integration
def test_existing_target_without_a_known_partition_count_is_refused(tmp_path, kafka_broker, admin, topic):
    create(admin, topic, DUMP_PARTITIONS)
    result = run_restore(tmp_path, kafka_broker.bootstrap, write_dump(tmp_path, with_meta=False), topic)
    assert result.returncode != 0
    assert "partition count is unknown" in result.stdout, result.stdout[-3000:]


@pytest.mark.integration
def test_empty_target_with_enough_partitions_is_restored(tmp_path, kafka_broker, admin, topic):
    create(admin, topic, DUMP_PARTITIONS)
    result = run_restore(tmp_path, kafka_broker.bootstrap, write_dump(tmp_path), topic)
    assert result.returncode == 0, result.stdout[-3000:]
    assert f"{DUMP_PARTITIONS} record(s) restored into {topic}" in result.stdout
    assert partitions(admin, topic) == DUMP_PARTITIONS


@pytest.mark.integration
def test_check_mode_creates_nothing(tmp_path, kafka_broker, admin, topic):
    result = run_restore(tmp_path, kafka_broker.bootstrap, write_dump(tmp_path), topic, check=True)
    assert result.returncode == 0, result.stdout[-3000:]
    assert f"would be restored into {topic}" in result.stdout
    assert partitions(admin, topic) is None
    assert not (tmp_path / "upload").exists()
