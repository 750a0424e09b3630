#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: kafka_topic_backup
short_description: Dump topics to JSON lines, or restore such a dump into a topic
version_added: 0.1.0
description:
  - O(state=dumped) reads every record of O(topic), or of every topic of O(topics), from each partition's start up
    to its end offset taken when the dump starts, and writes one JSON object per line, with C(topic),
    C(partition), C(offset), C(timestamp), C(key), C(value) and C(headers). Text that is not valid UTF-8 is stored
    as base64 with a C(key_encoding), C(value_encoding) or header C(encoding) marker. It is the structured
    equivalent of the seed's C(kafkacat -C -o beginning -e) backup.
  - Each dump gets a C(.meta.json) beside it (C(NAME.jsonl) -> C(NAME.meta.json)) with the topic, its partition
    count, the records per partition and the start and end offsets; the restore playbook reads the partition count
    from it.
  - Any number of O(topics) costs one consumer connection, one metadata request and one offsets lookup; the topics
    are then read up to 100 at a time through that consumer. The single-topic form O(topic) is a one-entry batch.
  - A dump is all or nothing. Every topic must exist before anything is read, and the files are written under
    scratch names and renamed into place only when every topic has been read, so a missing topic or the
    O(timeout) leaves no file of this run behind (files of an earlier dump stay as they were).
  - O(state=restored) produces every line of O(path) to O(topic) (acks=all, idempotent), in file order, so
    each partition keeps its order. Records go to their original partition when O(keep_partitions) and the
    target has it, with their original timestamp when O(keep_timestamps). Offsets are assigned anew by Kafka.
  - The target topic of a restore must exist (create it with M(kafkaops.kraft.kafka_topic) first).
