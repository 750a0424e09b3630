"""kafkaops.kraft.kafka_acl against a real Kafka 3.9.1 KRaft node with StandardAuthorizer.

The node is combined broker+controller, so one authorizer.class.name covers both
roles. The tests' PLAINTEXT clients connect as User:ANONYMOUS, made a super user.
The session's shared broker has no authorizer and serves the SECURITY_DISABLED test.
"""

from __future__ import annotations

import time
import uuid

import pytest
from kafka import KafkaAdminClient
from kafka.admin import (
    ACLFilter,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    ResourcePatternFilter,
    ResourceType,
)

from tests.support.kafka_broker import KafkaBroker, free_port

pytestmark = pytest.mark.integration
ACL = "kafkaops.kraft.kafka_acl"
AUTHORIZER = {
    "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
    "super.users": "User:ANONYMOUS",
}


@pytest.fixture(scope="module")
def acl_broker(tmp_path_factory):
    broker = KafkaBroker(tmp_path_factory.mktemp("kafka-acl"), extra_props=AUTHORIZER)
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture(scope="module")
def acl_admin(acl_broker):
    client = KafkaAdminClient(bootstrap_servers=acl_broker.bootstrap, request_timeout_ms=15000)
    yield client
    client.close()


@pytest.fixture
def kafka_acl(run_module, acl_broker):
    """kafka_acl(args, check=..., diff=...) on the authorizer node."""

    def call(args, **kwargs):
        args = dict(args)
        args.setdefault("bootstrap_servers", [acl_broker.bootstrap])
        return run_module(ACL, args, **kwargs)

    return call


@pytest.fixture
def user():
    """A principal of its own per test: the node and its ACLs live for the whole module."""
    return f"User:it-{uuid.uuid4().hex[:8]}"


def bindings_of(admin, principal):
    """The principal's bindings straight from Kafka, as (permission, operation, type, name, pattern, host)."""
    acls, _error = admin.describe_acls(
        ACLFilter(
            principal=principal,
            host=None,
            operation=ACLOperation.ANY,
            permission_type=ACLPermissionType.ANY,
            resource_pattern=ResourcePatternFilter(ResourceType.ANY, None, ACLResourcePatternType.ANY),
        )
    )
    return sorted(
        (
            a.permission_type.name,
            a.operation.name,
            a.resource_pattern.resource_type.name,
            a.resource_pattern.resource_name,
            a.resource_pattern.pattern_type.name,
            a.host,
        )
        for a in acls
    )


def test_creates_several_bindings_in_one_call(kafka_acl, acl_admin, user):
    run = kafka_acl(
        {
            "acls": [
                {"principal": user, "operation": "Write", "resource_type": "TOPIC", "resource_name": "orders"},
                {"principal": user, "operation": "IdempotentWrite", "resource_type": "Cluster"},
                {
                    "principal": user,
                    "operation": "read",
                    "resource_type": "group",
                    "resource_name": "orders-",
                    "pattern_type": "prefixed",
                },
                {
                    "principal": user,
                    "operation": "DESCRIBE",
                    "permission": "deny",
                    "resource_type": "TRANSACTIONAL_ID",
                    "resource_name": "tx",
                    "host": "10.1.2.3",
                },
            ]
        }
    )
    assert not run.failed, run.result
    assert run["changed"] is True
    assert run["counts"] == {"added": 4, "removed": 0, "unchanged": 0}
    assert run["msg"] == "4 added, 0 removed, 0 unchanged"
    assert run["added"] == [
        f"{user} ALLOW IdempotentWrite CLUSTER:kafka-cluster (LITERAL) from *",
        f"{user} ALLOW Read GROUP:orders- (PREFIXED) from *",
        f"{user} ALLOW Write TOPIC:orders (LITERAL) from *",
        f"{user} DENY Describe TRANSACTIONAL_ID:tx (LITERAL) from 10.1.2.3",
    ]
    assert bindings_of(acl_admin, user) == [
        ("ALLOW", "IDEMPOTENT_WRITE", "CLUSTER", "kafka-cluster", "LITERAL", "*"),
        ("ALLOW", "READ", "GROUP", "orders-", "PREFIXED", "*"),
        ("ALLOW", "WRITE", "TOPIC", "orders", "LITERAL", "*"),
        ("DENY", "DESCRIBE", "TRANSACTIONAL_ID", "tx", "LITERAL", "10.1.2.3"),
    ]


