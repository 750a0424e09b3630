#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: kafka_topic_backup
short_description: Dump a topic to JSON lines, or restore such a dump into a topic
version_added: 0.1.0
description:
  - O(state=dumped) reads every record of O(topic), from each partition's start up to its end offset taken
    when the dump starts, and writes one JSON object per line to O(path) on the host running the module,
    with C(topic), C(partition), C(offset), C(timestamp), C(key), C(value) and C(headers). Text that is not
    valid UTF-8 is stored as base64 with a C(key_encoding), C(value_encoding) or header C(encoding) marker.
    It is the structured equivalent of the seed's C(kafkacat -C -o beginning -e) backup.
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
    description: Topic to dump, or to restore into.
    type: str
    required: true
  path:
    description: JSON lines file on the host running the module.
    type: path
    required: true
  state:
    description: V(dumped) writes O(path) from O(topic); V(restored) writes O(topic) from O(path).
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
    description: Seconds the dump or the restore may take.
    type: int
    default: 600
attributes:
  check_mode:
    support: full
    details: A dump runs in check mode too (it only reads Kafka) but writes nothing; a restore does nothing.
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

- name: Restore it into test-topic-restored
  kafkaops.kraft.kafka_topic_backup:
    topic: test-topic-restored
    path: /var/backups/kafka/test-topic.jsonl
    state: restored
    bootstrap_servers: [broker1:9092]
"""

RETURN = r"""
records:
  description: Records dumped or restored.
  returned: success
  type: int
  sample: 10000
partitions:
  description: Partitions of the topic.
  returned: success
  type: int
  sample: 6
per_partition:
  description: Records dumped per partition.
  returned: when state is dumped
  type: dict
  sample: {"0": 1666, "1": 1667}
start_offsets:
  description: First offset of each partition when the dump started.
  returned: when state is dumped
  type: dict
end_offsets:
  description: End offset of each partition when the dump started; the dump stops there.
  returned: when state is dumped
  type: dict
"""

import os  # noqa: E402
import tempfile  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.kafkaops.kraft.plugins.module_utils.backup import dump_topic, restore_topic  # noqa: E402
from ansible_collections.kafkaops.kraft.plugins.module_utils.kafka_client import (  # noqa: E402
    KAFKA_CONNECTION_SPEC,
    KafkaModuleError,
    connection_errors,
    kafka_error_types,
    require_kafka,
)


def main():
    argument_spec = dict(
        topic=dict(type="str", required=True),
        path=dict(type="path", required=True),
        state=dict(type="str", default="dumped", choices=["dumped", "restored"]),
        keep_partitions=dict(type="bool", default=True),
        keep_timestamps=dict(type="bool", default=True),
        timeout=dict(type="int", default=600),
    )
    argument_spec.update(KAFKA_CONNECTION_SPEC)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    require_kafka(module)
    errors = connection_errors(params)
    if errors:
        module.fail_json(msg="Invalid connection options: " + "; ".join(errors))
    path = params["path"]
    try:
        if params["state"] == "dumped":
            directory = os.path.dirname(path) or "."
            if not os.path.isdir(directory):
                module.fail_json(msg="directory %s does not exist" % directory)
            handle, scratch = tempfile.mkstemp(dir=directory, prefix=".dump-")
            os.close(handle)
            try:
                result = dump_topic(params, params["topic"], scratch, params["timeout"])
                if not module.check_mode:
                    os.replace(scratch, path)
            finally:
                if os.path.exists(scratch):
                    os.remove(scratch)
            module.exit_json(changed=not module.check_mode, path=path, **result)
        if not os.path.isfile(path):
            module.fail_json(msg="backup file %s does not exist" % path)
        if module.check_mode:
            with open(path) as handle:
                lines = sum(1 for line in handle if line.strip())
            module.exit_json(changed=lines > 0, records=lines, path=path)
        result = restore_topic(
            params, params["topic"], path, params["keep_partitions"], params["keep_timestamps"], params["timeout"]
        )
        module.exit_json(changed=result["records"] > 0, path=path, **result)
    except KafkaModuleError as exc:
        module.fail_json(msg=exc.msg, changed=False, **exc.details)
    except kafka_error_types() as exc:
        module.fail_json(msg="Kafka error on topic %s: %s: %s" % (params["topic"], type(exc).__name__, exc))


if __name__ == "__main__":
    main()
