#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: kafka_reassignment
short_description: Move a balanced partition reassignment in waves under a throttle
version_added: 0.1.0
description:
  - Spreads the replicas and preferred leaders of the chosen topics evenly over the brokers, moving as
    few replicas and as little data as possible, through the Kafka admin API (kafka-python 3.x).
  - The plan keeps every replica that already fits its broker's quota; a broker holds within one replica
    of every other broker afterwards. Preferred leaders are then spread by reordering replicas, which moves no data.
  - O(operation=step) moves the plan in waves. Each call reads what the cluster reports (current replicas
    and the reassignments in progress), sets the replication throttles (KIP-73) and submits as many of the
    planned partitions as O(max_moves_per_broker) allows; called in a loop until RV(complete), it submits the
    next wave as movements finish. An interrupted run resumes from the cluster's state, not from a local file.
  - O(operation=clear_throttles) removes the throttles, and O(operation=elect_leaders) runs a preferred leader
    election. The C(kafkaops.kraft.rebalance) and C(kafkaops.kraft.decommission) playbooks plan with
    M(kafkaops.kraft.kafka_reassignment_info), then chain step, clear_throttles and elect_leaders.
  - The plan and the progress are read with M(kafkaops.kraft.kafka_reassignment_info), which never changes
    anything. O(operation=plan), O(operation=status) and O(operation=execute) still work here but are deprecated
    and will be removed in 0.3.0.
  - Internal topics (names starting with C(__)) are left alone unless named in O(topics).
