"""kafka_reassignment and kafka_reassignment_info end to end, against an in-memory admin client.

The operations (module_utils/reassignment_ops.py) run through their dispatch;
the modules run through main(), with their arguments patched in and connect()
returning the fake client, so the deprecations, check mode and the result JSON
are what Ansible would get.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from ansible.module_utils import _internal
from ansible.module_utils.common import warnings
from ansible.module_utils.testing import patch_module_args
from ansible_collections.kafkaops.kraft.plugins.module_utils import reassignment_ops
from ansible_collections.kafkaops.kraft.plugins.module_utils.reassignment import ReassignmentService
from ansible_collections.kafkaops.kraft.plugins.module_utils.reassignment_ops import (
    OPERATIONS,
    READ_OPERATIONS,
    OperationFailed,
    run_operation,
)
from ansible_collections.kafkaops.kraft.plugins.modules import kafka_reassignment, kafka_reassignment_info
from kafka import TopicPartition
from kafka.admin import AlterConfigOp

WRITES = ("alter_partition_reassignments", "alter_configs", "elect_leaders")
SIZE = 1048576


class FakeAdmin:
    """Brokers and topics in memory. A submitted reassignment stays in progress until finish();
    `calls` records every request, `writes()` the ones that change the cluster."""

    def __init__(self, topics, brokers=(1, 2, 3), leaders=None):
        self.replicas = dict(((name, p), list(r)) for name, parts in topics.items() for p, r in enumerate(parts))
        self.leaders = dict((k, r[0]) for k, r in self.replicas.items())
        self.leaders.update(leaders or {})
        self.brokers = list(brokers)
        self.moving = {}  # (topic, partition) -> target replicas
        self.configs = {}  # ("broker" | "topic", name) -> {key: value}
        self.calls = []
        self.closed = False

    def writes(self):
        return [c for c in self.calls if c in WRITES]

    def finish(self):
        for key, target in self.moving.items():
            self.replicas[key] = list(target)
            self.leaders[key] = target[0] if self.leaders[key] not in target else self.leaders[key]
        self.moving = {}

    def describe_cluster(self):
        self.calls.append("describe_cluster")
        return {"brokers": [{"broker_id": b} for b in self.brokers], "controller_id": self.brokers[0]}

    def describe_topics(self, names=None):
        self.calls.append("describe_topics")
        known = sorted(set(k[0] for k in self.replicas))
        out = []
        for name in names if names is not None else known:
            if name not in known:
                out.append({"name": name, "error_code": 3, "partitions": []})
                continue
            keys = sorted(k for k in self.replicas if k[0] == name)
            partitions = [
                dict(
                    partition_index=k[1],
                    leader_id=self.leaders[k],
                    replica_nodes=self.replicas[k] + [b for b in self.moving.get(k, []) if b not in self.replicas[k]],
                    isr_nodes=list(self.replicas[k]),
                )
                for k in keys
            ]
            out.append({"name": name, "error_code": 0, "is_internal": name.startswith("__"), "partitions": partitions})
        return out

    def describe_log_dirs(self, topic_partitions, brokers):
        self.calls.append("describe_log_dirs")
        parts = {}
        for key in self.replicas:
            if key[0] in topic_partitions:
                parts.setdefault(key[0], []).append({"partition_index": key[1], "partition_size": SIZE})
        topics = [{"name": n, "partitions": p} for n, p in sorted(parts.items())]
        return [{"log_dirs": [{"topics": topics}]}]

    def list_partition_reassignments(self, timeout_ms):
        self.calls.append("list_partition_reassignments")
        return dict(
            (
                TopicPartition(*key),
                {
                    "replicas": list(target) + [b for b in self.replicas[key] if b not in target],
                    "adding_replicas": [b for b in target if b not in self.replicas[key]],
                    "removing_replicas": [b for b in self.replicas[key] if b not in target],
                },
            )
            for key, target in self.moving.items()
        )

    def alter_partition_reassignments(self, request, timeout_ms):
        self.calls.append("alter_partition_reassignments")
        for tp, replicas in request.items():
            self.moving[(tp.topic, tp.partition)] = list(replicas)
        return dict((tp, None) for tp in request)

    def alter_configs(self, resources, raise_on_unknown=True, incremental=None):
        self.calls.append("alter_configs")
        out = {}
        for resource in resources:
            kind = resource.resource_type.name.lower()
            entries = self.configs.setdefault((kind, resource.name), {})
            for key, value in resource.configs.items():
                if value == (AlterConfigOp.DELETE, None):
                    entries.pop(key, None)
                else:
                    entries[key] = value
            out.setdefault(kind, {})[resource.name] = "OK"
        return out

    def describe_configs(self, resources, config_filter):
        self.calls.append("describe_configs")
        out = {}
        for resource in resources:
            kind = resource.resource_type.name.lower()
            out.setdefault(kind, {})[resource.name] = dict(self.configs.get((kind, resource.name), {}))
        return out

    def elect_leaders(self, election_type, wanted, timeout_ms, raise_errors):
        self.calls.append("elect_leaders")
        for topic, partitions in wanted.items():
            for p in partitions:
                self.leaders[(topic, p)] = self.replicas[(topic, p)][0]
        return SimpleNamespace(replica_election_results=[])

    def close(self):
        self.closed = True


def three_brokers_one_topic():
    """test-topic, 6 partitions of RF 2 on brokers 1-3, with broker 4 registered and empty."""
    replicas = [[1, 2], [2, 3], [3, 1], [1, 2], [2, 3], [3, 1]]
    return FakeAdmin({"test-topic": replicas}, brokers=(1, 2, 3, 4))


def params(**kw):
    base = dict(
        operation="plan",
        topics=[],
        brokers=[],
        assignment=[],
        throttle_bytes=0,
        balance_leaders=True,
        max_moves_per_broker=5,
        request_timeout_ms=2000,
    )
    base.update(kw)
    return base


def run(admin, operation, check_mode=False, **kw):
    module = SimpleNamespace(params=params(operation=operation, **kw), check_mode=check_mode)
    return run_operation(module, ReassignmentService(admin, 2000), operation)


# --- the dispatch -------------------------------------------------------------------------------------------


def test_every_operation_has_one_function_and_the_read_ones_are_plan_and_status():
    assert sorted(OPERATIONS) == ["clear_throttles", "elect_leaders", "execute", "plan", "status", "step"]
    assert READ_OPERATIONS == ("plan", "status")


def test_every_result_names_the_topics_and_brokers_considered():
    for operation in OPERATIONS:
        admin = three_brokers_one_topic()
        plan = run(three_brokers_one_topic(), "plan")
        result = run(admin, operation, assignment=plan["assignment"])
        assert result["topics"] == ["test-topic"] and result["brokers"] == [1, 2, 3, 4], operation


def test_plan_spreads_over_the_new_broker_and_changes_nothing():
    admin = three_brokers_one_topic()
    result = run(admin, "plan")
    assert result["changed"] is False
    assert result["replicas_before"] == {"1": 4, "2": 4, "3": 4, "4": 0}
    assert sorted(result["replicas_after"].values()) == [3, 3, 3, 3]
    assert result["replicas_to_move"] == 3 and result["bytes_to_move"] == 3 * SIZE
    assert all(entry["bytes"] in (0, SIZE) for entry in result["assignment"])
    assert result["waves"] >= 1 and result["ongoing"] == 0
    assert len(result["lines"]) == len(result["changes"])
    assert admin.writes() == []


def test_status_reports_progress_health_and_counts():
    admin = three_brokers_one_topic()
    plan = run(admin, "plan")
    result = run(admin, "status", assignment=plan["assignment"])
    assert result["changed"] is False
    assert result["total"] == len(plan["assignment"]) and result["done"] == 0 and not result["complete"]
    assert result["under_replicated"] == [] and result["offline"] == []
    assert result["replicas"] == {"1": 4, "2": 4, "3": 4, "4": 0} and result["balanced"] is False
    assert admin.writes() == []


def test_step_submits_under_the_throttle_and_completes_once_kafka_finishes():
    admin = three_brokers_one_topic()
    plan = run(admin, "plan")
    args = dict(assignment=plan["assignment"], topics=plan["topics"], throttle_bytes=1000)
    first = run(admin, "step", **args)
    assert first["changed"] and first["submitted"] and first["throttled"]["rate"] == 1000
    assert admin.configs[("broker", "4")]["leader.replication.throttled.rate"] == "1000"
    assert not first["complete"]
    admin.finish()
    while True:
        step = run(admin, "step", **args)
        admin.finish()
        if step["complete"]:
            break
    assert step["done"] == step["total"] == len(plan["assignment"])
    cleared = run(admin, "clear_throttles", topics=plan["topics"])
    assert cleared["changed"] and "broker 4" in cleared["removed"]
    assert all(not entries for entries in admin.configs.values())
    after = run(admin, "plan")
    assert after["replicas_to_move"] == 0 and sorted(after["replicas_before"].values()) == [3, 3, 3, 3]


def test_changing_operations_in_check_mode_say_what_they_would_do_and_write_nothing():
    admin = three_brokers_one_topic()
    plan = run(admin, "plan")
    admin.configs[("broker", "1")] = {"leader.replication.throttled.rate": "5"}
    admin.leaders[("test-topic", 0)] = 2
    for operation in ("step", "execute", "clear_throttles", "elect_leaders"):
        result = run(admin, operation, check_mode=True, assignment=plan["assignment"], throttle_bytes=1000)
        assert result["changed"], operation
    assert admin.writes() == [] and admin.moving == {}


def test_execute_submits_everything_at_once_and_refuses_while_one_is_in_progress():
    admin = three_brokers_one_topic()
    result = run(admin, "execute", throttle_bytes=1000)
    assert result["changed"] and len(admin.moving) == len(result["changes"])
    with pytest.raises(reassignment_ops.KafkaModuleError, match="already in progress"):
        run(admin, "execute")


def test_a_failed_election_reports_the_whole_result():
    admin = three_brokers_one_topic()
    admin.leaders[("test-topic", 0)] = 2
    admin.elect_leaders = lambda *a, **kw: SimpleNamespace(
        replica_election_results=[
            SimpleNamespace(
                topic="test-topic",
                partition_result=[SimpleNamespace(partition_id=0, error_code=15, error_message="busy")],
            )
        ]
    )
    with pytest.raises(OperationFailed) as failed:
        run(admin, "elect_leaders", request_timeout_ms=1)
    result = failed.value.result
    assert "test-topic-0" in result["election_errors"] and result["elected"] == ["test-topic-0"]
    assert result["topics"] == ["test-topic"] and result["changed"] is True


# --- the modules --------------------------------------------------------------------------------------------


def run_module(monkeypatch, capsys, module, admin, args):
    # Ansible collects warnings and deprecations per process, for the one module run it expects, and
    # hands them to the controller's display instead once a test has imported controller code.
    monkeypatch.setattr(_internal, "is_controller", False)
    monkeypatch.setattr(warnings, "_global_deprecations", {})
    monkeypatch.setattr(warnings, "_global_warnings", {})
    monkeypatch.setattr(reassignment_ops, "connect", lambda _module: admin)
    with patch_module_args(args), pytest.raises(SystemExit):
        module.main()
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("check_mode", [False, True], ids=["run", "check"])
@pytest.mark.parametrize("operation", ["plan", "status"])
def test_info_changes_nothing_and_runs_the_same_in_check_mode(monkeypatch, capsys, operation, check_mode):
    admin = three_brokers_one_topic()
    admin.configs[("broker", "1")] = {"leader.replication.throttled.rate": "5"}
    args = {"operation": operation, "_ansible_check_mode": check_mode}
    result = run_module(monkeypatch, capsys, kafka_reassignment_info, admin, args)
    assert not result.get("failed"), result
    assert result["changed"] is False and "deprecations" not in result
    assert admin.writes() == [] and admin.closed
    plain = run_module(
        monkeypatch, capsys, kafka_reassignment_info, three_brokers_one_topic(), {"operation": operation}
    )
    assert {k: v for k, v in result.items() if k != "invocation"} == {
        k: v for k, v in plain.items() if k != "invocation"
    }


def test_info_returns_what_the_deprecated_operations_return(monkeypatch, capsys):
    for operation in ("plan", "status"):
        info = run_module(
            monkeypatch, capsys, kafka_reassignment_info, three_brokers_one_topic(), {"operation": operation}
        )
        old = run_module(monkeypatch, capsys, kafka_reassignment, three_brokers_one_topic(), {"operation": operation})
        for result in (info, old):
            result.pop("invocation", None)
        assert old.pop("deprecations")
        assert info == old


def test_info_refuses_the_changing_operations(monkeypatch, capsys):
    result = run_module(monkeypatch, capsys, kafka_reassignment_info, three_brokers_one_topic(), {"operation": "step"})
    assert result["failed"] and "operation" in result["msg"]


@pytest.mark.parametrize(
    ("operation", "replacement"),
    [("plan", "kafka_reassignment_info"), ("status", "kafka_reassignment_info"), ("execute", "operation=step")],
)
def test_deprecated_operations_still_work_and_say_what_replaces_them(monkeypatch, capsys, operation, replacement):
    admin = three_brokers_one_topic()
    result = run_module(monkeypatch, capsys, kafka_reassignment, admin, {"operation": operation})
    assert not result.get("failed"), result
    (deprecation,) = result["deprecations"]
    # ansible-core 2.19 nests the message and the collection; earlier releases did not.
    msg = deprecation.get("msg") or deprecation["event"]["msg"]
    collection = deprecation.get("collection_name") or deprecation["deprecator"]["resolved_name"]
    assert replacement in msg and f"operation={operation}" in msg
    assert deprecation["version"] == "0.3.0" and collection == "kafkaops.kraft"
    assert bool(admin.moving) is (operation == "execute")


@pytest.mark.parametrize("operation", ["step", "clear_throttles", "elect_leaders"])
def test_the_remaining_operations_are_not_deprecated(monkeypatch, capsys, operation):
    result = run_module(monkeypatch, capsys, kafka_reassignment, three_brokers_one_topic(), {"operation": operation})
    assert not result.get("failed"), result
    assert "deprecations" not in result


def test_option_problems_fail_before_connecting(monkeypatch, capsys):
    def refuse(_module):
        raise AssertionError("connected")

    monkeypatch.setattr(reassignment_ops, "connect", refuse)
    for module, args, message in (
        (kafka_reassignment, {"operation": "step", "throttle_bytes": -1}, "throttle_bytes must be 0 or more"),
        (kafka_reassignment_info, {"max_moves_per_broker": 0}, "max_moves_per_broker"),
    ):
        with patch_module_args(args), pytest.raises(SystemExit):
            module.main()
        result = json.loads(capsys.readouterr().out)
        assert result["failed"] and message in result["msg"]
