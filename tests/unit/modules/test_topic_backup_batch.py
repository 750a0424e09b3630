"""kafka_topic_backup's batched dump: many topics through one consumer, all files or none.

The consumer is a stand-in with in-memory logs, so the reading rules are tested
without a broker: offsets taken once for every topic, topics read a round at a
time, records past the end offsets left out, partitions that end on a gap
(compaction, transaction markers) finished by their position, and nothing left
on disk when a topic is missing or the time runs out.
"""

from __future__ import annotations

import json
from collections import namedtuple

import pytest
from ansible_collections.kafkaops.kraft.plugins.module_utils import backup
from ansible_collections.kafkaops.kraft.plugins.module_utils.backup import (
    decode_record,
    dump_lines,
    dump_summary,
    dump_targets,
    dump_with,
    meta_path,
    meta_text,
)
from ansible_collections.kafkaops.kraft.plugins.module_utils.kafka_client import KafkaModuleError
from kafka import TopicPartition

Record = namedtuple("Record", "offset timestamp key value headers")


class FakeConsumer:
    """logs: {topic: [[offset, ...] per partition]}; end: {topic: [end offset per partition]} taken at the start.

    A partition's log may hold offsets at or past its end offset (written after the dump started) and may stop
    short of it (a trailing transaction marker): the position then jumps to the log end, as Kafka's does.
    """

    def __init__(self, logs, end, per_poll=2):
        self.logs = {TopicPartition(t, p): offsets for t, parts in logs.items() for p, offsets in enumerate(parts)}
        self.end = {TopicPartition(t, p): e for t, ends in end.items() for p, e in enumerate(ends)}
        self.per_poll = per_poll
        self.calls = []
        self.assigned = []
        self.paused = set()
        self.positions = {}

    def topics(self):
        self.calls.append("topics")
        return set(tp.topic for tp in self.logs if not tp.topic.startswith("__"))

    def partitions_for_topic(self, topic):
        return set(tp.partition for tp in self.logs if tp.topic == topic)

    def end_offsets(self, tps):
        self.calls.append(("end_offsets", len(tps)))
        return dict((tp, self.end[tp]) for tp in tps)

    def beginning_offsets(self, tps):
        self.calls.append(("beginning_offsets", len(tps)))
        return dict((tp, (self.logs[tp] or [self.end[tp]])[0]) for tp in tps)

    def assign(self, tps):
        self.calls.append(("assign", sorted(set(tp.topic for tp in tps))))
        self.assigned = list(tps)
        self.paused = set()

    def seek(self, tp, offset):
        self.positions[tp] = offset

    def position(self, tp):
        return self.positions[tp]

    def pause(self, *tps):
        self.paused.update(tps)

    def poll(self, timeout_ms):
        out = {}
        for tp in self.assigned:
            if tp in self.paused:
                continue
            ahead = [o for o in self.logs[tp] if o >= self.positions[tp]][: self.per_poll]
            if ahead:
                out[tp] = [
                    Record(o, 1700000000000 + o, None, b"%s-%d-%d" % (tp.topic.encode(), tp.partition, o), [])
                    for o in ahead
                ]
                self.positions[tp] = ahead[-1] + 1
            else:
                self.positions[tp] = max(self.positions[tp], self.end[tp])
        return out


def read_dump(path):
    return [decode_record(line) for line in open(path)]


def test_meta_path_sits_beside_the_dump():
    assert meta_path("/b/STAMP/orders.jsonl") == "/b/STAMP/orders.meta.json"
    assert meta_path("/b/orders.v2.jsonl") == "/b/orders.v2.meta.json"
    assert meta_path("/b/dump") == "/b/dump.meta.json"


def test_single_topic_dumps_to_the_given_file():
    assert dump_targets("orders", None, "/b/x.jsonl") == [("orders", "/b/x.jsonl")]


def test_topics_dump_into_the_directory_once_each_in_order():
    assert dump_targets(None, ["b", "a", "b"], "/d") == [("b", "/d/b.jsonl"), ("a", "/d/a.jsonl")]
    assert dump_targets(None, [], "/d") == []


@pytest.mark.parametrize("name", ["../etc", "a/b", ".", "..", "", "x" * 250, "spaces here"])
def test_names_kafka_would_refuse_are_named_in_the_error(name):
    with pytest.raises(KafkaModuleError, match="not a valid topic name") as caught:
        dump_targets(None, ["fine", name], "/d")
    assert repr(name) in caught.value.msg
    assert "'fine'" not in caught.value.msg


def test_summary_and_lines():
    entries = [dict(topic="a", partitions=2, records=5), dict(topic="b", partitions=3, records=0)]
    assert dump_summary(entries) == {"topics": 2, "partitions": 5, "records": 5}
    assert dump_lines(entries) == ["a: 5 record(s), 2 partition(s)", "b: 0 record(s), 3 partition(s)"]


def test_meta_text_is_what_restore_reads():
    entry = dict(
        topic="a",
        path="/d/a.jsonl",
        meta_path="/d/a.meta.json",
        partitions=2,
        records=3,
        per_partition={"0": 2, "1": 1},
        start_offsets={"0": 0, "1": 4},
        end_offsets={"0": 2, "1": 5},
    )
    meta = json.loads(meta_text(entry))
    assert meta == {key: entry[key] for key in backup.META_KEYS}
    assert meta["partitions"] == 2


