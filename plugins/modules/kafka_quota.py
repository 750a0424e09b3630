#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: kafka_quota
short_description: Manage Kafka client quotas for users and client ids as code
version_added: 0.1.0
description:
  - Sets and removes Kafka client quotas (C(kafka-configs --entity-type users|clients)) for a list of entities
    through the Kafka admin API (DescribeClientQuotas and AlterClientQuotas, Kafka 2.6 or later).
  - An entity is a user, a client id, or a user and client id pair, each by name or as Kafka's default entity
    (shown as C(<default>)). Kafka applies the most specific quota that matches a connection.
  - Every run reads all user and client-id quotas of the cluster in one request and sends every change in one
    request, first with C(validate_only) so a refused entry leaves nothing half-applied.
  - With O(quotas[].state=present) only the listed quota keys are managed and other keys of the entity stay as
    they are, unless O(quotas[].exclusive=true), which also removes the unlisted keys.
    O(quotas[].state=absent) removes every quota key of the entity.
  - Entities not listed in O(quotas) are never touched, and C(ip) quotas are out of scope.
author: kafkaops maintainers (@kafkaops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - kafkaops.kraft.kafka_connection
options:
  quotas:
    description: The quota entities to manage, each listed at most once.
    type: list
    elements: dict
    required: true
    suboptions:
      user:
        description:
          - User principal name the quota applies to, without the C(User:) prefix (the SASL user name, or the
            certificate's principal name with mTLS).
          - Mutually exclusive with O(quotas[].user_default).
        type: str
      user_default:
        description: The default user, which applies to every user without a quota of its own.
        type: bool
        default: false
      client_id:
        description:
          - Client id (the clients' C(client.id) setting) the quota applies to.
          - Together with O(quotas[].user) or O(quotas[].user_default) the entity is that user and client id pair.
          - This is the quota entity, not the O(client_id) this module connects with.
          - Mutually exclusive with O(quotas[].client_id_default).
        type: str
      client_id_default:
        description: The default client id, which applies to every client id without a quota of its own.
        type: bool
        default: false
      state:
        description:
          - V(present) sets the listed quota values.
          - V(absent) removes every quota value of the entity and takes no values.
        type: str
        default: present
        choices: [present, absent]
      exclusive:
        description:
          - Also remove the entity's quota keys that are not listed, so it has exactly the listed values.
          - With no value listed it removes all of them, like V(absent).
        type: bool
        default: false
      producer_byte_rate:
        description: Produce bandwidth in bytes per second, greater than 0. Omitted means not managed.
        type: int
      consumer_byte_rate:
        description: Fetch bandwidth in bytes per second, greater than 0. Omitted means not managed.
        type: int
      request_percentage:
        description:
          - Share of request handler and network thread time, as a percentage of one thread (so C(200) is two
            threads), greater than 0. Omitted means not managed.
        type: float
      controller_mutation_rate:
        description:
          - Partition creations and deletions per second (topic and partition mutations), greater than 0.
            Omitted means not managed.
        type: float
attributes:
  check_mode:
    support: full
    details: Reports exactly the changes that would be made, validated by Kafka, and makes none.
  diff_mode:
    support: full
    details: One line per added, changed or removed quota value, after a summary of the counts.
  platform:
    platforms: posix
notes:
  - Requires Kafka 2.6 or later; written for Kafka 3.9.
  - A principal needs C(ALTER_CONFIGS) and C(DESCRIBE_CONFIGS) on the cluster when an authorizer is enabled.
seealso:
  - module: kafkaops.kraft.kafka_topic
"""

EXAMPLES = r"""
- name: Bandwidth quotas for alice, the default user, and one client of bob
  kafkaops.kraft.kafka_quota:
    bootstrap_servers: [broker1:9092]
    quotas:
      - user: alice
        producer_byte_rate: 1048576
        consumer_byte_rate: 2097152
      - user_default: true
        producer_byte_rate: 524288
      - user: bob
        client_id: reporting
        request_percentage: 50

- name: Every client id without a quota of its own gets 1 MiB/s fetch
  kafkaops.kraft.kafka_quota:
    quotas:
      - client_id_default: true
        consumer_byte_rate: 1048576

- name: Exactly these values for alice (removes her other quota keys), and none at all for carol
  kafkaops.kraft.kafka_quota:
    quotas:
      - user: alice
        producer_byte_rate: 2097152
        exclusive: true
      - user: carol
        state: absent
"""

RETURN = r"""
changed:
  description: Whether a quota was (or in check mode would be) changed.
  returned: always
  type: bool
summary:
  description:
    - Number of listed entities whose quotas are added (had none), changed, removed (have none left) or unchanged.
  returned: always
  type: dict
  sample: {"added": 1, "changed": 1, "removed": 0, "unchanged": 2}
changes:
  description: One line per quota value added (C(+)), changed (C(~)) or removed (C(-)); the same lines as the diff.
  returned: always
  type: list
  elements: str
  sample:
    - "~ user=alice producer_byte_rate 1048576 -> 2097152"
    - "+ client-id=<default> consumer_byte_rate 1048576"
    - "- user=bob request_percentage 200"
quotas:
  description: One result per entry of O(quotas), in the same order.
  returned: always
  type: list
  elements: dict
  contains:
    entity:
      description: The entity, as in the diff.
      type: str
      sample: user=alice,client-id=reporting
    user:
      description: User name, V(<default>) for the default user, null when the entity has no user part.
      type: str
    client_id:
      description: Client id, V(<default>) for the default client id, null when the entity has no client-id part.
      type: str
    state:
      description: The requested state.
      type: str
    status:
      description: V(added), V(changed), V(removed) or V(unchanged).
      type: str
    before:
      description: The entity's quota values before the task.
      type: dict
      sample: {"producer_byte_rate": 1048576}
    after:
      description: The entity's quota values after the task (as they would be, in check mode).
      type: dict
      sample: {"producer_byte_rate": 2097152, "request_percentage": 12.5}
"""

# Ansible modules import after their documentation strings.
from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.kafkaops.kraft.plugins.module_utils.kafka_client import (  # noqa: E402
    KAFKA_CONNECTION_SPEC,
    admin_session,
    require_kafka,
)
from ansible_collections.kafkaops.kraft.plugins.module_utils.quota import (  # noqa: E402
    QuotaService,
    diff_text,
    plan_quotas,
    validate_entries,
)

QUOTA_ENTRY_SPEC = dict(
    user=dict(type="str"),
    user_default=dict(type="bool", default=False),
    client_id=dict(type="str"),
    client_id_default=dict(type="bool", default=False),
    state=dict(type="str", default="present", choices=["present", "absent"]),
    exclusive=dict(type="bool", default=False),
    producer_byte_rate=dict(type="int"),
    consumer_byte_rate=dict(type="int"),
    request_percentage=dict(type="float"),
    controller_mutation_rate=dict(type="float"),
)


def main():
    argument_spec = dict(quotas=dict(type="list", elements="dict", required=True, options=QUOTA_ENTRY_SPEC))
    argument_spec.update(KAFKA_CONNECTION_SPEC)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    entries = module.params["quotas"]

    errors = validate_entries(entries)
    if errors:
        module.fail_json(msg="Invalid quotas: " + "; ".join(errors), changed=False)
    require_kafka(module)

    with admin_session(module, "client quotas") as admin:
        service = QuotaService(admin, module.params["request_timeout_ms"])
        plan = plan_quotas(entries, service.describe())
        result = dict(changed=plan["changed"], summary=plan["summary"], changes=plan["lines"], quotas=plan["results"])
        if module._diff:
            result["diff"] = dict(prepared=diff_text(plan))
        if plan["changed"]:
            if module.check_mode:
                service.alter(plan["alter"], validate_only=True)
            else:
                service.apply(plan)
        module.exit_json(**result)


if __name__ == "__main__":
    main()