author: kafkaops maintainers (@kafkaops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - kafkaops.kraft.kafka_connection
options:
  operation:
    description:
      - V(step) submits the next wave of O(assignment) (see O(max_moves_per_broker)) and reports progress;
        partitions in progress are left to finish. It sets the throttles before it submits anything.
      - V(clear_throttles) removes the throttle settings from every live broker (and O(brokers)) and from O(topics).
      - V(elect_leaders) makes the first replica of each partition of O(topics) its leader where it is not.
      - V(plan) (deprecated, removed in 0.3.0; use M(kafkaops.kraft.kafka_reassignment_info) with O(operation=plan))
        computes the reassignment and changes nothing. Partitions Kafka is still moving count as placed at the
        target of their reassignment in progress, so a re-run plans from where the cluster is heading.
      - V(status) (deprecated, removed in 0.3.0; use M(kafkaops.kraft.kafka_reassignment_info) with
        O(operation=status)) reports which partitions of O(assignment) (if given) are done, plus under-replicated
        and offline partitions and the per-broker replica counts of O(topics).
      - V(execute) (deprecated, removed in 0.3.0; use V(step) in a loop until RV(complete), which moves in waves)
        sets throttles and submits the planned (or the given O(assignment)) reassignment all at once.
        It refuses to start while another reassignment is in progress.
      - The default, V(plan), is deprecated with it; name the operation.
    type: str
    default: plan
    choices: [plan, step, execute, status, clear_throttles, elect_leaders]
  topics:
    description:
      - Topics to balance or inspect. Defaults to every non-internal topic.
      - With O(operation=step), RV(complete) also waits for every reassignment in progress on these topics.
    type: list
    elements: str
    default: []
  brokers:
    description:
      - Broker ids to spread the replicas over. Defaults to the live brokers.
      - With O(operation=plan) a broker that has not registered yet may be listed, to preview a scale-out.
        O(operation=execute) requires every listed broker to be live.
      - Every replica on a broker not listed moves to a listed one, so listing the brokers that stay drains
        the others before they are decommissioned.
    type: list
    elements: int
    default: []
  assignment:
    description:
      - Target replicas, as returned in RV(assignment), V([{topic, partition, replicas}]).
      - With O(operation=execute) this exact target is applied instead of a new plan (partitions already
        placed so are skipped). With O(operation=step) it is what the waves move to and progress is measured
        against; an entry's optional C(bytes) (as RV(assignment) gives it) counts in RV(bytes_done).
        With O(operation=status) it is what progress is measured against.
    type: list
    elements: dict
    default: []
  throttle_bytes:
    description:
      - Replication throttle in bytes per second for the moving replicas, on leaders and followers.
      - V(0) moves unthrottled.
    type: int
    default: 0
  balance_leaders:
    description: Also spread the preferred leaders (replica order) evenly.
    type: bool
    default: true
  max_moves_per_broker:
    description:
      - Partition movements a broker may take part in at once with O(operation=step), as Cruise Control's
        C(num.concurrent.partition.movements.per.broker).
      - A partition movement counts against every broker that gains or loses a replica in it; a change of
        replica order only moves no data and counts against none. Reassignments Kafka already lists as in
        progress count too, whoever started them.
      - With O(operation=plan) it sets the number of waves RV(waves) estimates. Must be 1 or more.
    type: int
    default: 5
attributes:
  check_mode:
    support: full
    details: V(execute) and the other changing operations report what they would do and do nothing.
  diff_mode:
    support: none
  platform:
    platforms: posix
notes:
  - Requires Kafka 2.4 or later (KIP-455 reassignment API); written for Kafka 3.9 in KRaft mode.
  - Throttles stay in place until O(operation=clear_throttles) runs; the rebalance playbook always runs it.
  - O(operation=step) keeps no state of its own. Started again after an interruption (with a new plan from
    M(kafkaops.kraft.kafka_reassignment_info)), it counts what Kafka still moves and submits only what is neither
    placed nor moving.
seealso:
  - module: kafkaops.kraft.kafka_reassignment_info
  - module: kafkaops.kraft.kafka_topic
  - name: KIP-455 reassignment API
    description: How Kafka moves replicas.
    link: https://cwiki.apache.org/confluence/display/KAFKA/KIP-455%3A+Create+an+Administrative+API+for+Replica+Reassignment
"""

EXAMPLES = r"""
- name: Preview spreading every topic over brokers 1-4 (broker 4 need not be up yet)
  kafkaops.kraft.kafka_reassignment_info:
    operation: plan
    brokers: [1, 2, 3, 4]
    bootstrap_servers: [broker1:9092]
  register: plan

- name: Move it in waves of at most 5 partitions per broker, under a 10 MB/s throttle
  kafkaops.kraft.kafka_reassignment:
    operation: step
    assignment: "{{ plan.assignment }}"
    topics: "{{ plan.topics }}"
    max_moves_per_broker: 5
    throttle_bytes: 10485760
    bootstrap_servers: [broker1:9092]
  register: wave
  until: wave is failed or wave.complete
  retries: 360
  delay: 10

- name: Remove the throttles
  kafkaops.kraft.kafka_reassignment:
    operation: clear_throttles
    bootstrap_servers: [broker1:9092]

- name: Preferred leader election on test-topic
  kafkaops.kraft.kafka_reassignment:
    operation: elect_leaders
    topics: [test-topic]
    bootstrap_servers: [broker1:9092]
"""

RETURN = r"""
changed:
  description: Whether anything was (or in check mode would be) changed.
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
assignment:
  description:
    - Target replicas of every partition that changes, the first being the preferred leader, and the bytes
      its new replicas copy.
  returned: when operation is plan or execute
  type: list
  elements: dict
  sample: [{"topic": "test-topic", "partition": 0, "replicas": [4, 2, 3], "bytes": 1048576}]
changes:
  description: One entry per changing partition, with current and target replicas, adding, removing and bytes.
  returned: when operation is plan or execute
  type: list
  elements: dict
  sample: [{"topic": "test-topic", "partition": 0, "current": [1, 2, 3], "target": [4, 2, 3],
            "adding": [4], "removing": [1], "bytes": 1048576, "reorder_only": false}]
lines:
  description:
    - RV(changes) as readable lines, C(topic-partition current -> target (+added -removed, size), wave N), N being
      the wave of RV(waves) it would go in.
  returned: when operation is plan or execute
  type: list
  elements: str
  sample: ["test-topic-0: [1, 2, 3] -> [4, 2, 3] (+4 -1, 1.0 MiB), wave 1"]
waves:
  description:
    - Waves the plan takes with O(max_moves_per_broker), assuming each wave finishes before the next (the step
      loop submits as movements finish, so it takes at most this many). A wave still running from an earlier
      run counts as the first.
  returned: when operation is plan or execute
  type: int
  sample: 2
max_moves_per_broker:
  description: The limit the waves were computed (or submitted) with.
  returned: when operation is plan, execute or step
  type: int
  sample: 5
bytes_to_move:
  description: Bytes the new replicas copy (partition size times replicas added).
  returned: when operation is plan or execute
  type: int
  sample: 1048576
replicas_to_move:
  description: Number of replicas created on new brokers.
  returned: when operation is plan or execute
  type: int
replicas_before:
  description: Replicas of O(topics) per broker id before the plan.
  returned: when operation is plan or execute
  type: dict
  sample: {"1": 6, "2": 6, "3": 6, "4": 0}
replicas_after:
  description: Replicas of O(topics) per broker id after the plan.
  returned: when operation is plan or execute
  type: dict
  sample: {"1": 5, "2": 5, "3": 4, "4": 4}
leaders_before:
  description: Preferred leaders per broker id before the plan.
  returned: when operation is plan or execute
  type: dict
leaders_after:
  description: Preferred leaders per broker id after the plan.
  returned: when operation is plan or execute
  type: dict
throttled:
  description:
    - Brokers and topic settings throttled by O(operation=execute).
    - O(operation=step) returns the brokers, the rate and the topic names it throttled when it submitted a wave
      (empty when it submitted nothing).
  returned: when operation is execute or step
  type: dict
done:
  description: Partitions of O(assignment) placed as targeted.
  returned: when operation is status or step
  type: int
total:
  description: Partitions in O(assignment).
  returned: when operation is status or step
  type: int
pending:
  description: Partitions of O(assignment) still moving, as C(topic-partition).
  returned: when operation is status
  type: list
  elements: str
complete:
  description:
    - True when every partition of O(assignment) is placed and no reassignment is in progress (with
      O(operation=step), none on O(topics)).
  returned: when operation is status or step
  type: bool
ongoing:
  description: Number of partition reassignments Kafka reports in progress (any topic), before this call's submission.
  returned: when operation is plan, status, execute or step
  type: int
submitted:
  description: Partitions this call submitted (in check mode, would submit), as C(topic-partition).
  returned: when operation is step
  type: list
  elements: str
  sample: ["test-topic-0", "test-topic-3"]
moving:
  description: Partitions of O(assignment) in progress after this call, as C(topic-partition).
  returned: when operation is step
  type: list
  elements: str
waiting:
  description: Partitions of O(assignment) neither placed nor moving, held back by O(max_moves_per_broker).
  returned: when operation is step
  type: int
waves_left:
  description: The wave in progress (if any) plus the waves the waiting partitions still need, estimated.
  returned: when operation is step
  type: int
load:
  description:
    - Partition movements in progress per broker id after this call (any topic). This call never takes a broker
      above O(max_moves_per_broker); reassignments started elsewhere may.
  returned: when operation is step
  type: dict
  sample: {"1": 1, "2": 1, "4": 2}
bytes_done:
  description: Bytes copied for the placed partitions, from the C(bytes) of O(assignment) entries (0 where unknown).
  returned: when operation is step
  type: int
bytes_total:
  description: Bytes the whole O(assignment) copies, from the C(bytes) of its entries.
  returned: when operation is step
  type: int
msg:
  description:
    - Progress in one line, e.g. C(2/6 partitions done, 2 moving (2 submitted now), 2 waiting, about 2 wave(s) left).
  returned: when operation is step
  type: str
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
  returned: when operation is status or elect_leaders
  type: dict
leaders:
  description: Current leaders of O(topics) per broker id.
  returned: when operation is status or elect_leaders
  type: dict
balanced:
  description: True when every broker in RV(brokers) holds within one replica of every other.
  returned: when operation is status
  type: bool
removed:
  description: Throttle settings removed, per C(broker ID) or C(topic NAME).
  returned: when operation is clear_throttles
  type: dict
elected:
  description: Partitions whose preferred leader was (or would be) elected.
  returned: when operation is elect_leaders
  type: list
  elements: str
"""

# Ansible modules import after their documentation strings.
from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.kafkaops.kraft.plugins.module_utils.reassignment_ops import (  # noqa: E402
    argument_spec,
    run_module,
)


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(["plan", "step", "execute", "status", "clear_throttles", "elect_leaders"]),
        supports_check_mode=True,
    )
    operation = module.params["operation"]
    if operation in ("plan", "status"):
        module.deprecate(
            "kafka_reassignment operation=%s is deprecated: use kafkaops.kraft.kafka_reassignment_info with the same"
            " options, which never changes anything and runs in check mode too" % operation,
            version="0.3.0",
            collection_name="kafkaops.kraft",
        )
    elif operation == "execute":
        module.deprecate(
            "kafka_reassignment operation=execute is deprecated: use operation=step in a loop until complete, which"
            " moves the plan in waves of at most max_moves_per_broker movements per broker",
            version="0.3.0",
            collection_name="kafkaops.kraft",
        )
    run_module(module, operation)


if __name__ == "__main__":
    main()
