"""kafka_topic's batches: one request per kind for any number of topics, the counts, the diff, and the
error semantics (refusals change nothing; a topic Kafka refuses while applying is named, the others applied).

TopicService runs against an in-memory admin client that records every request.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from ansible_collections.kafkaops.kraft.plugins.module_utils.kafka_client import KafkaModuleError
from ansible_collections.kafkaops.kraft.plugins.module_utils.topic import (
    TopicService,
    config_ops,
    diff_list,
    manage_topics,
    partition_specs,
    plan_topics,
    reassignment_requests,
    topic_requests,
    validate_requests,
)
from kafka.admin import AlterConfigOp
from kafka.errors import KafkaTimeoutError

DEFAULTS = {"retention.ms": "604800000", "cleanup.policy": "delete", "segment.ms": "604800000"}
WRITES = ("create_topics", "create_partitions", "alter_configs", "delete_topics", "alter_partition_reassignments")


class FakeAdmin:
    """A cluster of brokers 1-3 in memory; `refuse` makes Kafka refuse a topic in validation or when applying."""

    def __init__(self, topics=None):
        # name -> {"replicas": [[broker, ...] per partition], "configs": {key: value}}
        self.topics = topics or {}
        self.calls = []
        self.refuse = {"validate": {}, "apply": {}}
        self.raise_on = None

    def _call(self, kind, validate_only=False):
        self.calls.append((kind, validate_only))
        if self.raise_on == kind and not validate_only:
            raise KafkaTimeoutError("request timed out")

    def _refused(self, name, validate_only):
        return self.refuse["validate" if validate_only else "apply"].get(name)

    def writes(self):
        return [kind for kind, validate_only in self.calls if kind in WRITES and not validate_only]

    def describe_cluster(self):
        self._call("describe_cluster")
        return {"brokers": [{"broker_id": b} for b in (1, 2, 3)]}

    def describe_topics(self, names):
        self._call("describe_topics")
        out = []
        for name in names:
            if name not in self.topics:
                out.append({"name": name, "error_code": 3, "partitions": []})
                continue
            partitions = [
                dict(partition_index=i, leader_id=r[0], replica_nodes=r, isr_nodes=r, offline_replicas=[])
                for i, r in enumerate(self.topics[name]["replicas"])
            ]
            out.append({"name": name, "error_code": 0, "is_internal": False, "partitions": partitions})
        return out

    def describe_configs(self, resources, config_filter):
        self._call("describe_configs")
        out = {}
        for resource in resources:
            configs = self.topics[resource.name]["configs"]
            entries = dict((k, {"value": v, "config_source": "DEFAULT_CONFIG"}) for k, v in DEFAULTS.items())
            entries.update((k, {"value": v, "config_source": "DYNAMIC_TOPIC_CONFIG"}) for k, v in configs.items())
            out[resource.name] = entries
        return {"topic": out}

    def create_topics(self, specs, validate_only=False, raise_errors=True):
        self._call("create_topics", validate_only)
        results = []
        for name, spec in specs.items():
            refused = self._refused(name, validate_only)
            results.append({"name": name, "error_code": 40 if refused else 0, "error_message": refused})
            if refused or validate_only:
                continue
            if "assignments" in spec:
                replicas = [list(r) for _i, r in sorted(spec["assignments"].items())]
            else:
                count, rf = max(spec["num_partitions"], 1), max(spec["replication_factor"], 1)
                replicas = [[(i + j) % 3 + 1 for j in range(rf)] for i in range(count)]
            self.topics[name] = {"replicas": replicas, "configs": dict(spec["configs"])}
        return {"topics": results}

    def wait_for_topics(self, names, timeout_ms):
        self._call("wait_for_topics")

    def create_partitions(self, specs, validate_only=False, raise_errors=True):
        self._call("create_partitions", validate_only)
        results = []
        for name, spec in specs.items():
            refused = self._refused(name, validate_only)
            results.append(SimpleNamespace(name=name, error_code=37 if refused else 0, error_message=refused))
            if refused or validate_only:
                continue
            count = spec["count"] if isinstance(spec, dict) else spec
            replicas = self.topics[name]["replicas"]
            replicas.extend([list(replicas[0]) for _i in range(count - len(replicas))])
        return SimpleNamespace(results=results)

    def alter_configs(self, resources, validate_only=False, raise_on_unknown=True, incremental=None):
        self._call("alter_configs", validate_only)
        assert incremental is True and raise_on_unknown is False
        out = {}
        for resource in resources:
            refused = self._refused(resource.name, validate_only)
            out[resource.name] = f"InvalidConfigurationError: {refused}" if refused else "OK"
            if refused or validate_only:
                continue
            configs = self.topics[resource.name]["configs"]
            for key, value in resource.configs.items():
                if value == (AlterConfigOp.DELETE, None):
                    configs.pop(key, None)
                else:
                    configs[key] = value
        return {"topic": out}

    def delete_topics(self, names, raise_errors=True):
        self._call("delete_topics")
        results = []
        for name in names:
            refused = self._refused(name, False)
            results.append({"name": name, "error_code": 41 if refused else 0, "error_message": refused})
            if not refused:
                del self.topics[name]
        return {"topics": results}

    def alter_partition_reassignments(self, request, timeout_ms):
        self._call("alter_partition_reassignments")
        for tp, replicas in request.items():
            self.topics[tp.topic]["replicas"][tp.partition] = list(replicas)
        return dict((tp, None) for tp in request)

    def list_partition_reassignments(self, timeout_ms):
        self._call("list_partition_reassignments")
        return {}


def request(name, **kw):
    base = dict(
        name=name,
        state="present",
        partitions=None,
        replication_factor=None,
        replica_assignment=None,
        configs=None,
        configs_exclusive=False,
        allow_reassignment=False,
    )
    base.update(kw)
    return base


def run(admin, requests, check_mode=False, progress=None):
    return manage_topics(TopicService(admin, 2000), requests, check_mode, progress if progress is not None else {})


def existing(partitions=1, configs=None):
    return {"replicas": [[1, 2]] * partitions, "configs": dict(configs or {})}


def kinds(admin):
    return sorted(set(kind for kind, _v in admin.calls))


@pytest.mark.parametrize("count", [3, 300])
def test_many_topics_cost_the_same_requests_as_three(count):
    admin = FakeAdmin()
    requests = [
        request(f"t{i:04d}", partitions=2, replication_factor=2, configs={"retention.ms": 1000}) for i in range(count)
    ]
    result = run(admin, requests)
    assert result["changed"] is True
    assert result["summary"] == {"created": count, "changed": 0, "unchanged": 0, "deleted": 0}
    assert len(admin.topics) == count and admin.topics["t0000"]["configs"] == {"retention.ms": "1000"}
    # One validate_only and one real CreateTopics, whatever the count.
    assert admin.calls.count(("create_topics", True)) == 1
    assert admin.calls.count(("create_topics", False)) == 1
    assert admin.calls.count(("wait_for_topics", False)) == 1
    assert admin.calls.count(("describe_configs", False)) == 1  # the new topics' state after the run

    again = FakeAdmin(admin.topics)
    rerun = run(again, requests)
    assert rerun["changed"] is False and rerun["changes"] == []
    assert rerun["summary"] == {"created": 0, "changed": 0, "unchanged": count, "deleted": 0}
    assert again.writes() == []
    # A no-op run is four requests: metadata, configs, brokers, ongoing reassignments.
    assert sorted(kind for kind, _v in again.calls) == [
        "describe_cluster",
        "describe_configs",
        "describe_topics",
        "list_partition_reassignments",
    ]


def mixed_cluster():
    return FakeAdmin(
        {
            "same": existing(2, {"retention.ms": "1000"}),
            "grow": existing(2),
            "config": existing(1, {"retention.ms": "1000", "segment.ms": "5"}),
            "gone": existing(1),
        }
    )


def mixed_requests():
    return [
        request("same", partitions=2, configs={"retention.ms": 1000}),
        request("grow", partitions=4),
        request("config", configs={"retention.ms": 2000}, configs_exclusive=True),
        request("new", partitions=3, replication_factor=2),
        request("gone", state="absent"),
        request("never-there", state="absent"),
    ]


def test_mixed_batch_counts_changes_and_requests():
    admin = mixed_cluster()
    result = run(admin, mixed_requests())
    assert result["summary"] == {"created": 1, "changed": 2, "unchanged": 2, "deleted": 1}
    assert result["msg"] == "topics: 1 created, 2 changed, 2 unchanged, 1 deleted"
    assert [(t["name"], t["status"]) for t in result["topics"]] == [
        ("same", "unchanged"),
        ("grow", "changed"),
        ("config", "changed"),
        ("new", "created"),
        ("gone", "deleted"),
        ("never-there", "unchanged"),
    ]
    assert result["changes"] == [
        "increase partitions of grow from 2 to 4",
        "set config retention.ms of config: 1000 -> 2000",
        "remove config override segment.ms of config (was 5)",
        "create topic new (partitions=3, replication_factor=2)",
        "delete topic gone",
    ]
    by_name = dict((t["name"], t) for t in result["topics"])
    assert by_name["grow"]["topic"]["partitions"] == 4  # the state after the run
    assert by_name["config"]["topic"]["config_overrides"] == {"retention.ms": "2000"}
    assert by_name["gone"]["topic"] == {"name": "gone", "exists": False}
    assert "ongoing_reassignments" in by_name["same"] and "ongoing_reassignments" not in by_name["gone"]
    assert sorted(admin.topics) == ["config", "grow", "new", "same"]
    assert sorted(admin.writes()) == ["alter_configs", "create_partitions", "create_topics", "delete_topics"]


def test_check_mode_is_exact_and_changes_nothing():
    admin = mixed_cluster()
    before = repr(admin.topics)
    checked = run(admin, mixed_requests(), check_mode=True)
    assert repr(admin.topics) == before and admin.writes() == []
    # Kafka still validates every change.
    assert {kind for kind, validate_only in admin.calls if validate_only} == {
        "create_topics",
        "create_partitions",
        "alter_configs",
    }
    real = run(mixed_cluster(), mixed_requests())
    assert checked["changed"] is True
    assert checked["changes"] == real["changes"] and checked["summary"] == real["summary"]
    assert checked["diff"] == real["diff"]
    # In check mode each topic is reported as it is now.
    assert dict((t["name"], t["topic"].get("partitions")) for t in checked["topics"])["grow"] == 2


def test_diff_counts_first_then_only_changing_topics():
    admin = mixed_cluster()
    diff = run(admin, mixed_requests())["diff"]
    assert diff[0] == {"prepared": "topics: 1 created, 2 changed, 2 unchanged, 1 deleted"}
    assert [d["before_header"] for d in diff[1:]] == ["topic grow", "topic config", "topic new", "topic gone"]
    assert diff[1]["before"]["partitions"] == 2 and diff[1]["after"]["partitions"] == 4


def test_plan_refusal_of_one_topic_applies_nothing():
    admin = FakeAdmin({"big": existing(4), "other": existing(1)})
    requests = [
        request("new", partitions=1),
        request("big", partitions=2),
        request("other", configs={"retention.ms": 5}),
        request("internal-ish", replication_factor=5),
    ]
    with pytest.raises(KafkaModuleError) as raised:
        run(admin, requests)
    exc = raised.value
    assert sorted(exc.details["refused_topics"]) == ["big", "internal-ish"]
    assert "refusing to decrease partitions of big from 4 to 2" in exc.details["refused_topics"]["big"]
    assert exc.msg.startswith("refused 2 of 4 topic(s), nothing was changed: big: refusing to decrease")
    assert "changed" not in exc.details
    # Not even Kafka's validation ran: no write request of any kind.
    assert [kind for kind, _v in admin.calls if kind in WRITES] == []
    assert sorted(admin.topics) == ["big", "other"]


def test_kafka_validation_refusal_applies_nothing():
    admin = FakeAdmin({"other": existing(1)})
    admin.refuse["validate"] = {"other": "Invalid value abc for configuration retention.ms"}
    with pytest.raises(KafkaModuleError) as raised:
        run(admin, [request("new", partitions=1), request("other", configs={"retention.ms": "abc"})])
    assert raised.value.details["refused_topics"] == {
        "other": "Kafka refused the request: InvalidConfigurationError: "
        "Invalid value abc for configuration retention.ms"
    }
    assert "in validation, nothing was changed" in raised.value.msg
    assert admin.writes() == [] and sorted(admin.topics) == ["other"]


def test_apply_refusal_names_the_topic_and_applies_the_others():
    admin = FakeAdmin({"grow": existing(1), "cfg": existing(1)})
    # Validation passed; something else created "racy" meanwhile, so Kafka refuses it at apply time.
    admin.refuse["apply"] = {"racy": "Topic 'racy' already exists.", "cfg": "broker went away"}
    progress = {}
    with pytest.raises(KafkaModuleError) as raised:
        run(
            admin,
            [
                request("racy", partitions=1),
                request("fine", partitions=1, configs={"retention.ms": 7}),
                request("grow", partitions=3),
                request("cfg", configs={"retention.ms": 9}),
            ],
            progress=progress,
        )
    exc = raised.value
    assert sorted(exc.details["failed_topics"]) == ["cfg", "racy"]
    assert "already exists" in exc.details["failed_topics"]["racy"]
    assert exc.details["applied_topics"] == {"fine": ["created"], "grow": ["partitions"]}
    assert exc.details["changed"] is True
    assert exc.msg.startswith("Kafka refused 2 of 4 topic(s) while applying: racy: ")
    assert exc.msg.endswith("the other topics were applied")
    assert [(t["name"], t["status"]) for t in exc.details["topics"]][:2] == [("racy", "created"), ("fine", "created")]
    assert admin.topics["fine"]["configs"] == {"retention.ms": "7"}
    assert len(admin.topics["grow"]["replicas"]) == 3
    assert admin.topics["cfg"]["configs"] == {}


def test_refused_topic_skips_its_later_steps():
    admin = FakeAdmin({"t": existing(1)})
    admin.refuse["apply"] = {"t": "nope"}
    with pytest.raises(KafkaModuleError) as raised:
        run(admin, [request("t", partitions=2, configs={"retention.ms": 1})])
    assert raised.value.details["applied_topics"] == {} and raised.value.details["changed"] is False
    # The partitions were refused, so the config change of the same topic was never sent.
    assert ("alter_configs", False) not in admin.calls


def test_kafka_error_while_applying_reports_what_was_applied():
    admin = FakeAdmin({"cfg": existing(1)})
    admin.raise_on = "alter_configs"
    with pytest.raises(KafkaModuleError) as raised:
        run(admin, [request("new", partitions=1), request("cfg", configs={"retention.ms": 9})])
    exc = raised.value
    assert exc.msg.startswith("Kafka error while applying the topics: KafkaTimeoutError")
    assert exc.msg.endswith("applied before the failure: new: created")
    assert exc.details == {"applied_topics": {"new": ["created"]}, "changed": True}


def test_reassignments_go_in_one_request():
    admin = FakeAdmin({"a": existing(2), "b": existing(1)})
    # b has no allow_reassignment: the whole batch is refused first.
    with pytest.raises(KafkaModuleError, match="b: refusing to change replication_factor of b from 2 to 3"):
        run(admin, [request("a", replication_factor=3, allow_reassignment=True), request("b", replication_factor=3)])
    assert admin.writes() == []
    # The top-level allow_reassignment holds for every entry that sets none.
    params = dict(
        topics=[{"name": "a", "replication_factor": 3}, {"name": "b", "replication_factor": 3}],
        state="present",
        configs_exclusive=False,
        allow_reassignment=True,
    )
    result = run(admin, topic_requests(params))
    assert admin.calls.count(("alter_partition_reassignments", False)) == 1
    assert [t.get("reassignment") for t in result["topics"]] == [
        {"0": [1, 2, 3], "1": [1, 2, 3]},
        {"0": [1, 2, 3]},
    ]
    assert all(len(r) == 3 for t in admin.topics.values() for r in t["replicas"])


def test_topic_requests_single_name_is_a_one_element_batch():
    params = request("solo", partitions=3)
    params["topics"] = None
    assert topic_requests(params) == [request("solo", partitions=3)]


def test_topic_requests_entries_inherit_state_and_flags():
    params = dict(
        name=None,
        state="absent",
        configs_exclusive=True,
        allow_reassignment=True,
        topics=[
            {"name": "a"},
            {"name": "b", "state": "present", "configs": {}, "configs_exclusive": False, "allow_reassignment": None},
        ],
    )
    a, b = topic_requests(params)
    assert (a["state"], a["configs_exclusive"], a["allow_reassignment"]) == ("absent", True, True)
    assert (b["state"], b["configs_exclusive"], b["allow_reassignment"]) == ("present", False, True)
    assert b["partitions"] is None and b["configs"] == {}


def test_validate_requests_names_each_topic_and_duplicates():
    errors = validate_requests(
        [
            request("ok"),
            request("zero", partitions=0),
            request("bad name"),
            request("ok"),
            request("x", configs_exclusive=True),
        ]
    )
    assert errors == [
        "topic zero: partitions must be at least 1, got 0",
        "topic name 'bad name' is invalid: use 1-249 of [a-zA-Z0-9._-], not '.' or '..'",
        "topic ok is listed more than once",
        "topic x: configs_exclusive needs configs (use configs: {} to remove every override)",
    ]


def test_batch_builders():
    plans, refused = plan_topics(
        [
            request("grow", partitions=3),
            request("cfg", configs={"a": 1}, configs_exclusive=True),
            request("move", replica_assignment=[[2, 1]], allow_reassignment=True),
        ],
        {
            "grow": {"name": "grow", "internal": False, "partitions": [dict(partition=0, replicas=[1])]},
            "cfg": {"name": "cfg", "internal": False, "partitions": [dict(partition=0, replicas=[1])]},
            "move": {"name": "move", "internal": False, "partitions": [dict(partition=0, replicas=[1, 2])]},
        },
        {"cfg": ({"b": "2"}, {"a": "0", "b": "2"}), "grow": ({}, {}), "move": ({}, {})},
        [1, 2, 3],
    )
    assert refused == {}
    assert partition_specs(plans) == {"grow": 3}
    assert config_ops(plans) == {"cfg": {"a": "1", "b": None}}
    assert reassignment_requests(plans) == {("move", 0): [2, 1]}
    assert [p["status"] for p in plans] == ["changed", "changed", "changed"]
    assert diff_list(plans, {"created": 0, "changed": 3, "unchanged": 0, "deleted": 0})[0] == {
        "prepared": "topics: 0 created, 3 changed, 0 unchanged, 0 deleted"
    }
