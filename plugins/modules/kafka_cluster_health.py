#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: kafka_cluster_health
short_description: Report a KRaft cluster's brokers, quorum and partition health, and fail when unhealthy
version_added: 0.1.0
description:
  - Reads the registered brokers, the KRaft metadata quorum (leader, voters, observers and their lag)
    and every partition's leader and in-sync replicas through the Kafka admin API (kafka-python 3.x).
  - The structured equivalent of C(kafka-metadata-quorum describe --status/--replication) and
    C(kafka-topics --describe --under-replicated-partitions --unavailable-partitions).
  - Never changes anything. With O(fail_when_unhealthy) it is a health gate.
  - Judges health by the same rule as the kafka_kraft role's restart gate, which reads Kafka's CLI instead
    (the rule lives once, in the collection's C(health) module utils).
author: kafkaops maintainers (@kafkaops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - kafkaops.kraft.kafka_connection
options:
  expected_brokers:
    description: Broker ids that must be registered; a missing one is a problem.
    type: list
    elements: int
    default: []
  expected_voters:
    description: Controller ids that must be quorum voters.
    type: list
    elements: int
    default: []
  max_lag:
    description: Metadata records a voter or observer may lag the quorum leader by.
    type: int
    default: 10
  fail_when_unhealthy:
    description: Fail when RV(problems) is not empty.
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
  - module: kafkaops.kraft.kafka_consumer_lag
  - module: kafkaops.kraft.kafka_reassignment
"""

EXAMPLES = r"""
- name: Fail unless brokers 1-3 are up, controllers 1-3 vote and every partition is fully replicated
  kafkaops.kraft.kafka_cluster_health:
    expected_brokers: [1, 2, 3]
    expected_voters: [1, 2, 3]
    bootstrap_servers: [broker1:9092]
"""

RETURN = r"""
healthy:
  description: True when RV(problems) is empty.
  returned: always
  type: bool
problems:
  description: Every reason the cluster is not healthy.
  returned: always
  type: list
  elements: str
  sample: ["1 under-replicated partition(s): test-topic-3"]
cluster_id:
  description: The cluster id.
  returned: always
  type: str
brokers:
  description: Registered, unfenced broker ids.
  returned: always
  type: list
  elements: int
quorum:
  description: Quorum leader, epoch, high watermark, and voters and observers with their log end offset and lag.
  returned: always
  type: dict
  sample: {"leader": 1, "epoch": 4, "high_watermark": 1837,
           "voters": [{"id": 1, "log_end_offset": 1837, "lag": 0}], "observers": []}
topics:
  description: Number of topics, internal ones included.
  returned: always
  type: int
partitions:
  description: Number of partitions, internal ones included.
  returned: always
  type: int
under_replicated:
  description: >-
    Partitions with fewer in-sync replicas than replicas, not counting replicas an ongoing reassignment
    is still adding (as C(kafka-topics --under-replicated-partitions) counts), as C(topic-partition).
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
from ansible_collections.kafkaops.kraft.plugins.module_utils.health import health_problems, read_health  # noqa: E402
from ansible_collections.kafkaops.kraft.plugins.module_utils.kafka_client import (  # noqa: E402
    KAFKA_CONNECTION_SPEC,
    close_quietly,
    connect,
    kafka_error_types,
    require_kafka,
)


def main():
    argument_spec = dict(
        expected_brokers=dict(type="list", elements="int", default=[]),
        expected_voters=dict(type="list", elements="int", default=[]),
        max_lag=dict(type="int", default=10),
        fail_when_unhealthy=dict(type="bool", default=True),
    )
    argument_spec.update(KAFKA_CONNECTION_SPEC)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    require_kafka(module)
    admin = connect(module)
    try:
        result = read_health(admin)
    except kafka_error_types() as exc:
        module.fail_json(msg="Kafka error reading cluster health: %s: %s" % (type(exc).__name__, exc), changed=False)
    finally:
        close_quietly(admin)
    problems = health_problems(
        params["expected_brokers"],
        result["brokers"],
        result["quorum"],
        result["under_replicated"],
        result["offline"],
        params["max_lag"],
        params["expected_voters"],
    )
    result.update(changed=False, healthy=not problems, problems=problems)
    if problems and params["fail_when_unhealthy"]:
        module.fail_json(msg="cluster unhealthy: " + "; ".join(problems), **result)
    module.exit_json(msg="cluster healthy", **result)


if __name__ == "__main__":
    main()
