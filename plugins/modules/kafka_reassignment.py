#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: kafka_reassignment
short_description: Plan, throttle, apply and follow a balanced partition reassignment
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
  - O(operation=execute) sets the throttles and submits the whole reassignment at once; it does not wait.
    O(operation=status) reports progress, O(operation=clear_throttles) removes the throttles, and
    O(operation=elect_leaders) runs a preferred leader election. The C(kafkaops.kraft.rebalance) playbook
    chains plan, step, clear_throttles and elect_leaders.
  - Internal topics (names starting with C(__)) are left alone unless named in O(topics).
author: kafkaops maintainers (@kafkaops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - kafkaops.kraft.kafka_connection
options:
  operation:
    description:
      - V(plan) computes the reassignment and changes nothing. Partitions Kafka is still moving count as placed at
        the target of their reassignment in progress, so a re-run plans from where the cluster is heading.
      - V(step) submits the next wave of O(assignment) (see O(max_moves_per_broker)) and reports progress;
        partitions in progress are left to finish. It sets the throttles before it submits anything.
      - V(execute) sets throttles and submits the planned (or the given O(assignment)) reassignment.
        It refuses to start while another reassignment is in progress.
      - V(status) reports which partitions of O(assignment) (if given) are done, plus under-replicated and offline
        partitions and the per-broker replica counts of O(topics).
      - V(clear_throttles) removes the throttle settings from every live broker (and O(brokers)) and from O(topics).
      - V(elect_leaders) makes the first replica of each partition of O(topics) its leader where it is not.
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
    O(operation=plan)), it counts what Kafka still moves and submits only what is neither placed nor moving.
seealso:
  - module: kafkaops.kraft.kafka_topic
  - name: KIP-455 reassignment API
    description: How Kafka moves replicas.
    link: https://cwiki.apache.org/confluence/display/KAFKA/KIP-455%3A+Create+an+Administrative+API+for+Replica+Reassignment
"""

EXAMPLES = r"""
- name: Preview spreading every topic over brokers 1-4 (broker 4 need not be up yet)
  kafkaops.kraft.kafka_reassignment:
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
from ansible_collections.kafkaops.kraft.plugins.module_utils.health import partition_health  # noqa: E402
from ansible_collections.kafkaops.kraft.plugins.module_utils.kafka_client import (  # noqa: E402
    KAFKA_CONNECTION_SPEC,
    KafkaModuleError,
    close_quietly,
    connect,
    kafka_error_types,
    require_kafka,
)
from ansible_collections.kafkaops.kraft.plugins.module_utils.reassignment import (  # noqa: E402
    ReassignmentService,
    assignment_from_list,
    assignment_to_list,
    change_line,
    describe_plan,
    key_name,
    leader_counts,
    plan_reassignment,
    progress,
    replica_counts,
    spread,
    throttle_settings,
)
from ansible_collections.kafkaops.kraft.plugins.module_utils.waves import (  # noqa: E402
    check_limit,
    plan_waves,
    progress_line,
    settled_assignment,
    wave_changes,
    wave_step,
)


def by_id(counts):
    """Ansible returns dict keys as strings; keep them sorted by broker id."""
    return dict((str(b), counts[b]) for b in sorted(counts))


def run_plan(module, service, topics, brokers, ongoing):
    params = module.params
    # Partitions still moving count as placed where they are heading: a re-run
    # after an interruption plans from there and leaves them to finish.
    current = settled_assignment(service.assignment(topics), ongoing)
    replica_brokers = sorted(set(b for r in current.values() for b in r))
    sizes = service.sizes(sorted(set(k[0] for k in current)), [b for b in replica_brokers if b in service.live])
    if not params["assignment"]:
        return plan_reassignment(current, brokers, sizes, params["balance_leaders"])
    wanted = assignment_from_list(params["assignment"])
    unknown = sorted(key_name(k) for k in wanted if k not in current)
    if unknown:
        raise KafkaModuleError("assignment names partitions that do not exist: %s" % ", ".join(unknown))
    target = dict(current)
    target.update(wanted)
    return describe_plan(current, target, brokers, sizes)


def plan_result(plan, limit, ongoing):
    changing = dict(((c["topic"], c["partition"]), c["target"]) for c in plan["changes"])
    assignment = assignment_to_list(changing)
    moved = dict(((c["topic"], c["partition"]), c["bytes"]) for c in plan["changes"])
    for entry in assignment:
        entry["bytes"] = moved[(entry["topic"], entry["partition"])]
    wave_of, waves = plan_waves(plan["changes"], limit, ongoing)
    return dict(
        assignment=assignment,
        changes=plan["changes"],
        lines=["%s, wave %d" % (change_line(c), wave_of[(c["topic"], c["partition"])]) for c in plan["changes"]],
        waves=waves,
        max_moves_per_broker=limit,
        bytes_to_move=plan["bytes_to_move"],
        replicas_to_move=plan["replicas_to_move"],
        replicas_before=by_id(plan["replicas_before"]),
        replicas_after=by_id(plan["replicas_after"]),
        leaders_before=by_id(plan["leaders_before"]),
        leaders_after=by_id(plan["leaders_after"]),
        balanced_after=plan["balanced_after"],
    )


