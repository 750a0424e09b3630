# -*- coding: utf-8 -*-
# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0
"""Topic backup to JSON lines and restore, for kafkaops.kraft.kafka_topic_backup.

One JSON object per record: topic, partition, offset, timestamp, key, value
and headers. Bytes that are valid UTF-8 are stored as text, anything else as
base64 with an ``*_encoding: base64`` marker, so any record round-trips.
Any number of topics is dumped through one consumer (dump_topics), each to its
own file with a ``.meta.json`` beside it; the single-topic form is a one-entry
batch. encode_record()/decode_record(), dump_targets(), meta_path(),
meta_text(), dump_summary() and dump_lines() are pure and unit-tested.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import os
import re
import tempfile
import time

from ansible_collections.kafkaops.kraft.plugins.module_utils.kafka_client import KafkaModuleError, client_config

# Kafka's legal topic names; a name is also the dump's file name, so nothing else is accepted.
TOPIC_NAME = re.compile(r"^[A-Za-z0-9._-]{1,249}$")
# Topics read together: their dump files are open at once, well under the usual 1024 descriptors.
TOPICS_PER_ROUND = 100
# What a dump's .meta.json holds (restore.yml reads partitions).
META_KEYS = ("topic", "partitions", "records", "per_partition", "start_offsets", "end_offsets")


def _encode(data):
    """bytes -> (text, encoding); None stays None."""
    if data is None:
        return None, None
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        return base64.b64encode(data).decode("ascii"), "base64"


def _decode(text, encoding):
    if text is None:
        return None
    if encoding == "base64":
        return base64.b64decode(text)
    return text.encode("utf-8")


def encode_record(topic, partition, offset, timestamp, key, value, headers):
    """One record as a JSON line (no trailing newline)."""
    row = dict(topic=topic, partition=partition, offset=offset, timestamp=timestamp)
    row["key"], key_encoding = _encode(key)
    row["value"], value_encoding = _encode(value)
    if key_encoding:
        row["key_encoding"] = key_encoding
    if value_encoding:
        row["value_encoding"] = value_encoding
    rows = []
    for name, data in headers or []:
        text, encoding = _encode(data)
        header = dict(key=name, value=text)
        if encoding:
            header["encoding"] = encoding
        rows.append(header)
    row["headers"] = rows
    return json.dumps(row, sort_keys=True, separators=(",", ":"))


def decode_record(line):
    """A JSON line -> dict(partition, offset, timestamp, key, value, headers) with bytes."""
    try:
        row = json.loads(line)
    except ValueError as exc:
        raise KafkaModuleError("not a JSON line: %s" % exc) from None
    return dict(
        partition=int(row["partition"]),
        offset=int(row["offset"]),
        timestamp=row.get("timestamp"),
        key=_decode(row.get("key"), row.get("key_encoding")),
        value=_decode(row.get("value"), row.get("value_encoding")),
        headers=[(h["key"], _decode(h.get("value"), h.get("encoding"))) for h in row.get("headers") or []],
    )


def consumer_config(params):
    """KafkaConsumer keyword arguments from the shared connection options."""
    config = client_config(params)
    config.pop("bootstrap_timeout_ms", None)
    config.update(group_id=None, enable_auto_commit=False, auto_offset_reset="earliest", consumer_timeout_ms=1000)
    return config


def producer_config(params):
    config = client_config(params)
    config.pop("bootstrap_timeout_ms", None)
    config.update(acks="all", enable_idempotence=True, linger_ms=20, retries=2147483647)
    return config


def meta_path(path):
    """The description beside a dump: DIR/NAME.jsonl -> DIR/NAME.meta.json (where restore.yml looks)."""
    stem = path[: -len(".jsonl")] if path.endswith(".jsonl") else path
    return stem + ".meta.json"


def dump_targets(topic, topics, path):
    """[(topic, dump file)]: `topic` dumps to the file `path`; `topics` each to DIR/TOPIC.jsonl in the directory `path`.

    Duplicates are dropped (first one kept); a name Kafka would refuse is an error naming it.
    """
    names = [topic] if topic is not None else list(dict.fromkeys(topics or []))
    bad = [name for name in names if not TOPIC_NAME.match(name) or name in (".", "..")]
    if bad:
        raise KafkaModuleError(
            "not a valid topic name (letters, digits, '.', '_' and '-', at most 249): %s" % ", ".join(map(repr, bad))
        )
    if topic is not None:
        return [(topic, path)]
    return [(name, os.path.join(path, name + ".jsonl")) for name in names]


def dump_summary(entries):
    """Counts over the per-topic results, for the module's summary and msg."""
    return dict(
        topics=len(entries),
        partitions=sum(entry["partitions"] for entry in entries),
        records=sum(entry["records"] for entry in entries),
    )


