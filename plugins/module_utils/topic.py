# -*- coding: utf-8 -*-
# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0
"""Topic planning for kafkaops.kraft.kafka_topic.

Pure functions (validate_params, plan_topic, ...) decide what must change and
are unit-tested without Kafka; TopicService does the I/O against a
KafkaAdminClient. Every check that can fail runs before anything is changed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import time

from ansible_collections.kafkaops.kraft.plugins.module_utils.kafka_client import KafkaModuleError

# Kafka's own rule (org.apache.kafka.common.internals.Topic): 1-249 of these.
TOPIC_NAME_RE = re.compile(r"^[a-zA-Z0-9._-]{1,249}$")
UNKNOWN_TOPIC_OR_PARTITION = 3
DYNAMIC_TOPIC_CONFIG = "DYNAMIC_TOPIC_CONFIG"


def is_internal(name, flagged=False):
    """Kafka's internal topics, and by convention anything starting with '__'."""
    return bool(flagged) or name.startswith("__")


def config_value(value):
    """Kafka stores config values as strings; YAML gives ints, bools and lists."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(config_value(v) for v in value)
    return str(value)


def normalise_configs(configs):
    return {str(k): config_value(v) for k, v in (configs or {}).items()}


def validate_params(params):
    """Problems in the module options alone, found before any connection."""
    errors = []
    name = params.get("name") or ""
    if not TOPIC_NAME_RE.match(name) or name in (".", ".."):
        errors.append("topic name %r is invalid: use 1-249 of [a-zA-Z0-9._-], not '.' or '..'" % name)
    if params.get("state", "present") == "absent":
        return errors
    partitions = params.get("partitions")
    rf = params.get("replication_factor")
    if partitions is not None and partitions < 1:
        errors.append("partitions must be at least 1, got %d" % partitions)
    if rf is not None and rf < 1:
        errors.append("replication_factor must be at least 1, got %d" % rf)
    assignment = params.get("replica_assignment")
    if assignment is not None:
        errors.extend(assignment_errors(assignment, partitions, rf))
    if params.get("configs_exclusive") and params.get("configs") is None:
        errors.append("configs_exclusive needs configs (use configs: {} to remove every override)")
    return errors


def assignment_errors(assignment, partitions=None, rf=None):
    """Shape checks for replica_assignment: a non-empty, even list of broker-id lists."""
    if not assignment:
        return ["replica_assignment must list at least one partition"]
    errors = []
    lengths = sorted(set(len(replicas) for replicas in assignment))
    if len(lengths) > 1:
        errors.append(
            "replica_assignment is uneven: every partition needs the same number of replicas, got lengths %s"
            % ", ".join(str(n) for n in lengths)
        )
    for index, replicas in enumerate(assignment):
        if not replicas:
            errors.append("replica_assignment partition %d has no replicas" % index)
        elif len(set(replicas)) != len(replicas):
            errors.append("replica_assignment partition %d repeats a broker: %s" % (index, replicas))
        elif any((not isinstance(b, int)) or isinstance(b, bool) or b < 0 for b in replicas):
            errors.append("replica_assignment partition %d has a broker id that is not an integer >= 0" % index)
    if partitions is not None and len(assignment) != partitions:
        errors.append("replica_assignment lists %d partitions but partitions is %d" % (len(assignment), partitions))
    if rf is not None and len(lengths) == 1 and lengths[0] != rf:
        errors.append(
            "replica_assignment has %d replicas per partition but replication_factor is %d" % (lengths[0], rf)
        )
    return errors


def unknown_brokers(assignment, live_brokers):
    live = set(live_brokers)
    return sorted(set(b for replicas in assignment for b in replicas if b not in live))


def parse_topic(meta):
    """Describe-topics entry -> {name, internal, partitions: [{partition, leader, replicas, isr}]}."""
    partitions = sorted(
        (
            dict(
                partition=p["partition_index"],
                leader=p["leader_id"],
                replicas=list(p["replica_nodes"]),
                isr=list(p["isr_nodes"]),
                offline_replicas=list(p.get("offline_replicas") or []),
            )
            for p in meta.get("partitions") or []
        ),
        key=lambda p: p["partition"],
    )
    return dict(name=meta["name"], internal=is_internal(meta["name"], meta.get("is_internal")), partitions=partitions)


def replication_factor(partitions):
    return max((len(p["replicas"]) for p in partitions), default=0)


def config_changes(desired, overrides, exclusive):
    """(to_set, to_delete): only listed keys are managed unless exclusive."""
    to_set = dict((k, v) for k, v in sorted(desired.items()) if overrides.get(k) != v)
    to_delete = sorted(k for k in overrides if k not in desired) if exclusive else []
    return to_set, to_delete


def _broker_load(assignments):
    load = {}
    for replicas in assignments:
        for broker in replicas:
            load[broker] = load.get(broker, 0) + 1
    return load


def assignments_for_rf(current, target_rf, brokers):
    """New replica lists reaching target_rf: grow onto the least-loaded brokers,
    shrink from the tail so the preferred leader (first replica) stays."""
    load = _broker_load(current)
    result = []
    for replicas in current:
        replicas = list(replicas)
        if len(replicas) > target_rf:
            for broker in replicas[target_rf:]:
                load[broker] -= 1
            replicas = replicas[:target_rf]
        while len(replicas) < target_rf:
            candidates = sorted((load.get(b, 0), b) for b in brokers if b not in replicas)
            if not candidates:
                raise KafkaModuleError("not enough brokers for replication factor %d" % target_rf)
            broker = candidates[0][1]
            replicas.append(broker)
            load[broker] = load.get(broker, 0) + 1
        result.append(replicas)
    return result


def new_partition_assignments(existing, count, rf, brokers):
    """Placement for `count` new partitions, round-robin by load (used when the
    RF changes in the same run, so Kafka cannot copy it from partition 0)."""
    load = _broker_load(existing)
    result = []
    for _partition in range(count):
        replicas = []
        for _replica in range(rf):
            candidates = sorted((load.get(b, 0), b) for b in brokers if b not in replicas)
            broker = candidates[0][1]
            replicas.append(broker)
            load[broker] = load.get(broker, 0) + 1
        result.append(replicas)
    return result


def plan_topic(params, current, overrides, live_brokers, valid_configs=None):
    """Decide every change for one topic; raise KafkaModuleError on refusal.

    current: parse_topic() result or None when absent; overrides: the topic's
    dynamic overrides {key: value}; valid_configs: known topic config names.
    Returns a dict with the actions, the structured change list and the diff.
    """
    name = params["name"]
    state = params.get("state", "present")
    plan = dict(
        create=None,
        delete=False,
        partitions=None,
        configs_set={},
        configs_delete=[],
        reassign={},
        changes=[],
        diff=dict(before={}, after={}),
    )
    before = _snapshot(name, current, overrides)

    if state == "absent":
        if current is None:
            plan["diff"] = dict(before=before, after=before)
            return plan
        if is_internal(name, current["internal"]):
            raise KafkaModuleError("refusing to delete internal topic %s" % name)
        plan["delete"] = True
        plan["changes"].append("delete topic %s" % name)
        plan["diff"] = dict(before=before, after=dict(name=name, state="absent"))
        return plan

    if is_internal(name, current and current["internal"]):
        # Reporting on an internal topic is fine; changing it never is.
        if current is None:
            raise KafkaModuleError("refusing to create internal topic %s: names starting with '__' are Kafka's" % name)
        probe = _plan_present(params, dict(current, internal=False), overrides, live_brokers, valid_configs, plan)
        if probe["changes"]:
            raise KafkaModuleError(
                "refusing to modify internal topic %s: internal topics are never modified by this module" % name,
                changes=probe["changes"],
            )
        return probe
    return _plan_present(params, current, overrides, live_brokers, valid_configs, plan)


def _plan_present(params, current, overrides, live_brokers, valid_configs, plan):
    name = params["name"]
    before = _snapshot(name, current, overrides)
    desired_configs = normalise_configs(params.get("configs"))
    unknown = sorted(set(desired_configs) - set(valid_configs)) if valid_configs else []
    if unknown:
        raise KafkaModuleError("unknown topic config name(s): %s" % ", ".join(unknown), unknown_configs=unknown)
    assignment = params.get("replica_assignment")
    rf = params.get("replication_factor")
    if assignment:
        rf = len(assignment[0])
        missing = unknown_brokers(assignment, live_brokers)
        if missing:
            raise KafkaModuleError(
                "replica_assignment names broker(s) %s that are not live; live brokers: %s"
                % (", ".join(str(b) for b in missing), ", ".join(str(b) for b in live_brokers)),
                unknown_brokers=missing,
            )
    if rf is not None and rf > len(live_brokers):
        raise KafkaModuleError(
            "replication_factor %d is greater than the %d live broker(s) (%s)"
            % (rf, len(live_brokers), ", ".join(str(b) for b in live_brokers)),
            live_brokers=live_brokers,
        )

    if current is None:
        partitions = params.get("partitions")
        if assignment:
            partitions = len(assignment)
        plan["create"] = dict(
            num_partitions=partitions, replication_factor=rf, assignment=assignment, configs=desired_configs
        )
        plan["changes"].append(
            "create topic %s (partitions=%s, replication_factor=%s)"
            % (name, partitions or "broker default", rf or "broker default")
        )
        after = dict(name=name, state="present", configs=dict(desired_configs))
        if partitions:
            after["partitions"] = partitions
        if rf:
            after["replication_factor"] = rf
        if assignment:
            after["replica_assignment"] = [list(r) for r in assignment]
        plan["diff"] = dict(before=before, after=after)
        return plan

    cur_assign = [p["replicas"] for p in current["partitions"]]
    cur_count = len(cur_assign)
    cur_rf = replication_factor(current["partitions"])
    target_count = params.get("partitions") or (len(assignment) if assignment else cur_count)
    if target_count < cur_count:
        raise KafkaModuleError(
            "refusing to decrease partitions of %s from %d to %d: Kafka cannot remove partitions"
            % (name, cur_count, target_count)
        )
    target_rf = rf or cur_rf

    # Replica changes on existing partitions are reassignments.
    if assignment:
        wanted = [list(r) for r in assignment[:cur_count]]
    elif target_rf != cur_rf:
        wanted = assignments_for_rf(cur_assign, target_rf, live_brokers)
    else:
        wanted = cur_assign
    reassign = dict((i, wanted[i]) for i in range(cur_count) if wanted[i] != cur_assign[i])
    if reassign and not params.get("allow_reassignment"):
        what = (
            "change replication_factor of %s from %d to %d" % (name, cur_rf, target_rf)
            if target_rf != cur_rf
            else "change the replica assignment of %s partition(s) %s"
            % (name, ", ".join(str(i) for i in sorted(reassign)))
        )
        raise KafkaModuleError(
            "refusing to %s: set allow_reassignment: true to submit a partition reassignment" % what,
            reassignment=dict((str(k), v) for k, v in reassign.items()),
        )
    plan["reassign"] = reassign
    for index in sorted(reassign):
        plan["changes"].append("reassign %s-%d replicas %s -> %s" % (name, index, cur_assign[index], reassign[index]))

    if target_count > cur_count:
        new = None
        if assignment:
            new = [list(r) for r in assignment[cur_count:]]
        elif target_rf != cur_rf:
            new = new_partition_assignments(wanted, target_count - cur_count, target_rf, live_brokers)
        plan["partitions"] = dict(count=target_count, assignments=new)
        plan["changes"].append("increase partitions of %s from %d to %d" % (name, cur_count, target_count))

    to_set, to_delete = config_changes(desired_configs, overrides, params.get("configs_exclusive"))
    plan["configs_set"] = to_set
    plan["configs_delete"] = to_delete
    for key, value in to_set.items():
        plan["changes"].append("set config %s: %s -> %s" % (key, overrides.get(key, "(default)"), value))
    for key in to_delete:
        plan["changes"].append("remove config override %s (was %s)" % (key, overrides[key]))

    # The diff shows only what this task manages, so it reads like the request.
    managed = sorted(set(desired_configs) | set(to_delete))
    before = dict(
        name=name,
        state="present",
        partitions=cur_count,
        replication_factor=cur_rf,
        configs=dict((k, overrides[k]) for k in managed if k in overrides),
    )
    after_configs = dict(before["configs"])
    after_configs.update(to_set)
    for key in to_delete:
        after_configs.pop(key, None)
    after = dict(before, partitions=target_count, replication_factor=target_rf, configs=after_configs)
    if assignment or reassign:
        final = [list(r) for r in wanted] + ((plan["partitions"]["assignments"] or []) if plan["partitions"] else [])
        before["replica_assignment"] = [list(r) for r in cur_assign]
        after["replica_assignment"] = (
            final if len(final) == target_count else final + ["(broker placed)"] * (target_count - len(final))
        )
    plan["diff"] = dict(before=before, after=after)
    return plan


def _snapshot(name, current, overrides):
    """The diff's view of a topic: state, sizes and its config overrides."""
    if current is None:
        return dict(name=name, state="absent")
    return dict(
        name=name,
        state="present",
        partitions=len(current["partitions"]),
        replication_factor=replication_factor(current["partitions"]),
        configs=dict(overrides or {}),
    )


