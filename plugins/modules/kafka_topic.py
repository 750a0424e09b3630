#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: kafka_topic
short_description: Create, grow, configure and delete Kafka topics safely
version_added: 0.1.0
description:
  - Manages one Kafka topic through the Kafka admin API (kafka-python 3.x).
  - Configs are incremental, only the keys given in O(configs) are managed and other overrides stay untouched,
    unless O(configs_exclusive=true).
  - Partitions can only grow. A replication factor or replica placement change is refused unless
    O(allow_reassignment=true), which submits a partition reassignment and reports it.
  - Internal topics (V(__consumer_offsets), V(__transaction_state), any name starting with C(__)) are
    never created, modified or deleted.
  - Every change is validated first (by the module and by Kafka with C(validate_only)), so bad input
    fails before anything is touched.
  - The module runs wherever kafka-python is installed, on the controller (with C(delegate_to) V(localhost))
    or on a Kafka host. The P(kafkaops.kraft.kafka_topic#role) role runs it once per cluster on the first host
    of group C(kafka_brokers), in a virtualenv it installs there with the P(kafkaops.kraft.python_venv#role) role.
author: kafkaops maintainers (@kafkaops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - kafkaops.kraft.kafka_connection
options:
  name:
    description: Topic name, 1 to 249 of C([a-zA-Z0-9._-]).
    type: str
    required: true
  state:
    description: V(present) creates or updates the topic, V(absent) deletes it.
    type: str
    default: present
    choices: [present, absent]
  partitions:
    description:
      - Number of partitions. It can be increased; a decrease is refused.
      - Defaults to the broker's C(num.partitions) on creation, and to no change afterwards.
    type: int
  replication_factor:
    description:
      - Replicas per partition. Must not exceed the number of live brokers.
      - Defaults to the broker's C(default.replication.factor) on creation, and to no change afterwards.
      - Changing it on an existing topic needs O(allow_reassignment=true).
    type: int
  replica_assignment:
    description:
      - Broker ids per partition, one list per partition, the first being the preferred leader.
      - V([[1, 2], [2, 1], [1, 2], [2, 1]]) is C(kafka-topics --replica-assignment 1:2,2:1,1:2,2:1).
      - Every list must have the same length and name only live brokers.
      - It sets the partition count and replication factor. Lists beyond the current partition count place
        new partitions; a change for existing partitions needs O(allow_reassignment=true).
    type: list
    elements: list
  configs:
    description:
      - Topic config overrides, for example C(retention.ms), C(cleanup.policy), C(min.insync.replicas).
      - Values may be strings, numbers, booleans or lists (joined with commas).
      - Only these keys are managed; other overrides are left as they are.
    type: dict
  configs_exclusive:
    description: Also remove every override that is not listed in O(configs).
    type: bool
    default: false
  allow_reassignment:
    description:
      - Allow changing the replicas of existing partitions by submitting a partition reassignment.
      - The module submits it and returns it in RV(reassignment); moving the data is Kafka's work, and
        waiting for or throttling it is the rebalance playbook's job.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    details: Reports exactly the changes that would be made and makes none.
  diff_mode:
    support: full
    details: Shows partitions, replication factor, the managed configs and, when relevant, the replica assignment.
  platform:
    platforms: posix
notes:
  - Requires Kafka 2.4 or later (incremental config changes and reassignment APIs); written for Kafka 3.9.
seealso:
  - module: kafkaops.kraft.kafka_consumer_lag
"""

EXAMPLES = r"""
- name: Seed's test-topic, 6 partitions, RF 3, retention 7 days or 1 GiB per partition
  kafkaops.kraft.kafka_topic:
    name: test-topic
    partitions: 6
    replication_factor: 3
    configs:
      retention.ms: 604800000
      retention.bytes: 1073741824
    bootstrap_servers: [broker1:9092, broker2:9092]

- name: Add partitions to test-topic (kafka-topics --alter --partitions 12)
  kafkaops.kraft.kafka_topic:
    name: test-topic
    partitions: 12

- name: Seed's manual placement, --replica-assignment 1:2,2:1,1:2,2:1
  kafkaops.kraft.kafka_topic:
    name: test-topic
    replica_assignment: [[1, 2], [2, 1], [1, 2], [2, 1]]

- name: Exactly these overrides, removing any others
  kafkaops.kraft.kafka_topic:
    name: audit
    configs:
      cleanup.policy: compact
      min.insync.replicas: 2
    configs_exclusive: true

- name: Raise the replication factor and submit the reassignment
  kafkaops.kraft.kafka_topic:
    name: test-topic
    replication_factor: 3
    allow_reassignment: true

- name: Delete a topic, over SASL_SSL with SCRAM
  kafkaops.kraft.kafka_topic:
    name: old-topic
    state: absent
    bootstrap_servers: [broker1:9093]
    security_protocol: SASL_SSL
    sasl_mechanism: SCRAM-SHA-512
    sasl_username: admin
    sasl_password: "{{ vault_kafka_admin_password }}"
    ssl_cafile: /etc/kafka/ssl/ca.pem
"""

RETURN = r"""
changed:
  description: Whether the topic was (or in check mode would be) changed.
  returned: always
  type: bool
changes:
  description: Human-readable list of the changes made, or that would be made in check mode.
  returned: always
  type: list
  elements: str
  sample: ["increase partitions of test-topic from 6 to 12", "set config retention.ms: (default) -> 604800000"]
topic:
  description: The topic as it is after the task (before it, in check mode).
  returned: always
  type: dict
  contains:
    name:
      description: Topic name.
      type: str
      sample: test-topic
    exists:
      description: Whether the topic exists.
      type: bool
    internal:
      description: Whether it is an internal topic (read-only for this module).
      type: bool
    partitions:
      description: Number of partitions.
      type: int
      sample: 6
    replication_factor:
      description: Replicas per partition.
      type: int
      sample: 3
    partition_details:
      description: Leader, replicas and in-sync replicas per partition.
      type: list
      elements: dict
      sample: [{"partition": 0, "leader": 1, "replicas": [1, 2, 3], "isr": [1, 2, 3], "offline_replicas": []}]
    configs:
      description: Every effective config value of the topic, defaults included.
      type: dict
      sample: {"retention.ms": "604800000", "cleanup.policy": "delete"}
    config_overrides:
      description: The topic-level overrides only.
      type: dict
      sample: {"retention.ms": "604800000"}
reassignment:
  description: Replica lists per partition submitted as a reassignment, keyed by partition number.
  returned: when a reassignment was submitted
  type: dict
  sample: {"0": [1, 2, 3]}
ongoing_reassignments:
  description: Reassignments Kafka reports as in progress for the topic, keyed by partition number.
  returned: when the topic exists
  type: dict
  sample: {"0": {"replicas": [1, 2, 3], "adding_replicas": [3], "removing_replicas": []}}
"""

# Ansible modules import after their documentation strings.
from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.kafkaops.kraft.plugins.module_utils.kafka_client import (  # noqa: E402
    KAFKA_CONNECTION_SPEC,
    KafkaModuleError,
    close_quietly,
    connect,
    kafka_error_types,
    live_broker_ids,
    require_kafka,
)
from ansible_collections.kafkaops.kraft.plugins.module_utils.topic import (  # noqa: E402
    TopicService,
    plan_topic,
    replication_factor,
    validate_params,
)


def topic_result(service, name):
    current = service.describe(name)
    if current is None:
        return dict(name=name, exists=False), None
    overrides, effective = service.configs(name)
    return (
        dict(
            name=name,
            exists=True,
            internal=current["internal"],
            partitions=len(current["partitions"]),
            replication_factor=replication_factor(current["partitions"]),
            partition_details=current["partitions"],
            configs=effective,
            config_overrides=overrides,
        ),
        current,
    )


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        partitions=dict(type="int"),
        replication_factor=dict(type="int"),
        replica_assignment=dict(type="list", elements="list"),
        configs=dict(type="dict"),
        configs_exclusive=dict(type="bool", default=False),
        allow_reassignment=dict(type="bool", default=False),
    )
    argument_spec.update(KAFKA_CONNECTION_SPEC)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    name = params["name"]

    errors = validate_params(params)
    if errors:
        module.fail_json(msg="Invalid options: " + "; ".join(errors), changed=False)
    require_kafka(module)

    admin = connect(module)
    try:
        service = TopicService(admin, params["request_timeout_ms"])
        before, current = topic_result(service, name)
        overrides = before.get("config_overrides", {})
        valid_configs = set(before["configs"]) if current else None
        plan = plan_topic(params, current, overrides, live_broker_ids(admin), valid_configs)
        changed = bool(plan["changes"])
        result = dict(changed=changed, changes=plan["changes"], topic=before)
        if module._diff:
            result["diff"] = dict(plan["diff"], before_header="topic %s" % name, after_header="topic %s" % name)
        if changed:
            service.validate(name, plan)
            if not module.check_mode:
                submitted = service.apply(name, plan)
                if submitted:
                    result["reassignment"] = submitted
                result["topic"], current = topic_result(service, name)
        if current is not None:
            result["ongoing_reassignments"] = service.ongoing_reassignments(
                name, list(range(len(current["partitions"])))
            )
        module.exit_json(**result)
    except KafkaModuleError as exc:
        module.fail_json(msg=exc.msg, changed=False, **exc.details)
    except kafka_error_types() as exc:
        module.fail_json(msg="Kafka error on topic %s: %s: %s" % (name, type(exc).__name__, exc), changed=False)
    finally:
        close_quietly(admin)


if __name__ == "__main__":
    main()