def test_idempotent_rerun(kafka_acl, user):
    args = {
        "acls": [
            {"principal": user, "operation": "READ", "resource_type": "TOPIC", "resource_name": "orders"},
            {"principal": user, "operation": "ALL", "resource_type": "USER", "resource_name": "bob"},
        ]
    }
    first = kafka_acl(args)
    assert first["changed"] is True, first.result
    second = kafka_acl(args, diff=True)
    assert not second.failed, second.result
    assert second["changed"] is False
    assert second["counts"] == {"added": 0, "removed": 0, "unchanged": 2}
    assert second["diff"]["before"] == second["diff"]["after"]


def test_check_mode_reports_exact_diff_and_creates_nothing(kafka_acl, acl_admin, user):
    kafka_acl({"acls": [{"principal": user, "operation": "Read", "resource_type": "TOPIC", "resource_name": "a"}]})
    args = {
        "acls": [
            {"principal": user, "operation": "Read", "resource_type": "TOPIC", "resource_name": "a"},
            {"principal": user, "operation": "Write", "resource_type": "TOPIC", "resource_name": "b"},
        ]
    }
    check = kafka_acl(args, check=True, diff=True)
    assert not check.failed, check.result
    assert check["changed"] is True
    assert check["added"] == [f"{user} ALLOW Write TOPIC:b (LITERAL) from *"]
    assert check["unchanged"] == [f"{user} ALLOW Read TOPIC:a (LITERAL) from *"]
    assert check["diff"]["before"] == f"{user} ALLOW Read TOPIC:a (LITERAL) from *\n"
    assert check["diff"]["after"] == (
        f"{user} ALLOW Read TOPIC:a (LITERAL) from *\n{user} ALLOW Write TOPIC:b (LITERAL) from *\n"
    )
    assert bindings_of(acl_admin, user) == [("ALLOW", "READ", "TOPIC", "a", "LITERAL", "*")]
    # The real run does what check mode announced.
    real = kafka_acl(args, diff=True)
    assert real["added"] == check["added"] and real["diff"] == check["diff"]
    assert len(bindings_of(acl_admin, user)) == 2


def test_exclusive_principals_shows_then_removes_unlisted_binding(kafka_acl, acl_admin, user):
    other = f"User:other-{uuid.uuid4().hex[:8]}"
    keep = {"principal": user, "operation": "Read", "resource_type": "TOPIC", "resource_name": "keep"}
    drop = {"principal": user, "operation": "Write", "resource_type": "TOPIC", "resource_name": "drop"}
    bystander = {"principal": other, "operation": "Write", "resource_type": "TOPIC", "resource_name": "drop"}
    kafka_acl({"acls": [keep, drop, bystander]})

    args = {"acls": [keep], "exclusive": "principals"}
    check = kafka_acl(args, check=True, diff=True)
    assert not check.failed, check.result
    assert check["changed"] is True
    assert check["removed"] == [f"{user} ALLOW Write TOPIC:drop (LITERAL) from *"]
    assert check["counts"] == {"added": 0, "removed": 1, "unchanged": 1}
    assert check["diff"]["before"] == (
        f"{user} ALLOW Read TOPIC:keep (LITERAL) from *\n{user} ALLOW Write TOPIC:drop (LITERAL) from *\n"
    )
    assert check["diff"]["after"] == f"{user} ALLOW Read TOPIC:keep (LITERAL) from *\n"
    assert len(bindings_of(acl_admin, user)) == 2  # check mode removed nothing

    real = kafka_acl(args)
    assert real["removed"] == check["removed"]
    assert bindings_of(acl_admin, user) == [("ALLOW", "READ", "TOPIC", "keep", "LITERAL", "*")]
    assert bindings_of(acl_admin, other) == [("ALLOW", "WRITE", "TOPIC", "drop", "LITERAL", "*")]
    assert kafka_acl(args)["changed"] is False


