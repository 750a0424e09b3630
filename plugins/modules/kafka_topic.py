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
  - Manages Kafka topics through the Kafka admin API (kafka-python 3.x), one topic (O(name)) or many in one
    call (O(topics)). Both forms take the same path, a single topic is a one-element batch.
  - A batch costs the same few requests whatever its size, one describe of every listed topic, one
    C(DescribeConfigs), one C(CreateTopics), one C(CreatePartitions), one C(IncrementalAlterConfigs), one
    C(DeleteTopics) and one C(AlterPartitionReassignments), each only when needed.
  - Configs are incremental, only the keys given in O(configs) are managed and other overrides stay untouched,
    unless O(configs_exclusive=true).
  - Partitions can only grow. A replication factor or replica placement change is refused unless
    O(allow_reassignment=true), which submits a partition reassignment and reports it.
  - Internal topics (V(__consumer_offsets), V(__transaction_state), any name starting with C(__)) are
    never created, modified or deleted.
  - "Errors: every topic is planned and validated first, by the module and by Kafka with C(validate_only). A
    refusal of any listed topic (bad options, a partition decrease, a replica change without
    O(allow_reassignment), an internal topic, an unknown config or broker, a value Kafka rejects) fails the
    task before anything is changed, naming each refused topic in RV(refused_topics)."
  - "A topic Kafka refuses while the changes are applied (after a validation that passed, for instance
    because something else changed the cluster meanwhile) is named in RV(failed_topics) and its remaining
    steps are skipped; the other topics are applied and listed in RV(applied_topics), and the task fails
    with C(changed) telling whether anything was applied. A re-run applies what is left."
  - The module runs wherever kafka-python is installed, on the controller (with C(delegate_to) V(localhost))
    or on a Kafka host. The P(kafkaops.kraft.kafka_topic#role) role runs it once per cluster on the first host
    of group C(kafka_brokers), with every topic in one call, in a virtualenv it installs there with the
    P(kafkaops.kraft.python_venv#role) role.
author: kafkaops maintainers (@kafkaops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - kafkaops.kraft.kafka_connection
options:
  name:
    description:
      - Topic name, 1 to 249 of C([a-zA-Z0-9._-]), for the single-topic form.
      - Exactly one of O(name) and O(topics) is required.
    type: str
  topics:
    description:
      - Many topics in one call, each entry taking the single-topic options. Each topic may be listed once.
      - An entry that leaves O(topics[].state), O(topics[].configs_exclusive) or O(topics[].allow_reassignment)
        unset takes the top-level O(state), O(configs_exclusive) or O(allow_reassignment).
      - Mutually exclusive with O(name), O(partitions), O(replication_factor), O(replica_assignment) and
        O(configs). An empty list changes nothing.
    type: list
    elements: dict
    suboptions:
      name:
        description: Topic name, as O(name).
        type: str
        required: true
      state:
        description: As O(state); defaults to O(state).
        type: str
        choices: [present, absent]
      partitions:
        description: As O(partitions).
        type: int
      replication_factor:
        description: As O(replication_factor).
        type: int
      replica_assignment:
        description: As O(replica_assignment).
        type: list
        elements: list
      configs:
        description: As O(configs).
        type: dict
      configs_exclusive:
        description: As O(configs_exclusive); defaults to O(configs_exclusive).
        type: bool
      allow_reassignment:
        description: As O(allow_reassignment); defaults to O(allow_reassignment).
        type: bool
  state:
    description:
      - V(present) creates or updates the topic, V(absent) deletes it.
      - With O(topics), the state of every entry that sets none.
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
    description:
      - Also remove every override that is not listed in O(configs).
      - With O(topics), the value for every entry that sets none.
    type: bool
    default: false
  allow_reassignment:
    description:
      - Allow changing the replicas of existing partitions by submitting a partition reassignment.
      - The module submits it and returns it in RV(reassignment); moving the data is Kafka's work, and
        waiting for or throttling it is the rebalance playbook's job.
      - With O(topics), the value for every entry that sets none.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    details: Reports exactly the changes that would be made and makes none.
  diff_mode:
    support: full
    details:
      - A summary of the counts first (created, changed, unchanged, deleted), then one before/after per topic
        that changes, with its partitions, replication factor, managed configs and, when relevant, replica
        assignment.
  platform:
    platforms: posix
notes:
  - Requires Kafka 2.4 or later (incremental config changes and reassignment APIs); written for Kafka 3.9.
seealso:
  - module: kafkaops.kraft.kafka_consumer_lag
"""

EXAMPLES = r"""
- name: Many topics in one call (one request per kind, whatever the count)
  kafkaops.kraft.kafka_topic:
    bootstrap_servers: [broker1:9092, broker2:9092]
    topics:
      - name: orders
        partitions: 12
        replication_factor: 3
        configs:
          min.insync.replicas: 2
      - name: audit
        configs:
          cleanup.policy: compact
        configs_exclusive: true
      - name: old-topic
        state: absent
  register: topics_result

- name: Show the counts (created, changed, unchanged, deleted)
  ansible.builtin.debug:
    var: topics_result.summary

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
  description: Whether a topic was (or in check mode would be) changed.
  returned: always
  type: bool
msg:
  description: The counts in one line.
  returned: always
  type: str
  sample: "topics: 2 created, 1 changed, 997 unchanged, 0 deleted"
summary:
  description: How many listed topics are (or in check mode would be) created, changed, unchanged and deleted.
  returned: always
  type: dict
  sample: {"created": 2, "changed": 1, "unchanged": 997, "deleted": 0}
changes:
  description: Human-readable list of the changes made, or that would be made in check mode, every topic's in turn.
  returned: always
  type: list
  elements: str
  sample:
    - "increase partitions of test-topic from 6 to 12"
    - "set config retention.ms of test-topic: (default) -> 604800000"
topics:
  description: One entry per listed topic, in the order listed (the single topic of O(name) is a one-entry list).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Topic name.
      type: str
      sample: test-topic
    status:
      description: V(created), V(changed), V(unchanged) or V(deleted) (or would be, in check mode).
      type: str
      sample: changed
    changes:
      description: The lines of RV(changes) about this topic.
      type: list
      elements: str
    topic:
      description: The topic as it is after the task (before it, in check mode), as RV(topic).
      type: dict
    reassignment:
      description: As RV(reassignment), for this topic.
      type: dict
    ongoing_reassignments:
      description: As RV(ongoing_reassignments), for this topic; returned when the topic exists.
      type: dict
topic:
  description: The topic as it is after the task (before it, in check mode).
  returned: with O(name)
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
  returned: with O(name), when a reassignment was submitted
  type: dict
  sample: {"0": [1, 2, 3]}
ongoing_reassignments:
  description: Reassignments Kafka reports as in progress for the topic, keyed by partition number.
  returned: with O(name), when the topic exists
  type: dict
  sample: {"0": {"replicas": [1, 2, 3], "adding_replicas": [3], "removing_replicas": []}}
refused_topics:
  description: The topics refused before anything was changed, with the reason (the task failed).
  returned: when a plan or Kafka's validation refused a topic
  type: dict
  sample: {"orders": "refusing to decrease partitions of orders from 12 to 6: Kafka cannot remove partitions"}
failed_topics:
  description: The topics Kafka refused while the changes were applied, with Kafka's message (the task failed).
  returned: when Kafka refused a topic while applying
  type: dict
applied_topics:
  description:
    - The steps applied to each topic before the task failed (V(deleted), V(created), V(partitions), V(configs),
      V(reassignment)).
  returned: when the task failed while applying
  type: dict
  sample: {"orders": ["created"], "audit": ["configs"]}
"""

# Ansible modules import after their documentation strings.
from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.kafkaops.kraft.plugins.module_utils.kafka_client import (  # noqa: E402
    KAFKA_CONNECTION_SPEC,
    admin_session,
    require_kafka,
)
from ansible_collections.kafkaops.kraft.plugins.module_utils.topic import (  # noqa: E402
    TopicService,
    manage_topics,
    topic_requests,
    validate_requests,
)

# Per-topic options with no default here: in a topics[] entry an unset one takes the top-level value.
TOPIC_SPEC = dict(
    name=dict(type="str", required=True),
    state=dict(type="str", choices=["present", "absent"]),
    partitions=dict(type="int"),
    replication_factor=dict(type="int"),
    replica_assignment=dict(type="list", elements="list"),
    configs=dict(type="dict"),
    configs_exclusive=dict(type="bool"),
    allow_reassignment=dict(type="bool"),
)
SINGLE_TOPIC_ONLY = ("partitions", "replication_factor", "replica_assignment", "configs")


def main():
    argument_spec = dict(
        name=dict(type="str"),
        topics=dict(type="list", elements="dict", options=TOPIC_SPEC),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        partitions=dict(type="int"),
        replication_factor=dict(type="int"),
        replica_assignment=dict(type="list", elements="list"),
        configs=dict(type="dict"),
        configs_exclusive=dict(type="bool", default=False),
        allow_reassignment=dict(type="bool", default=False),
    )
    argument_spec.update(KAFKA_CONNECTION_SPEC)
    module = AnsibleModule(
        argument_spec=argument_spec,
        mutually_exclusive=[("name", "topics")] + [("topics", key) for key in SINGLE_TOPIC_ONLY],
        required_one_of=[("name", "topics")],
        supports_check_mode=True,
    )
    requests = topic_requests(module.params)
    errors = validate_requests(requests)
    if errors:
        module.fail_json(msg="Invalid options: " + "; ".join(errors), changed=False)
    require_kafka(module)

    with admin_session(module, "topics") as admin:
        service = TopicService(admin, module.params["request_timeout_ms"])
        result = manage_topics(service, requests, module.check_mode, progress={})
        diff = result.pop("diff")
        if module._diff:
            result["diff"] = diff
        if module.params["topics"] is None:
            # The single-topic form also returns its topic at the top level.
            entry = result["topics"][0]
            result.update(
                (key, entry[key]) for key in ("topic", "reassignment", "ongoing_reassignments") if key in entry
            )
        module.exit_json(**result)


if __name__ == "__main__":
    main()
