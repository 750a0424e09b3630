#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: kafka_feature
short_description: Finalize Kafka feature levels (metadata.version and the others) one feature at a time
version_added: 0.1.0
description:
  - Raises the cluster's finalized feature levels (KIP-584), such as C(metadata.version), C(group.version) or
    C(transaction.version), to the levels given, one feature after another, C(metadata.version) first. This is the
    last step of an upgrade (C(playbooks/upgrade.yml) with C(upgrade_finalize=true)).
  - Levels are only raised. A feature finalized above the level given stays as it is.
  - C(kraft.version) changes only through O(kraft_version). A C(kraft.version) in O(levels) or O(version_mapping)
    is reported and left as it is, because raising it turns a static controller quorum dynamic and cannot be undone
    (KAFKA-21426; C(kafka-features.sh upgrade --release-version) raises it).
  - Before changing anything it reads every broker's own supported feature ranges (ApiVersions sent to each broker)
    and those of each controller in O(controllers), and refuses, changing nothing, unless every node supports every
    target level and every broker in O(expected_brokers) answered.
  - With O(release) it refuses when the finalized C(metadata.version) is newer than that Kafka release runs, which
    is the check before moving nodes to an older release. With no level to raise the module only reads.
author: kafkaops maintainers (@kafkaops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - kafkaops.kraft.kafka_connection
options:
  levels:
    description:
      - "The finalized level each feature should reach, for example C({group.version: 1})."
      - Entries here win over the same feature in O(version_mapping).
    type: dict
    default: {}
  version_mapping:
    description:
      - The output of C(kafka-features.sh version-mapping) (Kafka 4.x) of the target release, whose feature levels
        are the target levels, as a new cluster of that release would start with.
      - Its C(kraft.version) line is never applied; see O(kraft_version).
    type: str
  metadata_version:
    description:
      - The C(metadata.version) to reach, as a level (V(33)), a name (V(4.4-IV2)) or a release (V(3.9), V(4.4.0)),
        which stands for the newest level that release runs. Wins over O(levels) and O(version_mapping).
    type: str
  kraft_version:
    description:
      - Raise C(kraft.version) to this level. Irreversible; a static quorum becomes dynamic (KIP-853).
      - Omitted, C(kraft.version) is never changed.
    type: int
  release:
    description:
      - The Kafka release (C(X.Y.Z)) the nodes run or are about to run. The module fails when the cluster's finalized
        C(metadata.version) is newer than that release runs, because finalized levels cannot be lowered.
    type: str
  expected_brokers:
    description: Node ids of the brokers that must answer; one missing is a refusal.
    type: list
    elements: int
    default: []
  controllers:
    description:
      - C(host:port) of controller listeners (dedicated controllers) whose supported ranges must include the target
        levels too. Each is asked directly, with the module's security settings.
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    support: full
    details: Reads and plans exactly, and asks the active controller to validate the whole plan (UpdateFeatures
      with C(validate_only)) without applying it.
  diff_mode:
    support: full
    details: One line per raised feature with both levels, then the levels left as they are and why.
  platform:
    platforms: posix
notes:
  - Finalized levels cannot be lowered again. After C(metadata.version) is raised the nodes cannot go back to an
    older release.
  - Needs the C(ALTER) permission on the cluster when an authorizer is enabled.
  - The cluster health is not checked here; C(playbooks/upgrade.yml) runs M(kafkaops.kraft.kafka_cluster_health)
    first.
seealso:
  - module: kafkaops.kraft.kafka_cluster_health
"""

EXAMPLES = r"""
- name: Read the target release's feature levels (Kafka 4.x)
  ansible.builtin.command:
    argv: [/opt/kafka/bin/kafka-features.sh, version-mapping, --release-version, "4.4"]
  register: mapping
  changed_when: false

- name: Finalize them, kraft.version excepted
  kafkaops.kraft.kafka_feature:
    bootstrap_servers: [broker1:9092]
    version_mapping: "{{ mapping.stdout }}"
    expected_brokers: [1, 2, 3]
    controllers: [ctrl1:10092, ctrl2:10092, ctrl3:10092]

- name: Refuse to move the nodes back to 3.9.1 if metadata.version was finalized above it
  kafkaops.kraft.kafka_feature:
    bootstrap_servers: [broker1:9092]
    release: 3.9.1

- name: Finalize metadata.version only, to the newest level of 3.9
  kafkaops.kraft.kafka_feature:
    bootstrap_servers: [broker1:9092]
    metadata_version: "3.9"
"""

RETURN = r"""
changed:
  description: Whether a feature level was (or in check mode would be) raised.
  returned: always
  type: bool
before:
  description: Finalized levels before the task; C(metadata.version) with its name.
  returned: always
  type: dict
  sample: {"metadata.version": "21 (3.9-IV0)", "kraft.version": "0"}
after:
  description: Finalized levels after the task (as they would be, in check mode).
  returned: always
  type: dict
  sample: {"metadata.version": "33 (4.4-IV2)", "group.version": "1", "kraft.version": "0"}
changes:
  description: One line per raised feature, in the order they are applied.
  returned: always
  type: list
  elements: str
  sample: ["~ metadata.version 21 (3.9-IV0) -> 33 (4.4-IV2)", "~ group.version 0 -> 1"]
kept:
  description: Levels of the target left as they are, with the reason (kraft.version, levels already higher).
  returned: always
  type: list
  elements: str
nodes:
  description: Each node's supported ranges, C([min, max]) by feature, by broker id or C(controller host:port).
  returned: always
  type: dict
  sample: {"1": {"metadata.version": [7, 33], "kraft.version": [0, 1]}}
message:
  description: A summary, which says that finalized levels cannot be lowered when any was raised.
  returned: always
  type: str
"""

# Ansible modules import after their documentation strings.
from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.kafkaops.kraft.plugins.module_utils.features import (  # noqa: E402
    FeatureService,
    change_lines,
    diff_text,
    downgrade_problem,
    labelled,
    metadata_level,
    parse_version_mapping,
    plan_features,
    release_metadata_level,
)
from ansible_collections.kafkaops.kraft.plugins.module_utils.kafka_client import (  # noqa: E402
    KAFKA_CONNECTION_SPEC,
    KafkaModuleError,
    admin_session,
    client_config,
    require_kafka,
)


def targets_of(params):
    """The target levels the options ask for; raises ValueError for bad input."""
    targets = parse_version_mapping(params["version_mapping"]) if params.get("version_mapping") else {}
    for feature, level in (params.get("levels") or {}).items():
        if not str(level).strip().isdigit():
            raise ValueError("levels: %s must be a whole number, got %r" % (feature, level))
        targets[str(feature)] = int(level)
    if params.get("metadata_version"):
        targets["metadata.version"] = metadata_level(params["metadata_version"])
    if params.get("release"):
        release_metadata_level(params["release"])
    return targets


def main():
    argument_spec = dict(
        levels=dict(type="dict", default={}),
        version_mapping=dict(type="str"),
        metadata_version=dict(type="str"),
        kraft_version=dict(type="int"),
        release=dict(type="str"),
        expected_brokers=dict(type="list", elements="int", default=[]),
        controllers=dict(type="list", elements="str", default=[]),
    )
    argument_spec.update(KAFKA_CONNECTION_SPEC)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    try:
        targets = targets_of(module.params)
    except ValueError as exc:
        module.fail_json(msg=str(exc), changed=False)
    require_kafka(module)

    with admin_session(module, "feature levels") as admin:
        service = FeatureService(admin, module.params["request_timeout_ms"], client_config(module.params))
        brokers = service.brokers()
        finalized = service.brokers_finalized(brokers)
        supported = dict((str(node_id), answer["supported"]) for node_id, answer in brokers.items())
        for endpoint in module.params["controllers"]:
            supported["controller " + endpoint] = service.controller(endpoint)["supported"]
        nodes = dict(
            (label, dict((f, [low, high]) for f, (low, high) in sorted(ranges.items())))
            for label, ranges in supported.items()
        )
        if module.params["release"]:
            problem = downgrade_problem(finalized, module.params["release"])
            if problem:
                module.fail_json(msg=problem, changed=False, before=labelled(finalized), nodes=nodes)
        plan = plan_features(
            finalized, supported, targets, module.params["kraft_version"], module.params["expected_brokers"]
        )
        result = dict(
            before=labelled(plan["before"]),
            after=labelled(plan["after"]),
            changes=change_lines(plan),
            kept=plan["kept"],
            nodes=nodes,
        )
        if plan["problems"]:
            module.fail_json(
                msg="Refusing to finalize, nothing changed: " + "; ".join(plan["problems"]), changed=False, **result
            )
        result["changed"] = bool(plan["steps"])
        result["message"] = (
            "Raised %s. Finalized levels cannot be lowered: the nodes cannot go back to an older release."
            % ", ".join(feature for feature, _before, _after in plan["steps"])
            if plan["steps"]
            else "Every feature is at its target level."
        )
        if module._diff:
            result["diff"] = dict(prepared=diff_text(plan))
        if plan["steps"] and module.check_mode:
            service.validate(plan["steps"])
        elif plan["steps"]:
            applied = []
            for feature, _before, level in plan["steps"]:
                try:
                    service.update(feature, level)
                except KafkaModuleError as exc:
                    raise KafkaModuleError(
                        "%s (already raised: %s)" % (exc.msg, ", ".join(applied) or "none"), changed=bool(applied)
                    ) from exc
                applied.append(feature)
            service.wait_visible(dict((f, level) for f, _before, level in plan["steps"]))
        module.exit_json(**result)


if __name__ == "__main__":
    main()