def assignment_bytes(entries):
    """{(topic, partition): bytes} from the optional `bytes` of assignment entries."""
    result = {}
    for entry in entries or []:
        try:
            result[(str(entry["topic"]), int(entry["partition"]))] = int(entry.get("bytes") or 0)
        except (KeyError, TypeError, ValueError):
            continue
    return result


def run_step(module, service, names, limit):
    """Submit the next wave of the assignment; see waves.wave_step."""
    params = module.params
    targets = assignment_from_list(params["assignment"])
    sizes = assignment_bytes(params["assignment"])
    considered = sorted(set(k[0] for k in targets) | set(names))
    current = service.assignment(service.topics(considered))
    unknown = sorted(key_name(k) for k in targets if k not in current)
    if unknown:
        raise KafkaModuleError("assignment names partitions that do not exist: %s" % ", ".join(unknown))
    ongoing = service.ongoing()
    step = wave_step(targets, current, ongoing, limit, sizes)
    result = dict(
        changed=bool(step["submit"]),
        done=len(step["done"]),
        total=len(targets),
        submitted=[key_name(k) for k in step["submit"]],
        moving=[key_name(k) for k in step["moving"]],
        waiting=len(step["waiting"]),
        waves_left=step["waves_left"],
        load=by_id(step["load"]),
        ongoing=len(ongoing),
        bytes_done=sum(sizes.get(k, 0) for k in step["done"]),
        bytes_total=sum(sizes.values()),
        max_moves_per_broker=limit,
        throttled={},
    )
    result["msg"] = progress_line(step, len(targets), result["bytes_done"], result["bytes_total"])
    topic_set = set(considered)
    still_moving = [k for k in ongoing if k[0] in topic_set]
    result["complete"] = len(step["done"]) == len(targets) and not still_moving
    if not step["submit"]:
        return result
    missing = sorted(set(b for k in step["submit"] for b in targets[k]) - set(service.live))
    if missing:
        raise KafkaModuleError(
            "broker(s) %s are not live; start them before moving partitions to them (live: %s)"
            % (", ".join(str(b) for b in missing), ", ".join(str(b) for b in service.live)),
            live_brokers=service.live,
        )
    # Throttle everything still to move and everything moving on these topics, not only
    # this wave: the settings are idempotent, and a resumed run throttles what is in flight.
    keys = (set(targets) - set(step["done"])) | set(still_moving)
    throttle_brokers, topic_configs = throttle_settings(wave_changes(keys, targets, current, ongoing))
    if params["throttle_bytes"] > 0 and throttle_brokers:
        # Topic names only: the replica lists grow with the plan and this runs at every wave.
        rate = params["throttle_bytes"]
        result["throttled"] = dict(brokers=throttle_brokers, rate=rate, topics=sorted(topic_configs))
    if not module.check_mode:
        if result["throttled"]:
            service.set_throttles(params["throttle_bytes"], throttle_brokers, topic_configs)
        service.submit(dict((k, targets[k]) for k in step["submit"]))
    return result


