"""Produce records no regular client would write, such as a header key that is not UTF-8.

Clients (aiokafka, kafka-python) take header keys as str, so the v2 record batch is
encoded here byte by byte (KIP-98 layout) and sent in a plain ProduceRequest.
"""

from __future__ import annotations

import asyncio
import struct

from aiokafka import AIOKafkaClient, TopicPartition
from aiokafka.protocol.produce import ProduceRequest
from aiokafka.record.util import calc_crc32c

Header = tuple[bytes, bytes | None]
Record = tuple[bytes | None, bytes | None, list[Header]]  # key, value, headers


def _varint(value: int) -> bytes:
    zigzag, out = (value << 1) ^ (value >> 63), bytearray()
    while zigzag > 0x7F:
        out.append(zigzag & 0x7F | 0x80)
        zigzag >>= 7
    out.append(zigzag)
    return bytes(out)


def _blob(data: bytes | None) -> bytes:
    return _varint(-1) if data is None else _varint(len(data)) + data


def record_batch(records: list[Record], timestamp_ms: int) -> bytes:
    """One uncompressed, non-transactional v2 batch; the broker assigns the offsets."""
    body = bytearray()
    for delta, (key, value, headers) in enumerate(records):
        record = b"\x00" + _varint(0) + _varint(delta) + _blob(key) + _blob(value) + _varint(len(headers))
        for name, header_value in headers:
            record += _blob(name) + _blob(header_value)
        body += _varint(len(record)) + record
    # attributes, lastOffsetDelta, first/max timestamp, producerId, producerEpoch, baseSequence, count
    covered = struct.pack(">hiqqqhii", 0, len(records) - 1, timestamp_ms, timestamp_ms, -1, -1, -1, len(records))
    covered += body
    after_length = struct.pack(">ibI", -1, 2, calc_crc32c(covered)) + covered  # leader epoch, magic, CRC-32C
    return struct.pack(">qi", 0, len(after_length)) + after_length


async def _produce(bootstrap: str, topic: str, partition: int, batch: bytes) -> int:
    client = AIOKafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    try:
        await asyncio.wait_for(client.bootstrap(), 10)
        await asyncio.wait_for(client._wait_on_metadata(topic), 10)  # no public way to wait for a topic's metadata
        leader = client.cluster.leader_for_partition(TopicPartition(topic, partition))
        request = ProduceRequest(
            transactional_id=None, required_acks=-1, timeout=10_000, topics=[(topic, [(partition, batch)])]
        )
        response = await asyncio.wait_for(client.send(leader, request), 15)
        _topic, partitions = response.topics[0]
        _partition, error_code, base_offset, *_rest = partitions[0]
        if error_code:
            raise RuntimeError(f"produce to {topic}/{partition} failed with error code {error_code}")
        return base_offset
    finally:
        await asyncio.wait_for(client.close(), 10)


def produce_raw(bootstrap: str, topic: str, partition: int, records: list[Record], timestamp_ms: int) -> int:
    """Append one batch to a partition; returns the offset of its first record."""
    return asyncio.run(_produce(bootstrap, topic, partition, record_batch(records, timestamp_ms)))
