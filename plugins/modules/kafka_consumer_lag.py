#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: kafka_consumer_lag
short_description: Report a consumer group's lag per partition, per topic and in total
version_added: 0.1.0
description:
  - The structured equivalent of C(kafka-consumer-groups --describe --group GROUP).
  - Reads the group's committed offsets and the partitions' log-end offsets, so it works whether the
    group's members are running or not.
  - Never changes anything, so RV(changed) is always false; check mode runs the same read.
  - With O(fail_on_lag_above) it is a health gate for playbooks.
  - An unknown group or topic gives a clear result (RV(group_exists), RV(missing_topics)), not a traceback.
  - The module runs wherever kafka-python is installed, on the controller (with C(delegate_to) V(localhost))
    or on a Kafka host. The collection's playbooks run it on the first host of group C(kafka_brokers),
    in the virtualenv that the P(kafkaops.kraft.kafka_topic#role) role installs there.
author: kafkaops maintainers (@kafkaops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - kafkaops.kraft.kafka_connection
options:
  group:
    description: Consumer group id.
    type: str
    required: true
  topics:
    description:
      - Topics to report. Every partition of each is listed.
      - Defaults to the topics the group has committed offsets for or its live members are assigned.
    type: list
    elements: str
  uncommitted_offset:
    description:
      - How to count a partition the group has not committed an offset for.
      - V(earliest) counts every message still in the log (what a consumer with
        C(auto.offset.reset=earliest) would read); V(latest) counts it as 0.
    type: str
    default: earliest
    choices: [earliest, latest]
  fail_on_lag_above:
    description: Fail when RV(total_lag) is greater than this number of messages.
    type: int
  fail_on_missing:
    description: Fail when the group or one of O(topics) does not exist, instead of reporting it.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    details: Read-only, identical in check mode.
  diff_mode:
    support: none
  platform:
    platforms: posix
seealso:
  - module: kafkaops.kraft.kafka_topic
"""

EXAMPLES = r"""
- name: kafka-consumer-groups --describe --group test-group
  kafkaops.kraft.kafka_consumer_lag:
    group: test-group
    bootstrap_servers: [broker1:9092]
  register: lag

- name: Health gate, fail when test-group is more than 1000 messages behind on test-topic
  kafkaops.kraft.kafka_consumer_lag:
    group: test-group
    topics: [test-topic]
    fail_on_lag_above: 1000
"""

RETURN = r"""
changed:
  description: Always false.
  returned: always
  type: bool
group:
  description: The group id.
  returned: always
  type: str
  sample: test-group
group_exists:
  description: Whether Kafka knows the group (it has members or committed offsets).
  returned: always
  type: bool
state:
  description: Group state as Kafka reports it, such as V(Stable), V(Empty) or V(Dead) for an unknown group.
  returned: always
  type: str
  sample: Stable
members:
  description: Number of live members.
  returned: always
  type: int
  sample: 2
missing_topics:
  description: Requested topics that do not exist.
  returned: always
  type: list
  elements: str
partitions:
  description: One entry per partition.
  returned: always
  type: list
  elements: dict
  contains:
    topic:
      description: Topic name.
      type: str
    partition:
      description: Partition number.
      type: int
    committed_offset:
      description: The group's committed offset, null when it has committed none.
      type: int
    log_start_offset:
      description: First offset still in the log.
      type: int
    log_end_offset:
      description: Offset the next message will get.
      type: int
    lag:
      description: Messages not yet consumed, C(log_end_offset - committed_offset).
      type: int
  sample: [{"topic": "test-topic", "partition": 0, "committed_offset": 5, "log_start_offset": 0,
            "log_end_offset": 7, "lag": 2}]
topics:
  description: Totals per topic.
  returned: always
  type: dict
  sample: {"test-topic": {"lag": 2, "partitions": 6, "committed_partitions": 6, "log_end_offset": 42}}
total_lag:
  description: Sum of the lag of every reported partition.
  returned: always
  type: int
  sample: 2
"""

# Ansible modules import after their documentation strings.
from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.kafkaops.kraft.plugins.module_utils.kafka_client import (  # noqa: E402
    KAFKA_CONNECTION_SPEC,
    KafkaModuleError,
    close_quietly,
    connect,
    kafka_error_types,
    require_kafka,
)
from ansible_collections.kafkaops.kraft.plugins.module_utils.lag import GroupLagReader, lag_gate  # noqa: E402


def main():
    argument_spec = dict(
        group=dict(type="str", required=True),
        topics=dict(type="list", elements="str"),
        uncommitted_offset=dict(type="str", default="earliest", choices=["earliest", "latest"]),
        fail_on_lag_above=dict(type="int"),
        fail_on_missing=dict(type="bool", default=False),
    )
    argument_spec.update(KAFKA_CONNECTION_SPEC)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    if params["fail_on_lag_above"] is not None and params["fail_on_lag_above"] < 0:
        module.fail_json(msg="fail_on_lag_above must be 0 or more")
    require_kafka(module)

    admin = connect(module)
    try:
        reader = GroupLagReader(admin, params["request_timeout_ms"])
        result = reader.read(params["group"], params["topics"], params["uncommitted_offset"])
    except KafkaModuleError as exc:
        module.fail_json(msg=exc.msg, changed=False, **exc.details)
    except kafka_error_types() as exc:
        module.fail_json(msg="Kafka error reading group %s: %s: %s" % (params["group"], type(exc).__name__, exc))
    finally:
        close_quietly(admin)

    result["changed"] = False
    problems = []
    if not result["group_exists"]:
        problems.append("consumer group %s does not exist" % params["group"])
    if result["missing_topics"]:
        problems.append("topic(s) %s do not exist" % ", ".join(result["missing_topics"]))
    result["msg"] = "; ".join(problems) or "group %s: total lag %d" % (params["group"], result["total_lag"])
    if problems and params["fail_on_missing"]:
        module.fail_json(**result)
    gate = lag_gate(result["total_lag"], params["fail_on_lag_above"])
    if gate:
        result["msg"] = gate
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
