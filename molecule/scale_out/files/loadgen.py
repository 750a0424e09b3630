"""Load generator and checker for the scale_out scenario (runs in the admin venv).

produce: send COUNT messages with known ids and record every acknowledged id.
stream:  keep sending until a stop file appears, recording acknowledged ids and
         permanent failures (errors after the producer's own retries).
consume: read the topic from the beginning to its end offsets in a group,
         commit, and compare with the acknowledged ids of the given files.
compare: whether two backup dumps hold the same records per partition, in order.
watch:   sample list_partition_reassignments until a stop file appears and write
         the most partition movements seen per broker (a movement counts against
         every broker it adds or removes a replica on) to --out; with --quorum,
         also the KRaft quorum's leader and voters at each sample.
Every subcommand prints one JSON summary line.
"""

from __future__ import annotations

import argparse
import json
import os
import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition


def producer(bootstrap):
    return KafkaProducer(
        bootstrap_servers=bootstrap.split(","),
        acks="all",
        retries=2147483647,
        enable_idempotence=True,
        delivery_timeout_ms=120000,
        request_timeout_ms=15000,
        linger_ms=5,
        reconnect_backoff_max_ms=1000,
    )


def produce(args):
    prod = producer(args.bootstrap)
    acked, failed = [], []
    for i in range(args.count):
        msg_id = f"{args.prefix}-{i:06d}"
        # Random padding: the brokers gzip, and repeated bytes would compress away.
        value = json.dumps({"id": msg_id, "pad": os.urandom(args.pad // 2).hex()}).encode()
        future = prod.send(args.topic, key=msg_id.encode(), value=value, headers=[("source", b"scale_out")])
        future.add_callback(lambda _md, m=msg_id: acked.append(m))
        future.add_errback(lambda exc, m=msg_id: failed.append(f"{m}: {exc}"))
    prod.flush(timeout=300)
    prod.close(timeout=30)
    with open(args.out, "w") as out:
        out.write("\n".join(acked) + "\n")
    return {"sent": args.count, "acked": len(acked), "failed": len(failed), "errors": failed[:5]}


def stream(args):
    prod = producer(args.bootstrap)
    acked, failed = [], []
    sent = 0
    started = time.monotonic()
    while not (args.stop_file and os.path.exists(args.stop_file)) and time.monotonic() - started < args.max_seconds:
        msg_id = f"{args.prefix}-{sent:06d}"
        future = prod.send(args.topic, key=msg_id.encode(), value=json.dumps({"id": msg_id}).encode())
        future.add_callback(lambda _md, m=msg_id: acked.append(m))
        future.add_errback(lambda exc, m=msg_id: failed.append(f"{m}: {exc}"))
        sent += 1
        time.sleep(1.0 / args.rate)
    prod.flush(timeout=300)
    prod.close(timeout=30)
    with open(args.out, "w") as out:
        out.write("\n".join(acked) + "\n")
    summary = {"sent": sent, "acked": len(acked), "failed": len(failed), "errors": failed[:5]}
    with open(args.out + ".summary.json", "w") as out:
        json.dump(summary, out)
    return summary


def consume(args):
    consumer = KafkaConsumer(
        bootstrap_servers=args.bootstrap.split(","),
        group_id=args.group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        consumer_timeout_ms=5000,
    )
    partitions = [TopicPartition(args.topic, p) for p in sorted(consumer.partitions_for_topic(args.topic))]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    end = consumer.end_offsets(partitions)
    seen = set()
    records = 0
    deadline = time.monotonic() + args.timeout
    while any(consumer.position(tp) < end[tp] for tp in partitions) and time.monotonic() < deadline:
        for batch in consumer.poll(timeout_ms=1000).values():
            for record in batch:
                records += 1
                seen.add(json.loads(record.value)["id"])
    consumer.commit()
    consumer.close()
    expected = set()
    for path in args.expect:
        with open(path) as handle:
            expected.update(line.strip() for line in handle if line.strip())
    missing = sorted(expected - seen)
    return {
        "records": records,
        "distinct_ids": len(seen),
        # Every id is sent once: a record beyond the distinct ids is a duplicate.
        "duplicates": records - len(seen),
        "expected": len(expected),
        "found": len(expected) - len(missing),
        "missing": len(missing),
        "missing_sample": missing[:10],
        "end_offsets": sum(end.values()),
    }


def _records(path):
    """Per partition, the (key, value, headers) of a backup dump, in offset order."""
    rows = {}
    with open(path) as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                rows.setdefault(row["partition"], []).append((row["offset"], row["key"], row["value"], row["headers"]))
    return {p: [r[1:] for r in sorted(v)] for p, v in rows.items()}


def compare(args):
    first, second = _records(args.expect[0]), _records(args.expect[1])
    return {
        "first": sum(len(v) for v in first.values()),
        "second": sum(len(v) for v in second.values()),
        "partitions": [len(first), len(second)],
        "same": first == second,
    }


def watch(args):
    admin = KafkaAdminClient(bootstrap_servers=args.bootstrap.split(","), request_timeout_ms=10000)
    samples = busy = errors = 0
    peak, most_partitions, first_busy = {}, 0, []
    quorum_samples = leaderless = 0
    gap_start, longest_gap = None, 0.0
    leaders, voter_sets, last_voters = set(), set(), []
    started = time.monotonic()
    while not (args.stop_file and os.path.exists(args.stop_file)) and time.monotonic() - started < args.max_seconds:
        if args.quorum:
            try:
                partition = admin.describe_metadata_quorum()["topics"][0]["partitions"][0]
                leader = partition.get("leader_id")
                last_voters = sorted(v["replica_id"] for v in partition.get("current_voters") or [])
                voter_sets.add(tuple(last_voters))
            except Exception:  # noqa: BLE001 - no answer counts as no leader
                leader = None
            quorum_samples += 1
            now = time.monotonic()
            if leader is None or leader < 0:
                leaderless += 1
                gap_start = now if gap_start is None else gap_start
                longest_gap = max(longest_gap, now - gap_start)
            else:
                leaders.add(leader)
                gap_start = None
        try:
            ongoing = admin.list_partition_reassignments()
        except Exception as exc:  # noqa: BLE001 - a failed sample is counted, not fatal
            errors += 1
            if errors <= 3:
                first_busy.append(f"error: {exc}")
            time.sleep(args.interval)
            continue
        load = {}
        for info in ongoing.values():
            for broker in set(info["adding_replicas"]) | set(info["removing_replicas"]):
                load[broker] = load.get(broker, 0) + 1
        samples += 1
        if ongoing:
            busy += 1
            most_partitions = max(most_partitions, len(ongoing))
            if len(first_busy) < 20:
                first_busy.append({f"{tp.topic}-{tp.partition}": info["replicas"] for tp, info in ongoing.items()})
        for broker, count in load.items():
            peak[str(broker)] = max(peak.get(str(broker), 0), count)
        time.sleep(args.interval)
    admin.close()
    summary = {
        "samples": samples,
        "busy_samples": busy,
        "errors": errors,
        "peak_per_broker": peak,
        "max_per_broker": max(peak.values(), default=0),
        "max_partitions": most_partitions,
        "first_busy": first_busy,
    }
    if args.quorum:
        summary.update(
            quorum_samples=quorum_samples,
            leaderless_samples=leaderless,
            longest_leaderless_s=round(longest_gap, 1),
            leaders=sorted(leaders),
            voter_sets=sorted(list(v) for v in voter_sets),
            last_voters=last_voters,
        )
    with open(args.out, "w") as out:
        json.dump(summary, out)
    return {k: v for k, v in summary.items() if k != "first_busy"}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["produce", "stream", "consume", "compare", "watch"])
    parser.add_argument("--bootstrap", default="")
    parser.add_argument("--topic", default="test-topic")
    parser.add_argument("--prefix", default="msg")
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--pad", type=int, default=0)
    parser.add_argument("--max-seconds", type=float, default=1800)
    parser.add_argument("--stop-file", required=False)
    parser.add_argument("--out", required=False)
    parser.add_argument("--group", default="scale-out-verify")
    parser.add_argument("--expect", nargs="*", default=[])
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--interval", type=float, default=0.2)
    parser.add_argument("--quorum", action="store_true", help="watch: also sample the quorum leader and voters")
    args = parser.parse_args()
    commands = {"produce": produce, "stream": stream, "consume": consume, "compare": compare, "watch": watch}
    result = commands[args.command](args)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
