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

from ansible_collections.kafkaops.kraft.plugins.module_utils.kafka_client import (
    KafkaModuleError,
    kafka_error_types,
    live_broker_ids,
)

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
        plan["changes"].append("set config %s of %s: %s -> %s" % (key, name, overrides.get(key, "(default)"), value))
    for key in to_delete:
        plan["changes"].append("remove config override %s of %s (was %s)" % (key, name, overrides[key]))

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


# Batches: kafka_topic takes one topic (name) or many (topics); both become a
# list of requests that is described, planned, validated and applied as one.

TOPIC_KEYS = (
    "name",
    "state",
    "partitions",
    "replication_factor",
    "replica_assignment",
    "configs",
    "configs_exclusive",
    "allow_reassignment",
)
# A topics[] entry that leaves these unset takes the module's top-level value.
INHERITED_KEYS = ("state", "configs_exclusive", "allow_reassignment")
STATUSES = ("created", "changed", "unchanged", "deleted")


def topic_requests(params):
    """One request per topic: the topics[] entries, or the single topic of name."""
    if params.get("topics") is None:
        return [dict((key, params.get(key)) for key in TOPIC_KEYS)]
    requests = []
    for entry in params["topics"]:
        request = dict((key, entry.get(key)) for key in TOPIC_KEYS)
        for key in INHERITED_KEYS:
            if request[key] is None:
                request[key] = params.get(key)
        requests.append(request)
    return requests


def validate_requests(requests):
    """Option problems of every request, each naming its topic; found before any connection."""
    errors, seen = [], set()
    for request in requests:
        name = request.get("name") or ""
        for error in validate_params(request):
            errors.append(error if error.startswith("topic name") else "topic %s: %s" % (name, error))
        if name in seen:
            errors.append("topic %s is listed more than once" % name)
        seen.add(name)
    return errors


def plan_status(plan):
    if plan["delete"]:
        return "deleted"
    if plan["create"]:
        return "created"
    return "changed" if plan["changes"] else "unchanged"


def plan_topics(requests, current, configs, live_brokers):
    """Plan every request; returns (plans, refused).

    current: {name: parse_topic() result or None}; configs: {name: (overrides,
    effective)} for the existing topics. refused maps each topic whose plan is
    refused to the reason; the caller applies nothing unless it is empty.
    """
    plans, refused = [], {}
    for request in requests:
        name = request["name"]
        topic = current.get(name)
        overrides, effective = configs.get(name, ({}, {}))
        try:
            plan = plan_topic(request, topic, overrides, live_brokers, set(effective) if topic else None)
        except KafkaModuleError as exc:
            refused[name] = exc.msg
            continue
        plan["name"] = name
        plan["status"] = plan_status(plan)
        plans.append(plan)
    return plans, refused


def count_statuses(plans):
    counts = dict((status, 0) for status in STATUSES)
    for plan in plans:
        counts[plan["status"]] += 1
    return counts


def summary_line(counts):
    return ", ".join("%d %s" % (counts[status], status) for status in STATUSES)


def diff_list(plans, counts):
    """--diff: the counts first, then before/after of each topic that changes."""
    diffs = [dict(prepared="topics: %s" % summary_line(counts))]
    for plan in plans:
        if plan["changes"]:
            header = "topic %s" % plan["name"]
            diffs.append(dict(plan["diff"], before_header=header, after_header=header))
    return diffs


def create_specs(plans):
    """{name: create_topics spec} of every topic to create, for one CreateTopics request."""
    specs = {}
    for plan in plans:
        create = plan["create"]
        if not create:
            continue
        spec = dict(configs=create["configs"])
        if create["assignment"]:
            spec["assignments"] = dict((i, list(r)) for i, r in enumerate(create["assignment"]))
        else:
            spec["num_partitions"] = create["num_partitions"] or -1
            spec["replication_factor"] = create["replication_factor"] or -1
        specs[plan["name"]] = spec
    return specs


def partition_specs(plans):
    """{name: count or {count, assignments}} for one CreatePartitions request."""
    specs = {}
    for plan in plans:
        partitions = plan["partitions"]
        if not partitions:
            continue
        if partitions["assignments"]:
            specs[plan["name"]] = dict(count=partitions["count"], assignments=partitions["assignments"])
        else:
            specs[plan["name"]] = partitions["count"]
    return specs


