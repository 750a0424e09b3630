#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: kafka_user
short_description: Manage Kafka SCRAM users (SCRAM-SHA-256/512 credentials) as code
version_added: 0.1.0
description:
  - Creates, rotates and deletes SCRAM credentials of a list of users through the Kafka admin API
    (kafka-python 3.x C(describe_user_scram_credentials) and C(alter_user_scram_credentials)).
  - The salted password is computed on the host running the module, with a fresh random salt for every
    write; only the salt, the iteration count and the salted password reach Kafka. Passwords never appear
    in a process argument, the result, the diff or a warning.
  - Requests are batched, one describe for every user, then one alter request for all creations, rewrites and
    deletions. A user with both mechanisms to change needs a second alter request, because a KRaft
    controller accepts only one alteration per user in a request.
  - Users not listed are left alone.
  - Kafka stores only salted keys and reports only each credential's mechanism and iteration count, so the
    module cannot tell whether a stored password equals O(users[].password). With the default
    O(update_password=on_create) an existing credential is never touched and a re-run reports no change;
    with O(update_password=always) every listed credential is rewritten and the task reports C(changed)
    on every run.
  - Credentials can be stored in KRaft whether or not a listener uses SASL; clients log in with them on
    a SASL_PLAINTEXT or SASL_SSL listener that enables the mechanism.
