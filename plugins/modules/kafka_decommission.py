#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: kafka_decommission
short_description: Decide whether nodes can be retired from a KRaft cluster, and report what they still hold
version_added: 0.1.0
description:
  - The preflight of the C(kafkaops.kraft.decommission) playbook. Reads the registered brokers, the KRaft quorum
    and every topic (internal ones included) with its replicas and effective C(min.insync.replicas) through the
    Kafka admin API (kafka-python 3.x), and lists every reason not to retire O(node_ids).
  - Refuses when fewer brokers would remain than a topic's replication factor; when a topic's
    C(min.insync.replicas) could not be met by the brokers left; when a node votes in a static quorum (that voter
    set cannot change in a running cluster); when stopping the leaving voters would cost the quorum its majority;
    and when the cluster is unhealthy by the collection's health rule, the retiring nodes left out.
  - Also reports the replicas still on O(node_ids), so the playbook can verify the drain.
  - Never changes anything.
author: kafkaops maintainers (@kafkaops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - kafkaops.kraft.kafka_connection
options:
  node_ids:
    description: Ids of the nodes to retire (brokers, controllers or combined nodes).
    type: list
    elements: int
    required: true
  brokers_after:
    description:
      - Broker ids that stay. Each must be registered; a topic's replication factor must fit in them.
      - Defaults to the registered brokers minus O(node_ids).
    type: list
    elements: int
    default: []
  quorum_mode:
    description: The quorum's kind, as C(kafka_kraft_quorum_mode); only a V(dynamic) quorum can lose voters.
    type: str
    choices: [static, dynamic]
    default: static
  max_lag:
    description: Metadata records a staying voter or observer may lag the quorum leader by.
    type: int
    default: 10
  fail_when_refused:
    description: Fail with every refusal in the message when RV(refusals) is not empty.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    details: Read-only, identical in check mode.
  diff_mode:
    support: none
  platform:
    platforms: posix
seealso:
  - module: kafkaops.kraft.kafka_cluster_health
  - module: kafkaops.kraft.kafka_reassignment
"""

EXAMPLES = r"""
- name: Refuse unless broker 4 can be retired safely
  kafkaops.kraft.kafka_decommission:
    node_ids: [4]
    quorum_mode: dynamic
    bootstrap_servers: [broker1:9092]
  register: preflight

- name: Verify the drain left nothing on broker 4
  kafkaops.kraft.kafka_decommission:
    node_ids: [4]
    fail_when_refused: false
    bootstrap_servers: [broker1:9092]
  register: drained
  failed_when: drained.replicas_left > 0
"""

RETURN = r"""
refusals:
  description: Every reason not to retire O(node_ids), each saying what to change; empty when it is safe.
  returned: always
  type: list
  elements: str
  sample: ["topic test-topic has replication factor 3, but only 2 broker(s) would remain (1, 2): ..."]
node_ids:
  description: The nodes to retire, sorted.
  returned: always
  type: list
  elements: int
brokers:
  description: Registered, unfenced broker ids now.
  returned: always
  type: list
  elements: int
brokers_after:
  description: Broker ids that stay.
  returned: always
  type: list
  elements: int
registered:
  description: Nodes of O(node_ids) still registered as live brokers.
  returned: always
  type: list
  elements: int
voters:
  description: Quorum voter ids now.
  returned: always
  type: list
  elements: int
voters_after:
  description: Voter ids once the leaving voters are removed.
  returned: always
  type: list
  elements: int
leaving_voters:
  description: Nodes of O(node_ids) that vote now.
  returned: always
  type: list
  elements: int
quorum_leader:
  description: Node id of the quorum leader.
  returned: always
  type: int
topics:
  description: Every topic, internal ones included, whose replicas the drain considers.
  returned: always
  type: list
  elements: str
internal_topics:
  description: The internal topics among RV(topics).
  returned: always
  type: list
  elements: str
limits:
  description: Replication factor and effective C(min.insync.replicas) per topic.
  returned: always
  type: list
  elements: dict
  sample: [{"name": "test-topic", "rf": 3, "min_isr": 2}]
replicas_on_nodes:
  description: Replicas each node of O(node_ids) holds, by node id.
  returned: always
  type: dict
  sample: {"4": 0}
replicas_left:
  description: Sum of RV(replicas_on_nodes).
  returned: always
  type: int
under_replicated:
  description: Under-replicated partitions, as C(topic-partition).
  returned: always
  type: list
  elements: str
offline:
  description: Partitions without a leader.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.kafkaops.kraft.plugins.module_utils.decommission import read_cluster, summary  # noqa: E402
from ansible_collections.kafkaops.kraft.plugins.module_utils.kafka_client import (  # noqa: E402
    KAFKA_CONNECTION_SPEC,
    close_quietly,
    connect,
    kafka_error_types,
    require_kafka,
)


def main():
    argument_spec = dict(
        node_ids=dict(type="list", elements="int", required=True),
        brokers_after=dict(type="list", elements="int", default=[]),
        quorum_mode=dict(type="str", choices=["static", "dynamic"], default="static"),
        max_lag=dict(type="int", default=10),
        fail_when_refused=dict(type="bool", default=True),
    )
    argument_spec.update(KAFKA_CONNECTION_SPEC)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    if not params["node_ids"]:
        module.fail_json(msg="node_ids is empty: name the node ids to retire")
    require_kafka(module)
    admin = connect(module)
    try:
        cluster = read_cluster(admin)
    except kafka_error_types() as exc:
        module.fail_json(msg="Kafka error reading the cluster: %s: %s" % (type(exc).__name__, exc), changed=False)
    finally:
        close_quietly(admin)
    ids = params["node_ids"]
    brokers_after = params["brokers_after"] or [b for b in cluster["brokers"] if b not in ids]
    result = summary(ids, cluster, params["quorum_mode"], brokers_after, params["max_lag"])
    result["changed"] = False
    if result["refusals"] and params["fail_when_refused"]:
        module.fail_json(
            msg="refusing to retire node(s) %s: %s"
            % (", ".join(str(i) for i in result["node_ids"]), " | ".join(result["refusals"])),
            **result,
        )
    module.exit_json(msg="node(s) %s can be retired" % ", ".join(str(i) for i in result["node_ids"]), **result)


if __name__ == "__main__":
    main()