def dump_lines(entries):
    """One line per topic, for the playbook's report."""
    return [
        "%s: %d record(s), %d partition(s)" % (entry["topic"], entry["records"], entry["partitions"])
        for entry in entries
    ]


def _chunks(items, size):
    return [items[i : i + size] for i in range(0, len(items), size)]


def _write_scratch(directory, text):
    handle, scratch = tempfile.mkstemp(dir=directory or ".", prefix=".dump-")
    with os.fdopen(handle, "w") as out:
        out.write(text)
    return scratch


def dump_topics(params, targets, timeout_s, check_mode):
    """Dump every (topic, file) of `targets` with one consumer; see dump_with()."""
    from kafka import KafkaConsumer

    consumer = KafkaConsumer(**consumer_config(params))
    try:
        return dump_with(consumer, targets, timeout_s, check_mode)
    finally:
        consumer.close()


def dump_with(consumer, targets, timeout_s, check_mode):
    """Write each topic's records up to its end offsets (all taken at the start) to its file, with a .meta.json.

    One metadata request and one ListOffsets round for every topic; then the topics are read TOPICS_PER_ROUND at a
    time through the same consumer. Files are written to scratch names and renamed into place only when every topic
    has been read, so a failure (a missing topic, the timeout) leaves no file of this run behind. In check mode
    nothing is read or written: each topic reports its offset span, the most a dump would hold.
    """
    from kafka import TopicPartition

    if not targets:
        return []
    # One metadata request for every topic; the set leaves out internal topics, which the cache still has.
    known = consumer.topics()
    missing = [topic for topic, path in targets if topic not in known and not consumer.partitions_for_topic(topic)]
    if missing:
        raise KafkaModuleError(
            "topic(s) not found, nothing was dumped: %s" % ", ".join(missing), missing_topics=missing
        )
    partitions = {}
    for topic in [target[0] for target in targets]:
        ids = consumer.partitions_for_topic(topic)
        if not ids:
            raise KafkaModuleError("topic %s has no partitions, nothing was dumped" % topic, missing_topics=[topic])
        partitions[topic] = [TopicPartition(topic, p) for p in sorted(ids)]
    every = [tp for topic, path in targets for tp in partitions[topic]]
    end = consumer.end_offsets(every)
    start = consumer.beginning_offsets(every)
    if check_mode:
        counts = dict((tp, max(end[tp] - start[tp], 0)) for tp in every)
        return [_entry(topic, path, partitions[topic], counts, start, end) for topic, path in targets]
    scratch = {}
    try:
        counts = _read_all(consumer, targets, partitions, start, end, timeout_s, scratch)
        entries = [_entry(topic, path, partitions[topic], counts, start, end) for topic, path in targets]
        for entry in entries:
            scratch[entry["meta_path"]] = _write_scratch(os.path.dirname(entry["path"]), meta_text(entry))
        for final in list(scratch):
            os.replace(scratch[final], final)
            del scratch[final]
    finally:
        for temporary in scratch.values():
            if os.path.exists(temporary):
                os.remove(temporary)
    return entries


def _entry(topic, path, tps, counts, start, end):
    return dict(
        topic=topic,
        path=path,
        meta_path=meta_path(path),
        partitions=len(tps),
        records=sum(counts[tp] for tp in tps),
        per_partition=dict((str(tp.partition), counts[tp]) for tp in tps),
        start_offsets=dict((str(tp.partition), start[tp]) for tp in tps),
        end_offsets=dict((str(tp.partition), end[tp]) for tp in tps),
    )