def kafka_error_message(message, code=None):
    return "Kafka refused the request: %s%s" % (message, " (error code %s)" % code if code else "")


class TopicService:
    """The kafka-python calls kafka_topic needs, with Kafka errors made readable."""

    def __init__(self, admin, timeout_ms):
        self.admin = admin
        self.timeout_ms = timeout_ms

    def describe(self, name):
        metas = self.admin.describe_topics([name])
        meta = next((m for m in metas if m["name"] == name), None)
        if meta is None or meta["error_code"] == UNKNOWN_TOPIC_OR_PARTITION:
            return None
        if meta["error_code"]:
            raise KafkaModuleError("could not describe topic %s: Kafka error code %d" % (name, meta["error_code"]))
        return parse_topic(meta)

    def configs(self, name):
        """(overrides, effective): the topic's dynamic overrides and every effective value."""
        from kafka.admin import ConfigResource

        result = self.admin.describe_configs([ConfigResource("TOPIC", name)], config_filter="all")
        entries = result.get("topic", {}).get(name, {})
        effective = dict((k, v["value"]) for k, v in entries.items())
        overrides = dict((k, v["value"]) for k, v in entries.items() if v["config_source"] == DYNAMIC_TOPIC_CONFIG)
        return overrides, effective

    def validate(self, name, plan):
        """Ask Kafka to validate every planned change (validate_only) before any is applied."""
        from kafka.admin import AlterConfigOp, ConfigResource

        if plan["create"]:
            result = self.admin.create_topics(
                {name: self._create_spec(plan["create"])}, validate_only=True, raise_errors=False
            )
            self._raise_topic_errors(result["topics"])
        if plan["partitions"]:
            response = self.admin.create_partitions(
                {name: self._partitions_spec(plan["partitions"])}, validate_only=True, raise_errors=False
            )
            self._raise_partition_errors(response)
        if plan["configs_set"] or plan["configs_delete"]:
            ops = dict(plan["configs_set"])
            ops.update((k, (AlterConfigOp.DELETE, None)) for k in plan["configs_delete"])
            result = self.admin.alter_configs(
                [ConfigResource("TOPIC", name, ops)], validate_only=True, raise_on_unknown=False, incremental=True
            )
            self._raise_config_errors(result, name)

    def apply(self, name, plan):
        """Apply a validated plan; returns the reassignment that was submitted."""
        from kafka import TopicPartition
        from kafka.admin import AlterConfigOp, ConfigResource

        if plan["delete"]:
            result = self.admin.delete_topics([name], raise_errors=False)
            self._raise_topic_errors(result["topics"])
            self._wait(lambda: self.describe(name) is None, "topic %s to disappear" % name)
            return None
        if plan["create"]:
            result = self.admin.create_topics({name: self._create_spec(plan["create"])}, raise_errors=False)
            self._raise_topic_errors(result["topics"])
            self.admin.wait_for_topics([name], timeout_ms=self.timeout_ms)
        if plan["partitions"]:
            response = self.admin.create_partitions(
                {name: self._partitions_spec(plan["partitions"])}, raise_errors=False
            )
            self._raise_partition_errors(response)
            count = plan["partitions"]["count"]
            self._wait(
                lambda: len((self.describe(name) or {}).get("partitions", [])) >= count,
                "%s to show %d partitions" % (name, count),
            )
        if plan["configs_set"] or plan["configs_delete"]:
            ops = dict(plan["configs_set"])
            ops.update((k, (AlterConfigOp.DELETE, None)) for k in plan["configs_delete"])
            result = self.admin.alter_configs(
                [ConfigResource("TOPIC", name, ops)], raise_on_unknown=False, incremental=True
            )
            self._raise_config_errors(result, name)
            self._wait(lambda: self._configs_applied(name, plan), "config changes on %s to show" % name)
        submitted = None
        if plan["reassign"]:
            request = dict((TopicPartition(name, i), replicas) for i, replicas in plan["reassign"].items())
            result = self.admin.alter_partition_reassignments(request, timeout_ms=self.timeout_ms)
            failed = dict((tp.partition, err.__name__) for tp, err in result.items() if err is not None)
            if failed:
                raise KafkaModuleError(
                    "Kafka refused the reassignment of %s: %s" % (name, failed), reassignment_errors=failed
                )
            submitted = dict((str(i), replicas) for i, replicas in sorted(plan["reassign"].items()))
        return submitted

    def ongoing_reassignments(self, name, partitions):
        result = self.admin.list_partition_reassignments({name: partitions}, timeout_ms=self.timeout_ms)
        return dict((str(tp.partition), info) for tp, info in sorted(result.items(), key=lambda kv: kv[0].partition))

    def _configs_applied(self, name, plan):
        overrides = self.configs(name)[0]
        return all(overrides.get(k) == v for k, v in plan["configs_set"].items()) and not any(
            k in overrides for k in plan["configs_delete"]
        )

    def _wait(self, predicate, what):
        # KRaft brokers apply metadata asynchronously after the controller
        # answers, so the returned state is read only once it is visible.
        deadline = time.monotonic() + self.timeout_ms / 1000.0
        while not predicate():
            if time.monotonic() > deadline:
                raise KafkaModuleError("timed out after %d ms waiting for %s" % (self.timeout_ms, what))
            time.sleep(0.2)

    @staticmethod
    def _create_spec(create):
        spec = dict(configs=create["configs"])
        if create["assignment"]:
            spec["assignments"] = dict((i, list(r)) for i, r in enumerate(create["assignment"]))
        else:
            spec["num_partitions"] = create["num_partitions"] or -1
            spec["replication_factor"] = create["replication_factor"] or -1
        return spec

    @staticmethod
    def _partitions_spec(partitions):
        if partitions["assignments"]:
            return dict(count=partitions["count"], assignments=partitions["assignments"])
        return partitions["count"]

    @staticmethod
    def _raise_topic_errors(topics):
        for topic in topics:
            if topic.get("error_code"):
                raise KafkaModuleError(
                    kafka_error_message(topic.get("error_message") or "", topic["error_code"]),
                    kafka_error_code=topic["error_code"],
                )

    @staticmethod
    def _raise_partition_errors(response):
        for result in response.results:
            if result.error_code:
                raise KafkaModuleError(
                    kafka_error_message(result.error_message or "", result.error_code),
                    kafka_error_code=result.error_code,
                )

    @staticmethod
    def _raise_config_errors(result, name):
        outcome = result.get("topic", {}).get(name)
        if outcome != "OK":
            raise KafkaModuleError(kafka_error_message(outcome))
