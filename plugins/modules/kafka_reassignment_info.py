#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: kafka_reassignment_info
short_description: Plan a balanced partition reassignment, or report its progress, without changing anything
version_added: 0.1.0
description:
  - The read-only half of M(kafkaops.kraft.kafka_reassignment), through the Kafka admin API (kafka-python 3.x).
    Never changes anything, and runs the same in check mode.
  - O(operation=plan) spreads the replicas and preferred leaders of the chosen topics evenly over the brokers,
    moving as few replicas and as little data as possible. The plan keeps every replica that already fits its
    broker's quota; a broker holds within one replica of every other broker afterwards. Preferred leaders are
    then spread by reordering replicas, which moves no data. M(kafkaops.kraft.kafka_reassignment) with
    O(kafkaops.kraft.kafka_reassignment#module:operation=step) moves the plan in waves.
  - O(operation=status) reports the progress of a reassignment, the under-replicated and offline partitions, and
    the replicas and leaders per broker.
  - Internal topics (names starting with C(__)) are left alone unless named in O(topics).
author: kafkaops maintainers (@kafkaops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - kafkaops.kraft.kafka_connection
options:
  operation:
    description:
      - V(plan) computes the reassignment. Partitions Kafka is still moving count as placed at the target of their
        reassignment in progress, so a re-run plans from where the cluster is heading. With nothing to move, its
        RV(replicas_before) is the current placement.
      - V(status) reports which partitions of O(assignment) (if given) are done, plus under-replicated and offline
        partitions and the per-broker replica and leader counts of O(topics).
    type: str
    default: plan
    choices: [plan, status]
  topics:
    description: Topics to plan for or inspect. Defaults to every non-internal topic.
    type: list
    elements: str
    default: []
  brokers:
    description:
      - Broker ids to spread the replicas over, and to count replicas and leaders on. Defaults to the live brokers.
      - With O(operation=plan) a broker that has not registered yet may be listed, to preview a scale-out.
      - Every replica on a broker not listed moves to a listed one, so listing the brokers that stay plans the
        drain of the others before they are decommissioned.
    type: list
    elements: int
    default: []
  assignment:
    description:
      - Target replicas, as returned in RV(assignment), V([{topic, partition, replicas}]).
      - With O(operation=plan) this exact target is described instead of a new plan (partitions already placed so
        are left out). With O(operation=status) it is what progress is measured against.
    type: list
    elements: dict
    default: []
  balance_leaders:
    description: With O(operation=plan), also spread the preferred leaders (replica order) evenly.
    type: bool
    default: true
  max_moves_per_broker:
    description:
      - With O(operation=plan), the partition movements a broker may take part in at once, which sets the number
        of waves RV(waves) estimates; as O(kafkaops.kraft.kafka_reassignment#module:max_moves_per_broker) when it
        moves the plan. Must be 1 or more.
    type: int
    default: 5
attributes:
  check_mode:
    support: full
    details: Read-only, identical in check mode.
  diff_mode:
    support: none
  platform:
    platforms: posix
notes:
  - Requires Kafka 2.4 or later (KIP-455 reassignment API); written for Kafka 3.9 in KRaft mode.
  - Replaces O(kafkaops.kraft.kafka_reassignment#module:operation=plan) and
    O(kafkaops.kraft.kafka_reassignment#module:operation=status), which are deprecated; the options and return
    values are the same.
seealso:
  - module: kafkaops.kraft.kafka_reassignment
  - module: kafkaops.kraft.kafka_cluster_health
"""

EXAMPLES = r"""
- name: Preview spreading every topic over brokers 1-4 (broker 4 need not be up yet)
  kafkaops.kraft.kafka_reassignment_info:
    operation: plan
    brokers: [1, 2, 3, 4]
    bootstrap_servers: [broker1:9092]
  register: plan

- name: Show the moves, each with the wave it goes in
  ansible.builtin.debug:
    var: plan.lines

- name: Wait for no under-replicated or offline partition of test-topic
  kafkaops.kraft.kafka_reassignment_info:
    operation: status
    topics: [test-topic]
    bootstrap_servers: [broker1:9092]
  register: status
  until: status.under_replicated | length == 0 and status.offline | length == 0
  retries: 20
  delay: 3

- name: How far the planned reassignment has got
  kafkaops.kraft.kafka_reassignment_info:
    operation: status
    assignment: "{{ plan.assignment }}"
    bootstrap_servers: [broker1:9092]
  register: progress
"""

RETURN = r"""
changed:
  description: Always false.
  returned: always
  type: bool
topics:
  description: Topics considered.
  returned: always
  type: list
  elements: str
  sample: [test-topic]
brokers:
  description: Broker ids replicas are spread over.
  returned: always
  type: list
  elements: int
  sample: [1, 2, 3, 4]
ongoing:
  description: Number of partition reassignments Kafka reports in progress (any topic).
  returned: always
  type: int
assignment:
  description:
    - Target replicas of every partition that changes, the first being the preferred leader, and the bytes
      its new replicas copy.
  returned: when operation is plan
  type: list
  elements: dict
  sample: [{"topic": "test-topic", "partition": 0, "replicas": [4, 2, 3], "bytes": 1048576}]
changes:
  description: One entry per changing partition, with current and target replicas, adding, removing and bytes.
  returned: when operation is plan
  type: list
  elements: dict
  sample: [{"topic": "test-topic", "partition": 0, "current": [1, 2, 3], "target": [4, 2, 3],
            "adding": [4], "removing": [1], "bytes": 1048576, "reorder_only": false}]
lines:
  description:
    - RV(changes) as readable lines, C(topic-partition current -> target (+added -removed, size), wave N), N being
      the wave of RV(waves) it would go in.
  returned: when operation is plan
  type: list
  elements: str
  sample: ["test-topic-0: [1, 2, 3] -> [4, 2, 3] (+4 -1, 1.0 MiB), wave 1"]
waves:
  description:
    - Waves the plan takes with O(max_moves_per_broker), assuming each wave finishes before the next (the step
      loop submits as movements finish, so it takes at most this many). A wave still running from an earlier
      run counts as the first.
  returned: when operation is plan
  type: int
  sample: 2
max_moves_per_broker:
  description: The limit the waves were computed with.
  returned: when operation is plan
  type: int
  sample: 5
bytes_to_move:
  description: Bytes the new replicas copy (partition size times replicas added).
  returned: when operation is plan
  type: int
  sample: 1048576
replicas_to_move:
  description: Number of replicas created on new brokers.
  returned: when operation is plan
  type: int
replicas_before:
  description: Replicas of O(topics) per broker id before the plan (brokers outside O(brokers) included).
  returned: when operation is plan
  type: dict
  sample: {"1": 6, "2": 6, "3": 6, "4": 0}
replicas_after:
  description: Replicas of O(topics) per broker id after the plan.
  returned: when operation is plan
  type: dict
  sample: {"1": 5, "2": 5, "3": 4, "4": 4}
leaders_before:
  description: Preferred leaders per broker id before the plan.
  returned: when operation is plan
  type: dict
leaders_after:
  description: Preferred leaders per broker id after the plan.
  returned: when operation is plan
  type: dict
balanced_after:
  description: True when every broker holds within one replica of every other after the plan.
  returned: when operation is plan
  type: bool
done:
  description: Partitions of O(assignment) placed as targeted.
  returned: when operation is status
  type: int
total:
  description: Partitions in O(assignment).
  returned: when operation is status
  type: int
pending:
  description: Partitions of O(assignment) still moving, as C(topic-partition).
  returned: when operation is status
  type: list
  elements: str
complete:
  description: True when every partition of O(assignment) is placed and no reassignment of it is in progress.
  returned: when operation is status
  type: bool
under_replicated:
  description: Under-replicated partitions of O(topics), as C(topic-partition).
  returned: when operation is status
  type: list
  elements: str
offline:
  description: Partitions of O(topics) without a leader.
  returned: when operation is status
  type: list
  elements: str
replicas:
  description: Current replicas of O(topics) per broker id.
  returned: when operation is status
  type: dict
leaders:
  description: Current leaders of O(topics) per broker id.
  returned: when operation is status
  type: dict
balanced:
  description: True when every broker in RV(brokers) holds within one replica of every other.
  returned: when operation is status
  type: bool
"""

# Ansible modules import after their documentation strings.
from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.kafkaops.kraft.plugins.module_utils.reassignment_ops import (  # noqa: E402
    READ_OPERATIONS,
    argument_spec,
    run_module,
)


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(READ_OPERATIONS, default="plan", changing=False), supports_check_mode=True
    )
    run_module(module)


if __name__ == "__main__":
    main()