author: kafkaops maintainers (@kafkaops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - kafkaops.kraft.kafka_connection
options:
  topic:
    description:
      - Topic to dump to the file O(path), or to restore into.
      - Exactly one of O(topic) and O(topics) is required.
    type: str
  topics:
    description:
      - Topics to dump, each to C(TOPIC.jsonl) (and C(TOPIC.meta.json)) in the directory O(path), in one call.
      - Only with O(state=dumped). Duplicates are dumped once. An empty list dumps nothing.
    type: list
    elements: str
  path:
    description:
      - With O(topic), the JSON lines file on the host running the module; its directory must exist.
      - With O(topics), an existing directory on that host.
    type: path
    required: true
  state:
    description: V(dumped) writes O(path) from the topics; V(restored) writes O(topic) from O(path).
    type: str
    default: dumped
    choices: [dumped, restored]
  keep_partitions:
    description: Restore each record into its original partition number when the target topic has it.
    type: bool
    default: true
  keep_timestamps:
    description: Restore each record with its original timestamp (CreateTime topics keep it).
    type: bool
    default: true
  timeout:
    description: Seconds the whole dump (every topic) or the restore may take.
    type: int
    default: 600
attributes:
  check_mode:
    support: full
    details:
      - A dump in check mode reads only the topics' offsets and writes nothing; each topic reports the offset
        span of each partition as its C(records), the most a dump would hold (compaction, deleted records and
        transaction markers make a real dump smaller).
      - A restore in check mode counts the lines of O(path) and produces nothing.
  diff_mode:
    support: none
  platform:
    platforms: posix
notes:
  - A dump is a consistent cut per partition, not across partitions. Compacted or expired records are not in it.
seealso:
  - module: kafkaops.kraft.kafka_topic
"""

EXAMPLES = r"""
- name: Back up test-topic
  kafkaops.kraft.kafka_topic_backup:
    topic: test-topic
    path: /var/backups/kafka/test-topic.jsonl
    bootstrap_servers: [broker1:9092]

- name: Back up many topics in one call, each to /var/backups/kafka/20260101/TOPIC.jsonl
  kafkaops.kraft.kafka_topic_backup:
    topics: [orders, payments, test-topic]
    path: /var/backups/kafka/20260101
    bootstrap_servers: [broker1:9092]
  register: dumps

- name: Show the counts
  ansible.builtin.debug:
    msg: "{{ dumps.summary.records }} records of {{ dumps.summary.topics }} topics"

- name: Restore test-topic into test-topic-restored
  kafkaops.kraft.kafka_topic_backup:
    topic: test-topic-restored
    path: /var/backups/kafka/test-topic.jsonl
    state: restored
    bootstrap_servers: [broker1:9092]
"""

RETURN = r"""
msg:
  description: One line saying what was dumped, or in check mode what would be.
  returned: when state is dumped
  type: str
  sample: dumped 10000 record(s) of 3 topic(s) (18 partitions) to /var/backups/kafka/20260101
summary:
  description: Counts over every topic of the dump.
  returned: when state is dumped
  type: dict
  sample: {"topics": 3, "partitions": 18, "records": 10000}
topics:
  description:
    - One entry per topic, in the order given, with C(topic), C(path), C(meta_path), C(partitions), C(records),
      C(per_partition), C(start_offsets) and C(end_offsets) (as described below for the single-topic form).
  returned: when state is dumped
  type: list
  elements: dict
lines:
  description: One line per topic with its records and partitions, for a report.
  returned: when state is dumped
  type: list
  elements: str
  sample: ["orders: 9000 record(s), 12 partition(s)", "test-topic: 1000 record(s), 6 partition(s)"]
files:
  description: Every file the dump wrote (or would write in check mode), each dump followed by its .meta.json.
  returned: when state is dumped
  type: list
  elements: str
  sample: ["/var/backups/kafka/20260101/orders.jsonl", "/var/backups/kafka/20260101/orders.meta.json"]
records:
  description: Records dumped (in all topics) or restored.
  returned: success
  type: int
  sample: 10000
partitions:
  description: Partitions of the topic.
  returned: with O(topic)
  type: int
  sample: 6
per_partition:
  description: Records dumped per partition.
  returned: when state is dumped with O(topic)
  type: dict
  sample: {"0": 1666, "1": 1667}
start_offsets:
  description: First offset of each partition when the dump started.
  returned: when state is dumped with O(topic)
  type: dict
end_offsets:
  description: End offset of each partition when the dump started; the dump stops there.
  returned: when state is dumped with O(topic)
  type: dict
meta_path:
  description: The .meta.json written beside the dump.
  returned: when state is dumped with O(topic)
  type: str
  sample: /var/backups/kafka/test-topic.meta.json
"""

import os  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.kafkaops.kraft.plugins.module_utils.backup import (  # noqa: E402
    dump_lines,
    dump_summary,
    dump_targets,
    dump_topics,
    restore_topic,
)
from ansible_collections.kafkaops.kraft.plugins.module_utils.kafka_client import (  # noqa: E402
    KAFKA_CONNECTION_SPEC,
    KafkaModuleError,
    connection_errors,
    kafka_error_types,
    require_kafka,
)

# What the single-topic form also returns at the top level, as it did before topics existed.
SINGLE_TOPIC_KEYS = ("partitions", "per_partition", "start_offsets", "end_offsets", "meta_path")


def dump(module):
    params = module.params
    path = params["path"]
    targets = dump_targets(params["topic"], params["topics"], path)
    if not module.check_mode:
        directory = (os.path.dirname(path) or ".") if params["topic"] is not None else path
        if not os.path.isdir(directory):
            raise KafkaModuleError("directory %s does not exist; create it first" % directory)
    entries = dump_topics(params, targets, params["timeout"], module.check_mode)
    summary = dump_summary(entries)
    msg = "%s %d record(s) of %d topic(s) (%d partitions) to %s" % (
        "would dump at most" if module.check_mode else "dumped",
        summary["records"],
        summary["topics"],
        summary["partitions"],
        path,
    )
    result = dict(
        # Check mode predicts the change: a real run would write every file.
        changed=bool(entries),
        msg=msg,
        path=path,
        summary=summary,
        records=summary["records"],
        topics=entries,
        lines=dump_lines(entries),
        files=[name for entry in entries for name in (entry["path"], entry["meta_path"])],
    )
    if params["topic"] is not None:
        result.update((key, entries[0][key]) for key in SINGLE_TOPIC_KEYS)
    return result


def restore(module):
    params = module.params
    path = params["path"]
    if params["topic"] is None:
        raise KafkaModuleError("state=restored takes one target topic: set topic, not topics")
    if not os.path.isfile(path):
        raise KafkaModuleError("backup file %s does not exist" % path)
    if module.check_mode:
        with open(path) as handle:
            lines = sum(1 for line in handle if line.strip())
        return dict(changed=lines > 0, records=lines, path=path)
    result = restore_topic(
        params, params["topic"], path, params["keep_partitions"], params["keep_timestamps"], params["timeout"]
    )
    return dict(changed=result["records"] > 0, path=path, **result)


def main():
    argument_spec = dict(
        topic=dict(type="str"),
        topics=dict(type="list", elements="str"),
        path=dict(type="path", required=True),
        state=dict(type="str", default="dumped", choices=["dumped", "restored"]),
        keep_partitions=dict(type="bool", default=True),
        keep_timestamps=dict(type="bool", default=True),
        timeout=dict(type="int", default=600),
    )
    argument_spec.update(KAFKA_CONNECTION_SPEC)
    module = AnsibleModule(
        argument_spec=argument_spec,
        mutually_exclusive=[("topic", "topics")],
        required_one_of=[("topic", "topics")],
        supports_check_mode=True,
    )
    params = module.params
    require_kafka(module)
    errors = connection_errors(params)
    if errors:
        module.fail_json(msg="Invalid connection options: " + "; ".join(errors))
    try:
        module.exit_json(**(dump(module) if params["state"] == "dumped" else restore(module)))
    except KafkaModuleError as exc:
        module.fail_json(msg=exc.msg, changed=False, **exc.details)
    except kafka_error_types() as exc:
        where = "topic %s" % params["topic"] if params["topic"] is not None else "%d topic(s)" % len(params["topics"])
        module.fail_json(msg="Kafka error on %s: %s: %s" % (where, type(exc).__name__, exc))


if __name__ == "__main__":
    main()