def test_many_topics_one_offsets_lookup_and_rounds_of_topics(tmp_path, monkeypatch):
    monkeypatch.setattr(backup, "TOPICS_PER_ROUND", 2)
    names = ["t0", "t1", "t2", "t3", "t4"]
    logs = {name: [[0, 1, 2], [0, 1]] for name in names}
    logs["t2"] = [[], []]  # empty: never assigned
    end = {name: [3, 2] for name in names}
    end["t2"] = [0, 0]
    consumer = FakeConsumer(logs, end)
    entries = dump_with(consumer, dump_targets(None, names, str(tmp_path)), 60, check_mode=False)

    assert consumer.calls.count("topics") == 1
    assert [c for c in consumer.calls if c[0] in ("end_offsets", "beginning_offsets")] == [
        ("end_offsets", 10),
        ("beginning_offsets", 10),
    ]
    assert [c[1] for c in consumer.calls if c[0] == "assign"] == [["t0", "t1"], ["t3"], ["t4"]]
    assert [e["records"] for e in entries] == [5, 5, 0, 5, 5]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f"{n}.jsonl" for n in names] + [f"{n}.meta.json" for n in names]
    )
    rows = read_dump(tmp_path / "t3.jsonl")
    assert [(r["partition"], r["offset"]) for r in rows if r["partition"] == 0] == [(0, 0), (0, 1), (0, 2)]
    assert rows[0]["value"] == b"t3-0-0"
    assert (tmp_path / "t2.jsonl").read_text() == ""
    assert json.loads((tmp_path / "t4.meta.json").read_text())["per_partition"] == {"0": 3, "1": 2}


def test_records_past_the_end_offsets_are_left_out_and_gaps_finish_a_partition(tmp_path):
    # Partition 0: offsets 3 and 4 arrived after the dump started. Partition 1: a marker at 2 ends the log.
    consumer = FakeConsumer({"a": [[0, 1, 2, 3, 4], [0, 1]]}, {"a": [3, 3]})
    [entry] = dump_with(consumer, [("a", str(tmp_path / "a.jsonl"))], 60, check_mode=False)
    assert entry["per_partition"] == {"0": 3, "1": 2}
    assert entry["end_offsets"] == {"0": 3, "1": 3}
    assert max(r["offset"] for r in read_dump(tmp_path / "a.jsonl") if r["partition"] == 0) == 2


def test_internal_topics_are_dumped_too(tmp_path):
    consumer = FakeConsumer({"__consumer_offsets": [[0, 1]]}, {"__consumer_offsets": [2]})
    [entry] = dump_with(consumer, dump_targets(None, ["__consumer_offsets"], str(tmp_path)), 60, check_mode=False)
    assert entry["records"] == 2


def test_a_missing_topic_reads_and_writes_nothing(tmp_path):
    consumer = FakeConsumer({"a": [[0]]}, {"a": [1]})
    targets = dump_targets(None, ["a", "gone", "also-gone"], str(tmp_path))
    with pytest.raises(KafkaModuleError, match="not found, nothing was dumped: gone, also-gone") as caught:
        dump_with(consumer, targets, 60, check_mode=False)
    assert caught.value.details == {"missing_topics": ["gone", "also-gone"]}
    assert not [c for c in consumer.calls if c[0] == "assign"]
    assert list(tmp_path.iterdir()) == []


def test_a_timeout_leaves_no_file_of_the_run(tmp_path, monkeypatch):
    monkeypatch.setattr(backup, "TOPICS_PER_ROUND", 1)
    (tmp_path / "b.jsonl").write_text("earlier dump\n")
    consumer = FakeConsumer({"a": [[0, 1]], "b": [[0, 1, 2, 3]]}, {"a": [2], "b": [4]}, per_poll=1)
    times = iter([0.0] + [float(i) for i in range(100)])
    monkeypatch.setattr(backup.time, "monotonic", lambda: next(times))
    with pytest.raises(KafkaModuleError, match=r"timed out after 3 s, still reading 1 partition\(s\) of b"):
        dump_with(consumer, dump_targets(None, ["a", "b"], str(tmp_path)), 3, check_mode=False)
    # a was read completely but is not renamed into place; b's earlier dump is untouched.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.jsonl"]
    assert (tmp_path / "b.jsonl").read_text() == "earlier dump\n"


def test_check_mode_reports_offset_spans_and_writes_nothing(tmp_path):
    consumer = FakeConsumer({"a": [[5, 6, 7], []], "b": [[0]]}, {"a": [8, 0], "b": [1]})
    entries = dump_with(consumer, dump_targets(None, ["a", "b"], str(tmp_path)), 60, check_mode=True)
    assert [(e["topic"], e["records"], e["per_partition"]) for e in entries] == [
        ("a", 3, {"0": 3, "1": 0}),
        ("b", 1, {"0": 1}),
    ]
    assert not [c for c in consumer.calls if c[0] == "assign"]
    assert list(tmp_path.iterdir()) == []