def config_ops(plans):
    """{name: {key: value, or None to delete the override}} for one IncrementalAlterConfigs request."""
    ops = {}
    for plan in plans:
        if plan["configs_set"] or plan["configs_delete"]:
            topic_ops = dict(plan["configs_set"])
            topic_ops.update((key, None) for key in plan["configs_delete"])
            ops[plan["name"]] = topic_ops
    return ops


def reassignment_requests(plans):
    """{(name, partition): replicas} for one AlterPartitionReassignments request."""
    request = {}
    for plan in plans:
        for index, replicas in sorted(plan["reassign"].items()):
            request[(plan["name"], index)] = list(replicas)
    return request


def kafka_error_message(message, code=None):
    return "Kafka refused the request: %s%s" % (message, " (error code %s)" % code if code else "")


def topic_errors(topics):
    """{name: message} from the topics of a CreateTopics or DeleteTopics answer."""
    return dict(
        (topic["name"], kafka_error_message(topic.get("error_message") or "", topic["error_code"]))
        for topic in topics
        if topic.get("error_code")
    )


def partition_errors(results):
    """{name: message} from the results of a CreatePartitions answer."""
    return dict(
        (result.name, kafka_error_message(result.error_message or "", result.error_code))
        for result in results
        if result.error_code
    )


def config_errors(result, names):
    """{name: message} for every topic an AlterConfigs answer did not report OK."""
    outcomes = result.get("topic", {})
    return dict(
        (name, kafka_error_message(outcomes.get(name) or "no answer for this topic"))
        for name in names
        if outcomes.get(name) != "OK"
    )


def topic_view(name, current, overrides, effective):
    """The `topic` a result returns for one topic."""
    if current is None:
        return dict(name=name, exists=False)
    return dict(
        name=name,
        exists=True,
        internal=current["internal"],
        partitions=len(current["partitions"]),
        replication_factor=replication_factor(current["partitions"]),
        partition_details=current["partitions"],
        configs=effective,
        config_overrides=overrides,
    )


def named(messages):
    return "; ".join("%s: %s" % (name, message) for name, message in messages.items())


def manage_topics(service, requests, check_mode, progress):
    """Plan, validate and (unless check_mode) apply every request; returns the result.

    Errors, by design:
    - a refused plan (decrease, RF change without allow_reassignment, internal
      topic, unknown config or broker, RF above the live brokers) or a change
      Kafka refuses in validate_only fails before anything is applied;
    - a topic Kafka refuses while applying is named in failed_topics, its
      remaining steps are skipped, and the other topics are applied
      (applied_topics lists what was done, changed says whether anything was).
    progress ({name: [steps done]}) is filled in as steps are applied.
    """
    names = [request["name"] for request in requests]
    current = service.describe(names)
    existing = [name for name in names if current[name] is not None]
    configs = service.configs(existing)
    plans, refused = plan_topics(requests, current, configs, service.live_brokers())
    if refused:
        raise KafkaModuleError(
            "refused %d of %d topic(s), nothing was changed: %s" % (len(refused), len(requests), named(refused)),
            refused_topics=refused,
        )
    changing = [plan for plan in plans if plan["changes"]]
    if changing:
        refused = service.validate(changing)
        if refused:
            raise KafkaModuleError(
                "Kafka refused %d of %d topic(s) in validation, nothing was changed: %s"
                % (len(refused), len(requests), named(refused)),
                refused_topics=refused,
            )
    counts = count_statuses(plans)
    entries = dict(
        (plan["name"], dict(name=plan["name"], status=plan["status"], changes=plan["changes"])) for plan in plans
    )
    views = dict((name, topic_view(name, current[name], *configs.get(name, ({}, {})))) for name in names)
    failed = {}
    if changing and not check_mode:
        try:
            failed, submitted = service.apply(changing, progress)
        except KafkaModuleError as exc:
            details = dict(exc.details, applied_topics=dict(progress), changed=bool(progress))
            raise KafkaModuleError(exc.msg + applied_note(progress), **details) from None
        except kafka_error_types() as exc:
            raise KafkaModuleError(
                "Kafka error while applying the topics: %s: %s%s" % (type(exc).__name__, exc, applied_note(progress)),
                applied_topics=dict(progress),
                changed=bool(progress),
            ) from None
        for name, reassignment in submitted.items():
            entries[name]["reassignment"] = reassignment
        reread = [plan["name"] for plan in changing if not plan["delete"] and plan["name"] not in failed]
        after = service.describe(reread)
        after_configs = service.configs([name for name in reread if after[name] is not None])
        for name in reread:
            current[name] = after[name]
            views[name] = topic_view(name, after[name], *after_configs.get(name, ({}, {})))
        for plan in changing:
            if plan["delete"] and plan["name"] not in failed:
                current[plan["name"]] = None
                views[plan["name"]] = topic_view(plan["name"], None, {}, {})
    ongoing = service.ongoing_reassignments([name for name in names if current[name] is not None])
    for name, entry in entries.items():
        entry["topic"] = views[name]
        if current[name] is not None:
            entry["ongoing_reassignments"] = ongoing.get(name, {})
    result = dict(
        changed=bool(changing) and (check_mode or bool(progress)),
        msg="topics: %s" % summary_line(counts),
        summary=counts,
        changes=[line for plan in plans for line in plan["changes"]],
        topics=[entries[name] for name in names],
        diff=diff_list(plans, counts),
    )
    if failed:
        raise KafkaModuleError(
            "Kafka refused %d of %d topic(s) while applying: %s; the other topics were applied"
            % (len(failed), len(requests), named(failed)),
            failed_topics=failed,
            applied_topics=dict(progress),
            changed=bool(progress),
            summary=counts,
            topics=result["topics"],
        )
    return result


