#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: kafka_acl
short_description: Manage Kafka ACL bindings as code, in batches
version_added: 0.1.0
description:
  - Makes a list of Kafka ACL bindings present or absent through the Kafka admin API (kafka-python 3.x).
  - Batched whatever the list's length, one C(DescribeAcls) reads every binding of the cluster, one
    C(CreateAcls) adds all missing bindings and one C(DeleteAcls) removes all bindings to remove.
    New bindings are created before any is removed, and nothing is removed when Kafka refuses a new one.
  - With O(exclusive) the module also removes existing bindings that are not listed, either of every
    principal named in O(acls) or on every resource pattern named in O(acls). Check mode with C(--diff)
    shows exactly which bindings that removes.
  - The cluster needs an authorizer (C(authorizer.class.name)); without one Kafka answers C(SECURITY_DISABLED)
    and the module fails saying so. The connecting principal needs Describe and Alter on the cluster,
    or to be a super user.
  - The module runs wherever kafka-python is installed, on the controller (with C(delegate_to) V(localhost))
    or on a Kafka host.
author: kafkaops maintainers (@kafkaops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - kafkaops.kraft.kafka_connection
options:
  acls:
    description:
      - The ACL bindings. Names are case-insensitive and Kafka's CamelCase works too, so V(READ), V(read),
        V(Read) and V(IdempotentWrite) are all accepted.
      - A binding listed twice counts once; one listed both present and absent is an error.
    type: list
    elements: dict
    required: true
    suboptions:
      principal:
        description: V(User:<name>), or V(User:*) for every user. The type V(User) is case-sensitive.
        type: str
        required: true
      host:
        description: Client address the binding applies to; V(*) is any host.
        type: str
        default: "*"
      operation:
        description:
          - One of V(ALL), V(READ), V(WRITE), V(CREATE), V(DELETE), V(ALTER), V(DESCRIBE), V(CLUSTER_ACTION),
            V(DESCRIBE_CONFIGS), V(ALTER_CONFIGS), V(IDEMPOTENT_WRITE), V(CREATE_TOKENS), V(DESCRIBE_TOKENS).
          - It must apply to the resource type, as C(kafka-acls) requires; for example V(IDEMPOTENT_WRITE) is
            a CLUSTER operation and V(READ) a TOPIC or GROUP one.
        type: str
        required: true
      permission:
        description: V(ALLOW) or V(DENY).
        type: str
        default: ALLOW
      resource_type:
        description: V(TOPIC), V(GROUP), V(CLUSTER), V(TRANSACTIONAL_ID), V(DELEGATION_TOKEN) or V(USER).
        type: str
        required: true
      resource_name:
        description:
          - Name of the resource, or the prefix with O(acls[].pattern_type=PREFIXED). V(*) with
            V(LITERAL) means every resource of the type.
          - Required except for V(CLUSTER), whose only name is V(kafka-cluster) (the default).
        type: str
      pattern_type:
        description: V(LITERAL) matches O(acls[].resource_name) exactly, V(PREFIXED) every name starting with it.
        type: str
        default: LITERAL
      state:
        description: V(present) or V(absent) for this binding; defaults to the module's O(state).
        type: str
        choices: [present, absent]
  state:
    description:
      - Default state of the bindings in O(acls) that do not set their own.
      - V(absent) cannot be combined with O(exclusive).
    type: str
    default: present
    choices: [present, absent]
  exclusive:
    description:
      - V(none) manages only the listed bindings.
      - V(principals) also removes every existing binding of each principal named in O(acls) that is not
        listed as present, on any resource.
      - V(resources) also removes every existing binding on each resource pattern (type, name and pattern
        type) named in O(acls) that is not listed as present, of any principal.
      - Run it in check mode with C(--diff) first, the RV(removed) list and the diff name every binding
        that would go.
    type: str
    default: none
    choices: [none, principals, resources]
attributes:
  check_mode:
    support: full
    details: Computes the same plan and reports the same diff and RV(changed) as a real run, and changes nothing.
  diff_mode:
    support: full
    details:
      - One line per binding, sorted, with principal, permission, operation, resource, pattern type and host,
        as in RV(added).
      - It covers the listed bindings and, with O(exclusive), every existing binding of the named principals
        or resources.
  platform:
    platforms: posix
notes:
  - Requires Kafka 2.0 or later (prefixed patterns); USER resources need Kafka 2.8. Written for Kafka 3.9 with
    C(org.apache.kafka.metadata.authorizer.StandardAuthorizer).
  - Kafka applies ACL changes asynchronously on each broker; the module waits until the broker it talks to
    shows them, for up to O(request_timeout_ms).
seealso:
  - module: kafkaops.kraft.kafka_topic
"""

EXAMPLES = r"""
- name: A producer and a consumer of orders
  kafkaops.kraft.kafka_acl:
    bootstrap_servers: [broker1:9092]
    acls:
      - {principal: "User:orders-producer", operation: Write, resource_type: TOPIC, resource_name: orders}
      - {principal: "User:orders-producer", operation: IdempotentWrite, resource_type: CLUSTER}
      - {principal: "User:orders-consumer", operation: Read, resource_type: TOPIC, resource_name: orders}
      - principal: "User:orders-consumer"
        operation: read
        resource_type: group
        resource_name: orders-
        pattern_type: prefixed

- name: Exactly these bindings for the app users; any other binding of theirs is removed
  kafkaops.kraft.kafka_acl:
    acls: "{{ app_acls }}"
    exclusive: principals

- name: Nobody but the auditor reads the audit topic
  kafkaops.kraft.kafka_acl:
    acls:
      - {principal: "User:auditor", operation: READ, resource_type: TOPIC, resource_name: audit}
    exclusive: resources

- name: Remove one binding and add another in the same batch
  kafkaops.kraft.kafka_acl:
    acls:
      - {principal: "User:bob", operation: WRITE, resource_type: TOPIC, resource_name: orders, state: absent}
      - {principal: "User:bob", operation: READ, resource_type: TOPIC, resource_name: orders}

- name: Revoke bindings
  kafkaops.kraft.kafka_acl:
    state: absent
    acls:
      - {principal: "User:*", operation: ALL, resource_type: TOPIC, resource_name: "*"}
"""

RETURN = r"""
changed:
  description: Whether bindings were (or in check mode would be) added or removed.
  returned: always
  type: bool
msg:
  description: The summary.
  returned: always
  type: str
  sample: 2 added, 1 removed, 3 unchanged
counts:
  description: How many bindings were (in check mode would be) added and removed, and how many listed ones
    were already as asked.
  returned: always
  type: dict
  sample: {"added": 2, "removed": 1, "unchanged": 3}
added:
  description: Bindings created (to create, in check mode), one readable line each.
  returned: always
  type: list
  elements: str
  sample: ["User:alice ALLOW Write TOPIC:orders (LITERAL) from *"]
removed:
  description: Bindings deleted (to delete, in check mode), including those O(exclusive) removes.
  returned: always
  type: list
  elements: str
  sample: ["User:alice ALLOW Read TOPIC:old (LITERAL) from *"]
unchanged:
  description: Listed bindings already as asked (present ones that exist, absent ones that do not).
  returned: always
  type: list
  elements: str
  sample: ["User:bob ALLOW Read GROUP:orders- (PREFIXED) from *"]
errors:
  description: The bindings Kafka refused, with Kafka's error; the task fails.
  returned: when Kafka refused bindings
  type: list
  elements: dict
  sample: [{"binding": "User:x ALLOW Read TOPIC:t (LITERAL) from *", "error": "InvalidRequestError (...)"}]
"""

# Ansible modules import after their documentation strings.
from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.kafkaops.kraft.plugins.module_utils.acl import (  # noqa: E402
    EXCLUSIVE_MODES,
    AclService,
    diff_text,
    parse_bindings,
    plan_acls,
    sorted_lines,
    summary,
    validate_params,
)
from ansible_collections.kafkaops.kraft.plugins.module_utils.kafka_client import (  # noqa: E402
    KAFKA_CONNECTION_SPEC,
    admin_session,
    require_kafka,
)

BINDING_SPEC = dict(
    principal=dict(type="str", required=True),
    host=dict(type="str", default="*"),
    operation=dict(type="str", required=True),
    permission=dict(type="str", default="ALLOW"),
    resource_type=dict(type="str", required=True),
    resource_name=dict(type="str"),
    pattern_type=dict(type="str", default="LITERAL"),
    state=dict(type="str", choices=["present", "absent"]),
)


def main():
    argument_spec = dict(
        acls=dict(type="list", elements="dict", required=True, options=BINDING_SPEC),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        exclusive=dict(type="str", default="none", choices=list(EXCLUSIVE_MODES)),
    )
    argument_spec.update(KAFKA_CONNECTION_SPEC)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params

    desired, errors = parse_bindings(params["acls"], params["state"])
    errors = validate_params(params) + errors
    if errors:
        module.fail_json(msg="Invalid options: " + "; ".join(errors), changed=False)
    require_kafka(module)

    with admin_session(module, "ACLs") as admin:
        service = AclService(admin, params["request_timeout_ms"])
        plan = plan_acls(desired, service.describe_all(), params["exclusive"])
        added, removed = sorted_lines(plan["create"]), sorted_lines(plan["delete"])
        unchanged = sorted_lines(plan["unchanged"])
        changed = bool(added or removed)
        result = dict(
            changed=changed,
            msg=summary(added, removed, unchanged),
            counts=dict(added=len(added), removed=len(removed), unchanged=len(unchanged)),
            added=added,
            removed=removed,
            unchanged=unchanged,
        )
        if module._diff:
            result["diff"] = dict(
                before=diff_text(plan["before"]),
                after=diff_text(plan["after"]),
                before_header="kafka ACLs",
                after_header="kafka ACLs",
            )
        if changed and not module.check_mode:
            service.apply(plan["create"], plan["delete"])
        module.exit_json(**result)


if __name__ == "__main__":
    main()
