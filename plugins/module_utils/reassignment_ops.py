# -*- coding: utf-8 -*-
# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0
"""The operations of kafkaops.kraft.kafka_reassignment and kafka_reassignment_info.

One function per operation, each taking the module (its params and check_mode),
a ReassignmentService and the Scope every operation reads first (topics,
brokers), and returning what it adds to the result. run_operation() dispatches;
run_module() connects, runs one operation and exits the module. The planning
itself is in reassignment.py and waves.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kafkaops.kraft.plugins.module_utils.health import partition_health
from ansible_collections.kafkaops.kraft.plugins.module_utils.kafka_client import (
    KAFKA_CONNECTION_SPEC,
    KafkaModuleError,
    close_quietly,
    connect,
    kafka_error_types,
    require_kafka,
)
from ansible_collections.kafkaops.kraft.plugins.module_utils.reassignment import (
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
from ansible_collections.kafkaops.kraft.plugins.module_utils.waves import (
    check_limit,
    plan_waves,
    progress_line,
    settled_assignment,
    wave_changes,
    wave_step,
)

# Read-only operations: kafka_reassignment_info runs them, in check mode too.
READ_OPERATIONS = ("plan", "status")


class OperationFailed(KafkaModuleError):
    """A failure that reports the operation's whole result (what was done before it failed)."""

    def __init__(self, msg, result):
        super(OperationFailed, self).__init__(msg)
        self.result = result


class Scope:
    """What every operation reads first: the live brokers, the target brokers and the topics."""

    def __init__(self, service, params):
        service.live = service.live_brokers()
        self.brokers = sorted(set(params["brokers"])) or service.live
        self.topics = service.topics(params["topics"] or None)
        self.names = [t["name"] for t in self.topics]


def argument_spec(operations, default="plan", changing=True):
    """The options of the modules: `operations` as the choices of `operation`; throttle_bytes
    only where an operation may change something (`changing`)."""
    spec = dict(
        operation=dict(type="str", default=default, choices=list(operations)),
        topics=dict(type="list", elements="str", default=[]),
        brokers=dict(type="list", elements="int", default=[]),
        assignment=dict(type="list", elements="dict", default=[]),
        balance_leaders=dict(type="bool", default=True),
        max_moves_per_broker=dict(type="int", default=5),
    )
    if changing:
        spec["throttle_bytes"] = dict(type="int", default=0)
    spec.update(KAFKA_CONNECTION_SPEC)
    return spec


def by_id(counts):
    """Ansible returns dict keys as strings; keep them sorted by broker id."""
    return dict((str(b), counts[b]) for b in sorted(counts))


def assignment_bytes(entries):
    """{(topic, partition): bytes} from the optional `bytes` of assignment entries."""
    result = {}
    for entry in entries or []:
        try:
            result[(str(entry["topic"]), int(entry["partition"]))] = int(entry.get("bytes") or 0)
        except (KeyError, TypeError, ValueError):
            continue
    return result


def not_live_error(brokers, live, before):
    return KafkaModuleError(
        "broker(s) %s are not live; start them before %s (live: %s)"
        % (", ".join(str(b) for b in brokers), before, ", ".join(str(b) for b in live)),
        live_brokers=live,
    )


# --- plan and execute --------------------------------------------------------


def compute_plan(params, service, scope, ongoing):
    """The plan over scope's topics and brokers, or the given `assignment` described as one."""
    # Partitions still moving count as placed where they are heading: a re-run
    # after an interruption plans from there and leaves them to finish.
    current = settled_assignment(service.assignment(scope.topics), ongoing)
    replica_brokers = sorted(set(b for r in current.values() for b in r))
    sizes = service.sizes(sorted(set(k[0] for k in current)), [b for b in replica_brokers if b in service.live])
    if not params["assignment"]:
        return plan_reassignment(current, scope.brokers, sizes, params["balance_leaders"])
    wanted = assignment_from_list(params["assignment"])
    unknown = sorted(key_name(k) for k in wanted if k not in current)
    if unknown:
        raise KafkaModuleError("assignment names partitions that do not exist: %s" % ", ".join(unknown))
    target = dict(current)
    target.update(wanted)
    return describe_plan(current, target, scope.brokers, sizes)


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


def _planned(module, service, scope):
    """(plan, its result, ongoing reassignments): what plan and execute share."""
    limit = check_limit(module.params["max_moves_per_broker"])
    ongoing = service.ongoing()
    plan = compute_plan(module.params, service, scope, ongoing)
    result = plan_result(plan, limit, ongoing)
    result["ongoing"] = len(ongoing)
    return plan, result, ongoing


def plan_operation(module, service, scope):
    """Compute the reassignment; changes nothing."""
    return _planned(module, service, scope)[1]