author: kafkaops maintainers (@kafkaops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - kafkaops.kraft.kafka_connection
options:
  users:
    description:
      - The users to manage.
      - A user may hold a credential for each mechanism. Name both in O(users[].mechanisms), or give one
        entry per mechanism; each (user, mechanism) pair may be listed only once.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: User name, as clients give it in C(sasl.jaas.config) or C(sasl_plain_username).
        type: str
        required: true
      password:
        description:
          - Password of the user; required with O(users[].state=present). Never logged.
          - Used only when a credential is created, or on every run with O(update_password=always).
        type: str
      mechanism:
        description:
          - SCRAM mechanism of the credential.
          - Defaults to V(SCRAM-SHA-512) when neither this nor O(users[].mechanisms) is set.
          - With O(users[].state=absent) and neither set, every credential of the user is deleted.
        type: str
        choices: [SCRAM-SHA-256, SCRAM-SHA-512]
      mechanisms:
        description:
          - Several mechanisms for one user, each getting its own credential with the same password.
          - Mutually exclusive with O(users[].mechanism).
        type: list
        elements: str
        choices: [SCRAM-SHA-256, SCRAM-SHA-512]
      iterations:
        description:
          - PBKDF2 iterations of a new or rewritten credential. Kafka accepts 4096 to 16384.
          - With O(update_password=on_create) an existing credential keeps its iterations; a different
            stored count is reported as a warning.
        type: int
        default: 8192
      state:
        description:
          - V(present) creates the credential(s) if missing.
          - V(absent) deletes the credential(s) of the named mechanisms, or every credential of the user when
            no mechanism is named.
        type: str
        default: present
        choices: [present, absent]
  update_password:
    description:
      - V(on_create) writes a credential only when it does not exist yet.
      - V(always) rewrites every listed credential on every run (new salt, given password and iterations)
        and therefore always reports C(changed); use it for a rotation, not in a task that runs all the time.
    type: str
    default: on_create
    choices: [on_create, always]
attributes:
  check_mode:
    support: full
    details: Reports exactly the changes that would be made and makes none; no password is hashed.
  diff_mode:
    support: full
    details: A summary line, then one line per credential added (V(+)), rewritten (V(~)) or removed (V(-)).
  platform:
    platforms: posix
notes:
  - Requires Kafka 2.7 or later (SCRAM admin API); KRaft clusters store SCRAM credentials from Kafka 3.5.
  - Describing and altering SCRAM credentials needs the C(Describe) and C(Alter) operations on the
    C(CLUSTER) resource when an authorizer is enabled.
seealso:
  - module: kafkaops.kraft.kafka_topic
"""

EXAMPLES = r"""
- name: Application users (SCRAM-SHA-512, 8192 iterations); existing ones keep their password
  kafkaops.kraft.kafka_user:
    bootstrap_servers: [broker1:9092]
    users:
      - name: orders-app
        password: "{{ vault_orders_app_password }}"
      - name: billing-app
        password: "{{ vault_billing_app_password }}"
        mechanisms: [SCRAM-SHA-256, SCRAM-SHA-512]

- name: Rotate one password (reports changed on every run, so run it when the secret changes)
  kafkaops.kraft.kafka_user:
    users:
      - name: orders-app
        password: "{{ vault_orders_app_password_new }}"
    update_password: always

- name: Remove a user's every credential, and another user's SCRAM-SHA-256 one only
  kafkaops.kraft.kafka_user:
    users:
      - name: legacy-app
        state: absent
      - name: billing-app
        mechanism: SCRAM-SHA-256
        state: absent

- name: As an admin over SASL_SSL
  kafkaops.kraft.kafka_user:
    bootstrap_servers: [broker1:9093]
    security_protocol: SASL_SSL
    sasl_mechanism: SCRAM-SHA-512
    sasl_username: admin
    sasl_password: "{{ vault_kafka_admin_password }}"
    ssl_cafile: /etc/kafka/ssl/ca.pem
    users:
      - name: reporting
        password: "{{ vault_reporting_password }}"
"""

RETURN = r"""
changed:
  description: Whether any credential was (or in check mode would be) created, rewritten or deleted.
  returned: always
  type: bool
summary:
  description: Counts of credentials added, rewritten (changed), removed and left unchanged.
  returned: always
  type: dict
  sample: {"added": 1, "changed": 1, "removed": 1, "unchanged": 3}
changes:
  description: One line per credential change made, or that would be made in check mode. Never a password.
  returned: always
  type: list
  elements: str
  sample:
    - "+ user alice (SCRAM-SHA-512, 8192 iterations)"
    - "~ user bob (SCRAM-SHA-512): password rewritten"
    - "- user carol (SCRAM-SHA-256, 4096 iterations)"
users:
  description: Every listed user, in the order first listed, as it is after the task (as it would be, in check mode).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: User name.
      type: str
      sample: alice
    exists:
      description: Whether the user holds at least one SCRAM credential.
      type: bool
    credentials:
      description: The user's credentials, sorted by mechanism.
      type: list
      elements: dict
      sample: [{"mechanism": "SCRAM-SHA-512", "iterations": 8192}]
    changes:
      description: The lines of RV(changes) about this user.
      type: list
      elements: str
failed_users:
  description: Users whose alteration Kafka refused, with Kafka's message.
  returned: when Kafka refused an alteration
  type: dict
  sample: {"alice": "Too few iterations"}
applied_users:
  description: Users whose alteration Kafka accepted before another was refused.
  returned: when Kafka refused an alteration
  type: list
  elements: str
"""

# Ansible modules import after their documentation strings.
from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.kafkaops.kraft.plugins.module_utils.kafka_client import (  # noqa: E402
    KAFKA_CONNECTION_SPEC,
    KafkaModuleError,
    admin_session,
    require_kafka,
)
from ansible_collections.kafkaops.kraft.plugins.module_utils.scram_user import (  # noqa: E402
    DEFAULT_ITERATIONS,
    MECHANISMS,
    ScramUserService,
    desired_credentials,
    diff_text,
    plan_credentials,
    validate_users,
)


def main():
    argument_spec = dict(
        users=dict(
            type="list",
            elements="dict",
            required=True,
            options=dict(
                name=dict(type="str", required=True),
                password=dict(type="str", no_log=True),
                mechanism=dict(type="str", choices=list(MECHANISMS)),
                mechanisms=dict(type="list", elements="str", choices=list(MECHANISMS)),
                iterations=dict(type="int", default=DEFAULT_ITERATIONS),
                state=dict(type="str", default="present", choices=["present", "absent"]),
            ),
            mutually_exclusive=[("mechanism", "mechanisms")],
        ),
        # Not a secret, but its name looks like one to Ansible's no_log check.
        update_password=dict(type="str", default="on_create", choices=["on_create", "always"], no_log=False),
    )
    argument_spec.update(KAFKA_CONNECTION_SPEC)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    users = module.params["users"]
    update_password = module.params["update_password"]

    errors = validate_users(users, update_password)
    if errors:
        module.fail_json(msg="Invalid users: " + "; ".join(errors), changed=False)
    try:
        desired_credentials(users)
    except KafkaModuleError as exc:
        module.fail_json(msg=exc.msg, changed=False)
    require_kafka(module)

    with admin_session(module, "SCRAM users") as admin:
        service = ScramUserService(admin, module.params["request_timeout_ms"])
        plan = plan_credentials(users, service.describe(), update_password)
        for warning in plan["warnings"]:
            module.warn(warning)
        changed = bool(plan["changes"])
        result = dict(changed=changed, changes=plan["changes"], summary=plan["summary"], users=plan["users"])
        if module._diff:
            result["diff"] = dict(prepared=diff_text(plan))
        if changed and not module.check_mode:
            service.apply(plan)
        module.exit_json(**result)


if __name__ == "__main__":
    main()
