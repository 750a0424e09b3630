"""kafkaops.kraft.kafka_topic_backup dumps against a real Kafka 3.9.1 KRaft broker.

The list form dumps many topics in one call, each to DIR/TOPIC.jsonl with a
.meta.json beside it; the single-topic form keeps its file and its top-level
results; a missing topic and check mode leave nothing on disk.
"""

from __future__ import annotations

import json
import uuid

import pytest
from kafka import KafkaProducer
from kafka.admin import NewTopic

pytestmark = pytest.mark.integration
BACKUP = "kafkaops.kraft.kafka_topic_backup"


@pytest.fixture
def filled_topics(kafka_broker, admin):
    """Three topics: 2 partitions with 5 records, 3 partitions with 7 records, and an empty one."""
    names = [f"bk-{uuid.uuid4().hex[:8]}-{i}" for i in range(3)]
    admin.create_topics(
        [NewTopic(n, num_partitions=p, replication_factor=1) for n, p in zip(names, (2, 3, 1), strict=True)]
    )
    producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap, acks="all")
    for name, (count, parts) in zip(names[:2], ((5, 2), (7, 3)), strict=True):
        for i in range(count):
            producer.send(name, key=b"k%d" % i, value=f"{name}-{i}".encode(), partition=i % parts)
    producer.flush(30)
    producer.close()
    return names


def test_many_topics_in_one_call(tmp_path, ansible_module, filled_topics):
    out = tmp_path / "dumps"
    out.mkdir()
    run = ansible_module(BACKUP, {"topics": filled_topics + filled_topics[:1], "path": str(out)})
    assert not run.failed, run.result
    assert run["changed"]
    assert run["summary"] == {"topics": 3, "partitions": 6, "records": 12}
    assert [(e["topic"], e["records"], e["partitions"]) for e in run["topics"]] == [
        (filled_topics[0], 5, 2),
        (filled_topics[1], 7, 3),
        (filled_topics[2], 0, 1),
    ]
    assert run["files"] == [str(out / f"{n}{ext}") for n in filled_topics for ext in (".jsonl", ".meta.json")]
    assert sorted(p.name for p in out.iterdir()) == sorted(p.rsplit("/", 1)[1] for p in run["files"])
    rows = [json.loads(line) for line in (out / f"{filled_topics[1]}.jsonl").read_text().splitlines()]
    assert sorted(r["value"] for r in rows) == sorted(f"{filled_topics[1]}-{i}" for i in range(7))
    assert {r["topic"] for r in rows} == {filled_topics[1]}
    meta = json.loads((out / f"{filled_topics[0]}.meta.json").read_text())
    assert meta["topic"] == filled_topics[0]
    assert meta["partitions"] == 2
    assert meta["per_partition"] == {"0": 3, "1": 2}
    assert f"dumped 12 record(s) of 3 topic(s) (6 partitions) to {out}" == run["msg"]


def test_single_topic_form_keeps_its_file_and_results(tmp_path, ansible_module, filled_topics):
    path = tmp_path / "one.jsonl"
    run = ansible_module(BACKUP, {"topic": filled_topics[0], "path": str(path)})
    assert not run.failed, run.result
    assert (run["records"], run["partitions"], run["per_partition"]) == (5, 2, {"0": 3, "1": 2})
    assert run["end_offsets"] == {"0": 3, "1": 2}
    assert path.read_text().count("\n") == 5
    assert json.loads((tmp_path / "one.meta.json").read_text())["records"] == 5


def test_a_missing_topic_dumps_nothing(tmp_path, ansible_module, filled_topics):
    gone = f"gone-{uuid.uuid4().hex[:8]}"
    out = tmp_path / "dumps"
    out.mkdir()
    run = ansible_module(BACKUP, {"topics": [filled_topics[0], gone], "path": str(out)})
    assert run.failed
    assert f"topic(s) not found, nothing was dumped: {gone}" in run["msg"]
    assert run["missing_topics"] == [gone]
    assert list(out.iterdir()) == []


def test_check_mode_says_what_it_would_dump_and_writes_nothing(tmp_path, ansible_module, filled_topics):
    out = tmp_path / "not-created"
    run = ansible_module(BACKUP, {"topics": filled_topics, "path": str(out)}, check=True)
    assert not run.failed, run.result
    assert run["msg"] == f"would dump at most 12 record(s) of 3 topic(s) (6 partitions) to {out}"
    assert [e["records"] for e in run["topics"]] == [5, 7, 0]
    assert not out.exists()


def test_restore_takes_one_topic(tmp_path, ansible_module, filled_topics):
    dump = tmp_path / "x.jsonl"
    dump.write_text("")
    run = ansible_module(BACKUP, {"topics": filled_topics, "path": str(dump), "state": "restored"})
    assert run.failed
    assert "state=restored takes one target topic" in run["msg"]