def test_exclusive_resources_removes_other_principals_on_the_resource(kafka_acl, acl_admin, user):
    other = f"User:other-{uuid.uuid4().hex[:8]}"
    topic = f"audit-{uuid.uuid4().hex[:8]}"
    mine = {"principal": user, "operation": "Read", "resource_type": "TOPIC", "resource_name": topic}
    theirs = {"principal": other, "operation": "Read", "resource_type": "TOPIC", "resource_name": topic}
    elsewhere = {"principal": other, "operation": "Read", "resource_type": "TOPIC", "resource_name": "orders"}
    kafka_acl({"acls": [mine, theirs, elsewhere]})
    run = kafka_acl({"acls": [mine], "exclusive": "resources"})
    assert run["removed"] == [f"{other} ALLOW Read TOPIC:{topic} (LITERAL) from *"]
    assert bindings_of(acl_admin, other) == [("ALLOW", "READ", "TOPIC", "orders", "LITERAL", "*")]


def test_state_absent(kafka_acl, acl_admin, user):
    one = {"principal": user, "operation": "Read", "resource_type": "TOPIC", "resource_name": "one"}
    two = {"principal": user, "operation": "Read", "resource_type": "TOPIC", "resource_name": "two"}
    kafka_acl({"acls": [one, two]})
    run = kafka_acl({"acls": [one], "state": "absent"})
    assert run["changed"] is True and run["removed"] == [f"{user} ALLOW Read TOPIC:one (LITERAL) from *"]
    assert bindings_of(acl_admin, user) == [("ALLOW", "READ", "TOPIC", "two", "LITERAL", "*")]
    assert kafka_acl({"acls": [one], "state": "absent"})["changed"] is False
    # Per-binding state: one batch removes two and adds one back.
    swap = kafka_acl({"acls": [dict(two, state="absent"), one]})
    assert swap["counts"] == {"added": 1, "removed": 1, "unchanged": 0}
    assert bindings_of(acl_admin, user) == [("ALLOW", "READ", "TOPIC", "one", "LITERAL", "*")]


def test_bad_input_fails_before_touching_anything(kafka_acl, acl_admin, user):
    good = {"principal": user, "operation": "Read", "resource_type": "TOPIC", "resource_name": "x"}
    bad_principal = kafka_acl({"acls": [good, dict(good, principal="alice")]})
    assert bad_principal.failed
    assert "acls[1]: principal 'alice' must be User:<name>" in bad_principal["msg"]
    bad_operation = kafka_acl({"acls": [dict(good, operation="Reed")]})
    assert bad_operation.failed
    assert "acls[0]: operation 'Reed' is not one of ALL, READ, WRITE" in bad_operation["msg"]
    wrong_type = kafka_acl({"acls": [dict(good, operation="IdempotentWrite")]})
    assert wrong_type.failed and "operation IdempotentWrite does not apply to TOPIC" in wrong_type["msg"]
    both = kafka_acl({"acls": [good], "state": "absent", "exclusive": "principals"})
    assert both.failed and "needs state: present" in both["msg"]
    assert bindings_of(acl_admin, user) == []


def test_cluster_without_authorizer_is_named(ansible_module, user):
    # ansible_module talks to the session's broker, which has no authorizer.
    run = ansible_module(
        ACL, {"acls": [{"principal": user, "operation": "Read", "resource_type": "TOPIC", "resource_name": "x"}]}
    )
    assert run.failed
    assert run["msg"].startswith("the cluster has no authorizer: set kafka_kraft_authorizer_enabled (kafka_kraft role)")


def test_unreachable_cluster_fails_within_timeout(run_module, user):
    servers = [f"127.0.0.1:{free_port()}"]
    started = time.monotonic()
    run = run_module(
        ACL,
        {
            "acls": [{"principal": user, "operation": "Read", "resource_type": "TOPIC", "resource_name": "x"}],
            "bootstrap_servers": servers,
            "connect_timeout_ms": 2000,
        },
    )
    elapsed = time.monotonic() - started
    assert run.failed
    assert "within 2000 ms" in run["msg"] and servers[0] in run["msg"]
    assert elapsed < 15, elapsed
