# -*- coding: utf-8 -*-
# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0
"""Topic backup to JSON lines and restore, for kafkaops.kraft.kafka_topic_backup.

One JSON object per record: topic, partition, offset, timestamp, key, value
and headers. Bytes that are valid UTF-8 are stored as text, anything else as
base64 with an ``*_encoding: base64`` marker, so any record round-trips.
encode_record()/decode_record() are pure and unit-tested.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import json
import time

from ansible_collections.kafkaops.kraft.plugins.module_utils.kafka_client import KafkaModuleError, client_config


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


def dump_topic(params, topic, path, timeout_s):
    """Write every record of `topic` up to its end offsets (taken at the start) to `path`."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(**consumer_config(params))
    try:
        ids = consumer.partitions_for_topic(topic)
        if not ids:
            raise KafkaModuleError("topic %s does not exist or has no partitions" % topic)
        partitions = [TopicPartition(topic, p) for p in sorted(ids)]
        consumer.assign(partitions)
        end = consumer.end_offsets(partitions)
        start = consumer.beginning_offsets(partitions)
        consumer.seek_to_beginning(*partitions)
        counts = dict((tp.partition, 0) for tp in partitions)
        deadline = time.monotonic() + timeout_s
        with open(path, "w") as out:
            while any(consumer.position(tp) < end[tp] for tp in partitions):
                if time.monotonic() > deadline:
                    raise KafkaModuleError("timed out after %d s dumping %s" % (timeout_s, topic))
                for tp, batch in consumer.poll(timeout_ms=1000).items():
                    for record in batch:
                        if record.offset >= end[tp]:
                            continue
                        out.write(
                            encode_record(
                                topic,
                                tp.partition,
                                record.offset,
                                record.timestamp,
                                record.key,
                                record.value,
                                record.headers,
                            )
                            + "\n"
                        )
                        counts[tp.partition] += 1
        return dict(
            partitions=len(partitions),
            records=sum(counts.values()),
            per_partition=dict((str(p), n) for p, n in sorted(counts.items())),
            start_offsets=dict((str(tp.partition), start[tp]) for tp in partitions),
            end_offsets=dict((str(tp.partition), end[tp]) for tp in partitions),
        )
    finally:
        consumer.close()


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