def execute_operation(module, service, scope):
    """Set the throttles and submit the whole plan at once; refused while a reassignment is in progress."""
    params = module.params
    plan, result, ongoing = _planned(module, service, scope)
    result["changed"] = bool(plan["changes"])
    missing = sorted(set(b for c in plan["changes"] for b in c["target"]) - set(service.live))
    if missing:
        raise not_live_error(missing, service.live, "executing")
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
        service.submit(dict(((c["topic"], c["partition"]), c["target"]) for c in plan["changes"]))
    return result


# --- step and status ---------------------------------------------------------


def step_operation(module, service, scope):
    """Submit the next wave of the assignment; see waves.wave_step."""
    params = module.params
    limit = check_limit(params["max_moves_per_broker"])
    targets = assignment_from_list(params["assignment"])
    sizes = assignment_bytes(params["assignment"])
    considered = sorted(set(k[0] for k in targets) | set(scope.names))
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
        raise not_live_error(missing, service.live, "moving partitions to them")
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


def status_operation(module, service, scope):
    """Progress against `assignment`, partition health and the per-broker counts; changes nothing."""
    targets = assignment_from_list(module.params["assignment"])
    names, brokers, topics = scope.names, scope.brokers, scope.topics
    current = service.assignment(service.topics(sorted(set(k[0] for k in targets) | set(names))))
    ongoing = service.ongoing()
    done, pending = progress(targets, current, set(ongoing))
    urp, offline = partition_health(topics)
    selected = dict((k, v) for k, v in current.items() if k[0] in names)
    counts = replica_counts(selected, brokers)
    leaders = dict((("%s" % t["name"], p["partition"]), [p["leader"]]) for t in topics for p in t["partitions"])
    return dict(
        done=len(done),
        total=len(targets),
        pending=[key_name(k) for k in pending],
        complete=not pending,
        ongoing=len(ongoing),
        under_replicated=urp,
        offline=offline,
        replicas=by_id(counts),
        leaders=by_id(leader_counts(leaders, brokers)),
        balanced=spread(counts, brokers) <= 1,
    )


# --- throttles and leaders ---------------------------------------------------


def clear_throttles_operation(module, service, scope):
    """Remove the throttle settings from every live broker and from scope's topics."""
    if module.check_mode:
        removed = service.throttles(service.live, scope.names)
    else:
        removed = service.clear_throttles(service.live, scope.names)
    return dict(changed=bool(removed), removed=removed)


def elect_leaders_operation(module, service, scope):
    """Preferred leader election where the first replica does not lead; OperationFailed names the failures."""
    topics, names = scope.topics, scope.names
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
                module.params["request_timeout_ms"] / 1000.0,
            )
        except KafkaModuleError as exc:
            errors["wait"] = exc.msg
        topics = service.topics(names)
    leaders = dict(((t["name"], p["partition"]), [p["leader"]]) for t in topics for p in t["partitions"])
    result = dict(
        changed=bool(wanted),
        elected=wanted,
        leaders=by_id(leader_counts(leaders, scope.brokers)),
        replicas=by_id(replica_counts(service.assignment(topics), scope.brokers)),
    )
    if errors:
        result["election_errors"] = errors
        raise OperationFailed("preferred leader election failed for %s" % ", ".join(sorted(errors)), result)
    return result


OPERATIONS = dict(
    plan=plan_operation,
    status=status_operation,
    step=step_operation,
    execute=execute_operation,
    clear_throttles=clear_throttles_operation,
    elect_leaders=elect_leaders_operation,
)


def check_params(params):
    """Problems with the options that need no Kafka, as a message, or None."""
    if params.get("throttle_bytes", 0) < 0:
        return "throttle_bytes must be 0 or more"
    try:
        check_limit(params["max_moves_per_broker"])
    except KafkaModuleError as exc:
        return exc.msg
    return None


def run_operation(module, service, operation):
    """The module's result of `operation`: the topics and brokers considered, and what it returns."""
    scope = Scope(service, module.params)
    result = dict(changed=False, topics=scope.names, brokers=scope.brokers)
    try:
        result.update(OPERATIONS[operation](module, service, scope))
    except OperationFailed as exc:
        result.update(exc.result)
        exc.result = result
        raise
    return result


def run_module(module, operation=None):
    """Check the options, connect, run `operation` (default: the module's) and exit the module."""
    operation = operation or module.params["operation"]
    problem = check_params(module.params)
    if problem:
        module.fail_json(msg=problem)
    require_kafka(module)
    admin = connect(module)
    try:
        service = ReassignmentService(admin, module.params["request_timeout_ms"])
        module.exit_json(**run_operation(module, service, operation))
    except OperationFailed as exc:
        module.fail_json(msg=exc.msg, **exc.result)
    except KafkaModuleError as exc:
        module.fail_json(msg=exc.msg, changed=False, **exc.details)
    except kafka_error_types() as exc:
        module.fail_json(msg="Kafka error during %s: %s: %s" % (operation, type(exc).__name__, exc), changed=False)
    finally:
        close_quietly(admin)