def main():
    argument_spec = dict(
        operation=dict(
            type="str",
            default="plan",
            choices=["plan", "step", "execute", "status", "clear_throttles", "elect_leaders"],
        ),
        topics=dict(type="list", elements="str", default=[]),
        brokers=dict(type="list", elements="int", default=[]),
        assignment=dict(type="list", elements="dict", default=[]),
        throttle_bytes=dict(type="int", default=0),
        balance_leaders=dict(type="bool", default=True),
        max_moves_per_broker=dict(type="int", default=5),
    )
    argument_spec.update(KAFKA_CONNECTION_SPEC)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    params = module.params
    operation = params["operation"]
    if params["throttle_bytes"] < 0:
        module.fail_json(msg="throttle_bytes must be 0 or more")
    try:
        check_limit(params["max_moves_per_broker"])
    except KafkaModuleError as exc:
        module.fail_json(msg=exc.msg)
    require_kafka(module)

    admin = connect(module)
    try:
        service = ReassignmentService(admin, params["request_timeout_ms"])
        service.live = service.live_brokers()
        brokers = sorted(set(params["brokers"])) or service.live
        topics = service.topics(params["topics"] or None)
        names = [t["name"] for t in topics]
        result = dict(changed=False, topics=names, brokers=brokers)

        if operation in ("plan", "execute"):
            limit = check_limit(params["max_moves_per_broker"])
            ongoing = service.ongoing()
            plan = run_plan(module, service, topics, brokers, ongoing)
            result.update(plan_result(plan, limit, ongoing))
            result["ongoing"] = len(ongoing)
            result["changed"] = operation == "execute" and bool(plan["changes"])
            if operation == "execute":
                missing = sorted(set(b for c in plan["changes"] for b in c["target"]) - set(service.live))
                if missing:
                    raise KafkaModuleError(
                        "broker(s) %s are not live; start them before executing (live: %s)"
                        % (", ".join(str(b) for b in missing), ", ".join(str(b) for b in service.live)),
                        live_brokers=service.live,
                    )
                if ongoing:
                    raise KafkaModuleError(
                        "%d partition reassignment(s) already in progress (%s); wait for them or cancel them first"
                        % (len(ongoing), ", ".join(key_name(k) for k in sorted(ongoing)[:10])),
                        ongoing=[key_name(k) for k in sorted(ongoing)],
                    )
                throttle_brokers, topic_configs = throttle_settings(plan["changes"])
                throttled = {}
                if params["throttle_bytes"] > 0 and throttle_brokers:
                    throttled = dict(brokers=throttle_brokers, rate=params["throttle_bytes"], topics=topic_configs)
                result["throttled"] = throttled
                if plan["changes"] and not module.check_mode:
                    if throttled:
                        service.set_throttles(params["throttle_bytes"], throttle_brokers, topic_configs)
                    target = dict(((c["topic"], c["partition"]), c["target"]) for c in plan["changes"])
                    service.submit(target)

        elif operation == "step":
            result.update(run_step(module, service, names, check_limit(params["max_moves_per_broker"])))

        elif operation == "status":
            targets = assignment_from_list(params["assignment"])
            current = service.assignment(service.topics(sorted(set(k[0] for k in targets) | set(names))))
            ongoing = service.ongoing()
            done, pending = progress(targets, current, set(ongoing))
            urp, offline = partition_health(topics)
            selected = dict((k, v) for k, v in current.items() if k[0] in names)
            counts = replica_counts(selected, brokers)
            result.update(
                done=len(done),
                total=len(targets),
                pending=[key_name(k) for k in pending],
                complete=not pending,
                ongoing=len(ongoing),
                under_replicated=urp,
                offline=offline,
                replicas=by_id(counts),
                leaders=by_id(
                    leader_counts(
                        dict(
                            (("%s" % t["name"], p["partition"]), [p["leader"]]) for t in topics for p in t["partitions"]
                        ),
                        brokers,
                    )
                ),
                balanced=spread(counts, brokers) <= 1,
            )

        elif operation == "clear_throttles":
            throttle_brokers = service.live
            if module.check_mode:
                removed = service.throttles(throttle_brokers, names)
            else:
                removed = service.clear_throttles(throttle_brokers, names)
            result.update(changed=bool(removed), removed=removed)

        elif operation == "elect_leaders":
            wanted = [
                "%s-%d" % (t["name"], p["partition"])
                for t in topics
                for p in t["partitions"]
                if p["replicas"] and p["leader"] != p["replicas"][0]
            ]
            errors = {}
            if wanted and not module.check_mode:
                _elected, errors = service.elect_preferred(topics)
                # Leadership changes reach the brokers' metadata asynchronously.
                try:
                    service.wait(
                        lambda: all(
                            p["leader"] == p["replicas"][0]
                            for t in service.topics(names)
                            for p in t["partitions"]
                            if p["replicas"]
                        ),
                        "the preferred leaders to take over",
                        params["request_timeout_ms"] / 1000.0,
                    )
                except KafkaModuleError as exc:
                    errors["wait"] = exc.msg
                topics = service.topics(names)
            leaders = dict(((t["name"], p["partition"]), [p["leader"]]) for t in topics for p in t["partitions"])
            result.update(
                changed=bool(wanted),
                elected=wanted,
                leaders=by_id(leader_counts(leaders, brokers)),
                replicas=by_id(replica_counts(service.assignment(topics), brokers)),
            )
            if errors:
                result["election_errors"] = errors
                module.fail_json(msg="preferred leader election failed for %s" % ", ".join(sorted(errors)), **result)

        module.exit_json(**result)
    except KafkaModuleError as exc:
        module.fail_json(msg=exc.msg, changed=False, **exc.details)
    except kafka_error_types() as exc:
        module.fail_json(msg="Kafka error during %s: %s: %s" % (operation, type(exc).__name__, exc), changed=False)
    finally:
        close_quietly(admin)


if __name__ == "__main__":
    main()