def applied_note(progress):
    if not progress:
        return "; nothing was applied"
    return "; applied before the failure: %s" % named(
        dict((name, ", ".join(steps)) for name, steps in progress.items())
    )


class TopicService:
    """The batched kafka-python calls kafka_topic needs: one request per kind, for every topic."""

    def __init__(self, admin, timeout_ms):
        self.admin = admin
        self.timeout_ms = timeout_ms

    def live_brokers(self):
        return live_broker_ids(self.admin)

    def describe(self, names):
        """{name: parse_topic() result, or None when the topic does not exist}, from one Metadata request."""
        if not names:
            return {}
        found, failed = {}, {}
        for meta in self.admin.describe_topics(list(names)):
            if meta["error_code"] == UNKNOWN_TOPIC_OR_PARTITION:
                continue
            if meta["error_code"]:
                failed[meta["name"]] = "Kafka error code %d" % meta["error_code"]
            else:
                found[meta["name"]] = parse_topic(meta)
        if failed:
            raise KafkaModuleError("could not describe topic(s): %s" % named(failed), describe_errors=failed)
        return dict((name, found.get(name)) for name in names)

    def configs(self, names):
        """{name: (overrides, effective)} from one DescribeConfigs request for every topic."""
        if not names:
            return {}
        from kafka.admin import ConfigResource

        result = self.admin.describe_configs([ConfigResource("TOPIC", name) for name in names], config_filter="all")
        topics = result.get("topic", {})
        out = {}
        for name in names:
            entries = topics.get(name, {})
            effective = dict((k, v["value"]) for k, v in entries.items())
            overrides = dict((k, v["value"]) for k, v in entries.items() if v["config_source"] == DYNAMIC_TOPIC_CONFIG)
            out[name] = (overrides, effective)
        return out

    def validate(self, plans):
        """Kafka's validate_only verdict on every planned change: {name: message} of the refused."""
        refused = {}
        creates = create_specs(plans)
        if creates:
            result = self.admin.create_topics(creates, validate_only=True, raise_errors=False)
            refused.update(topic_errors(result["topics"]))
        partitions = partition_specs(plans)
        if partitions:
            response = self.admin.create_partitions(partitions, validate_only=True, raise_errors=False)
            refused.update(partition_errors(response.results))
        ops = config_ops(plans)
        if ops:
            result = self.admin.alter_configs(
                self._config_resources(ops), validate_only=True, raise_on_unknown=False, incremental=True
            )
            for name, message in config_errors(result, ops).items():
                refused.setdefault(name, message)
        return refused

    def apply(self, plans, progress):
        """Apply validated plans, one request per kind; returns (failed, submitted).

        A topic Kafka refuses is named in failed and left out of the later
        steps; the others go on. progress[name] lists each step done.
        """
        failed, submitted = {}, {}

        def pending(selected):
            return [plan for plan in selected if plan["name"] not in failed]

        def done(names, step):
            for name in names:
                progress.setdefault(name, []).append(step)

        deletes = [plan["name"] for plan in plans if plan["delete"]]
        if deletes:
            result = self.admin.delete_topics(deletes, raise_errors=False)
            failed.update(topic_errors(result["topics"]))
            deleted = [name for name in deletes if name not in failed]
            done(deleted, "deleted")
            self._wait(
                lambda: all(topic is None for topic in self.describe(deleted).values()),
                "%d deleted topic(s) to disappear" % len(deleted),
            )
        creates = create_specs(pending(plans))
        if creates:
            result = self.admin.create_topics(creates, raise_errors=False)
            failed.update(topic_errors(result["topics"]))
            created = [name for name in creates if name not in failed]
            done(created, "created")
            if created:
                self.admin.wait_for_topics(created, timeout_ms=self.timeout_ms)
        partitions = partition_specs(pending(plans))
        if partitions:
            response = self.admin.create_partitions(partitions, raise_errors=False)
            failed.update(partition_errors(response.results))
            grown = dict((name, self._count(spec)) for name, spec in partitions.items() if name not in failed)
            done(grown, "partitions")
            self._wait(lambda: self._partitions_shown(grown), "%d topic(s) to show their new partitions" % len(grown))
        ops = config_ops(pending(plans))
        if ops:
            result = self.admin.alter_configs(self._config_resources(ops), raise_on_unknown=False, incremental=True)
            failed.update(config_errors(result, ops))
            altered = dict((name, topic_ops) for name, topic_ops in ops.items() if name not in failed)
            done(altered, "configs")
            self._wait(lambda: self._configs_shown(altered), "config changes of %d topic(s) to show" % len(altered))
        request = reassignment_requests(pending(plans))
        if request:
            from kafka import TopicPartition

            result = self.admin.alter_partition_reassignments(
                dict((TopicPartition(name, index), replicas) for (name, index), replicas in request.items()),
                timeout_ms=self.timeout_ms,
            )
            refused = {}
            for tp, error in result.items():
                if error is not None:
                    refused.setdefault(tp.topic, {})[tp.partition] = error.__name__
            for name, partitions_refused in refused.items():
                failed[name] = "Kafka refused the reassignment of partition(s) %s" % ", ".join(
                    "%d (%s)" % item for item in sorted(partitions_refused.items())
                )
            for (name, index), replicas in request.items():
                if name not in refused:
                    submitted.setdefault(name, {})[str(index)] = replicas
            done(sorted(submitted), "reassignment")
        return failed, submitted

    def ongoing_reassignments(self, names):
        """{name: {partition: reassignment}} of the given topics, from one request for the cluster's reassignments."""
        if not names:
            return {}
        wanted = set(names)
        out = dict((name, {}) for name in names)
        result = self.admin.list_partition_reassignments(timeout_ms=self.timeout_ms)
        for tp, info in sorted(result.items(), key=lambda kv: (kv[0].topic, kv[0].partition)):
            if tp.topic in wanted:
                out[tp.topic][str(tp.partition)] = info
        return out

    @staticmethod
    def _count(spec):
        return spec["count"] if isinstance(spec, dict) else spec

    def _partitions_shown(self, counts):
        topics = self.describe(list(counts))
        return all(len((topics[name] or {}).get("partitions", [])) >= count for name, count in counts.items())

    def _configs_shown(self, ops):
        overrides = self.configs(list(ops))
        for name, topic_ops in ops.items():
            current = overrides[name][0]
            for key, value in topic_ops.items():
                if (value is None and key in current) or (value is not None and current.get(key) != value):
                    return False
        return True

    @staticmethod
    def _config_resources(ops):
        from kafka.admin import AlterConfigOp, ConfigResource

        return [
            ConfigResource(
                "TOPIC",
                name,
                dict(
                    (key, (AlterConfigOp.DELETE, None) if value is None else value) for key, value in topic_ops.items()
                ),
            )
            for name, topic_ops in ops.items()
        ]

    def _wait(self, predicate, what):
        # KRaft brokers apply metadata asynchronously after the controller
        # answers, so the returned state is read only once it is visible.
        deadline = time.monotonic() + self.timeout_ms / 1000.0
        while not predicate():
            if time.monotonic() > deadline:
                raise KafkaModuleError("timed out after %d ms waiting for %s" % (self.timeout_ms, what))
            time.sleep(0.2)