def meta_text(entry):
    """The .meta.json of a dump: its META_KEYS, pretty-printed."""
    return json.dumps(dict((key, entry[key]) for key in META_KEYS), indent=4, sort_keys=True) + "\n"


def _read_all(consumer, targets, partitions, start, end, timeout_s, scratch):
    """Read every topic into a scratch file (scratch[final path] = scratch path); returns the records per partition."""
    deadline = time.monotonic() + timeout_s
    counts = {}
    for chunk in _chunks(targets, TOPICS_PER_ROUND):
        outs = {}
        try:
            for topic, path in chunk:
                handle, scratch[path] = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix=".dump-")
                outs[topic] = os.fdopen(handle, "w")
            _read_round(consumer, chunk, partitions, start, end, deadline, timeout_s, outs, counts)
        finally:
            for out in outs.values():
                out.close()
    return counts


def _read_round(consumer, chunk, partitions, start, end, deadline, timeout_s, outs, counts):
    """Read the topics of `chunk` from their start offsets up to their end offsets, through one assignment."""
    tps = [tp for topic, path in chunk for tp in partitions[topic]]
    for tp in tps:
        counts[tp] = 0
    # Empty partitions are never assigned; the others from the offsets taken at the start, with no reset lookup.
    active = set(tp for tp in tps if start[tp] < end[tp])
    if not active:
        return
    consumer.assign(sorted(active))
    for tp in active:
        consumer.seek(tp, start[tp])
    while active:
        if time.monotonic() > deadline:
            left = sorted(set(tp.topic for tp in active))
            named = ", ".join(left[:10]) + (" and %d more" % (len(left) - 10) if len(left) > 10 else "")
            raise KafkaModuleError(
                "timed out after %d s, still reading %d partition(s) of %s; nothing was written. Raise timeout."
                % (timeout_s, len(active), named),
                unfinished_topics=left,
            )
        for tp, batch in consumer.poll(timeout_ms=1000).items():
            out = outs[tp.topic]
            for record in batch:
                if record.offset >= end[tp]:
                    continue
                out.write(
                    encode_record(
                        tp.topic,
                        tp.partition,
                        record.offset,
                        record.timestamp,
                        record.key,
                        record.value,
                        record.headers,
                    )
                    + "\n"
                )
                counts[tp] += 1
        # Compaction gaps and transaction markers: the position, not the last record, says when a partition is done.
        done = [tp for tp in active if consumer.position(tp) >= end[tp]]
        if done:
            consumer.pause(*done)
            active.difference_update(done)


def restore_topic(params, topic, path, keep_partitions, keep_timestamps, timeout_s):
    """Produce every record of `path` to `topic`, in file order (so per-partition order holds)."""
    from kafka import KafkaConsumer, KafkaProducer

    probe = KafkaConsumer(**consumer_config(params))
    try:
        ids = probe.partitions_for_topic(topic)
    finally:
        probe.close()
    if not ids:
        raise KafkaModuleError("target topic %s does not exist; create it first (kafka_topic)" % topic)
    count = len(ids)
    producer = KafkaProducer(**producer_config(params))
    failures = []
    sent = 0
    try:
        with open(path) as handle:
            for line in handle:
                if not line.strip():
                    continue
                row = decode_record(line)
                partition = row["partition"] if keep_partitions and row["partition"] < count else None
                future = producer.send(
                    topic,
                    key=row["key"],
                    value=row["value"],
                    headers=row["headers"] or None,
                    partition=partition,
                    timestamp_ms=row["timestamp"] if keep_timestamps and row["timestamp"] is not None else None,
                )
                future.add_errback(
                    lambda exc, o=row["offset"], p=row["partition"]: failures.append("%d/%d: %s" % (p, o, exc))
                )
                sent += 1
        producer.flush(timeout=timeout_s)
    finally:
        producer.close(timeout=30)
    if failures:
        raise KafkaModuleError("%d record(s) could not be restored: %s" % (len(failures), "; ".join(failures[:5])))
    return dict(records=sent, partitions=count)
