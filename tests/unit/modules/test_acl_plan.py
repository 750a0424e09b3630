"""Pure logic of kafka_acl: name parsing, validation, the plan per exclusive mode, readable lines,
and how the batched kafka-python results become per-binding errors."""

from __future__ import annotations

import pytest
from ansible_collections.kafkaops.kraft.plugins.module_utils.acl import (
    NO_AUTHORIZER_MSG,
    AclApplyError,
    AclService,
    Binding,
    binding_line,
    canonical,
    diff_text,
    parse_bindings,
    plan_acls,
    validate_params,
)
from ansible_collections.kafkaops.kraft.plugins.module_utils.acl import OPERATIONS as OPS
from ansible_collections.kafkaops.kraft.plugins.module_utils.kafka_client import KafkaModuleError


def b(principal="User:alice", operation="READ", rtype="TOPIC", name="orders", pattern="LITERAL", perm="ALLOW"):
    return Binding(principal, "*", operation, perm, rtype, name, pattern)


def entry(**kw):
    base = dict(principal="User:alice", operation="Read", resource_type="topic", resource_name="orders")
    base.update(kw)
    return base


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("READ", "READ"),
        ("read", "READ"),
        ("IdempotentWrite", "IDEMPOTENT_WRITE"),
        ("idempotent_write", "IDEMPOTENT_WRITE"),
        ("DescribeConfigs", "DESCRIBE_CONFIGS"),
        ("cluster-action", "CLUSTER_ACTION"),
        ("ANY", None),
        ("Reed", None),
    ],
)
def test_operation_names(given, expected):
    assert canonical(given, OPS) == expected


def test_parse_normalises_and_defaults():
    desired, errors = parse_bindings(
        [
            entry(),
            dict(principal="User:*", operation="IdempotentWrite", resource_type="Cluster"),
            entry(resource_type="TransactionalId", operation="write", resource_name="tx-", pattern_type="prefixed"),
            entry(permission="deny", host="10.0.0.1", state="absent"),
        ]
    )
    assert errors == []
    assert desired == {
        b(): "present",
        Binding("User:*", "*", "IDEMPOTENT_WRITE", "ALLOW", "CLUSTER", "kafka-cluster", "LITERAL"): "present",
        b(operation="WRITE", rtype="TRANSACTIONAL_ID", name="tx-", pattern="PREFIXED"): "present",
        Binding("User:alice", "10.0.0.1", "READ", "DENY", "TOPIC", "orders", "LITERAL"): "absent",
    }


def test_module_state_is_the_default_and_duplicates_collapse():
    desired, errors = parse_bindings([entry(), entry(operation="READ", state="absent")], "absent")
    assert errors == [] and desired == {b(): "absent"}
    # The first inherits absent, the second asks present: a contradiction.
    desired, errors = parse_bindings([entry(), entry(state="present")], "absent")
    assert errors == ["acls[1]: User:alice ALLOW Read TOPIC:orders (LITERAL) from * is listed both present and absent"]
    desired, errors = parse_bindings([entry(), entry(operation="read")], "present")
    assert errors == [] and desired == {b(): "present"}


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        (dict(principal="alice"), "principal 'alice' must be User:<name>"),
        (dict(principal="user:alice"), "the type User is case-sensitive"),
        (dict(principal="Group:ops"), "must be User:<name>"),
        (dict(principal="User:"), "must be User:<name>"),
        (dict(operation="Reed"), "operation 'Reed' is not one of ALL, READ, WRITE"),
        (dict(operation="ANY"), "operation 'ANY' is not one of"),
        (dict(permission="maybe"), "permission 'maybe' is not one of ALLOW, DENY"),
        (dict(resource_type="queue"), "resource_type 'queue' is not one of TOPIC, GROUP, CLUSTER"),
        (dict(pattern_type="match"), "pattern_type 'match' is not one of LITERAL, PREFIXED"),
        (dict(resource_name=None), "resource_name is required for resource_type TOPIC"),
        (dict(resource_name=""), "resource_name is required"),
        (dict(host=""), "host '' must be * or an IP address"),
        (dict(operation="IdempotentWrite"), "operation IdempotentWrite does not apply to TOPIC; use one of ALL, Read"),
        (dict(operation="Write", resource_type="GROUP"), "operation Write does not apply to GROUP"),
        (
            dict(operation="Alter", resource_type="CLUSTER", resource_name="prod"),
            "the CLUSTER resource is named kafka-cluster (leave resource_name out), not 'prod'",
        ),
        (dict(operation="Alter", resource_type="CLUSTER", resource_name=None, pattern_type="PREFIXED"), "LITERAL only"),
    ],
)
def test_bad_entries_say_what_to_change(kw, message):
    desired, errors = parse_bindings([entry(), entry(**kw)])
    assert len(errors) == 1 and errors[0].startswith("acls[1]: "), errors
    assert message in errors[0], errors
    assert desired == {b(): "present"}


def test_exclusive_with_module_state_absent_is_refused():
    assert validate_params(dict(state="absent", exclusive="principals")) == [
        "exclusive: principals removes bindings that are not listed, which needs state: present "
        "(use per-binding state: absent to remove single bindings)"
    ]
    assert validate_params(dict(state="absent", exclusive="none")) == []
    assert validate_params(dict(state="present", exclusive="resources")) == []


def test_binding_line_reads_like_kafka_docs():
    line = binding_line(Binding("User:alice", "*", "IDEMPOTENT_WRITE", "ALLOW", "CLUSTER", "kafka-cluster", "LITERAL"))
    assert line == "User:alice ALLOW IdempotentWrite CLUSTER:kafka-cluster (LITERAL) from *"
    assert binding_line(b(pattern="PREFIXED", perm="DENY")) == "User:alice DENY Read TOPIC:orders (PREFIXED) from *"


OTHER_TOPIC = b(name="payments")
BOB_ORDERS = b(principal="User:bob")
ALICE_GROUP = b(rtype="GROUP", name="orders-app")


def test_plan_present_creates_only_missing_and_leaves_others():
    plan = plan_acls({b(): "present", ALICE_GROUP: "present"}, {b(), OTHER_TOPIC, BOB_ORDERS})
    assert plan["create"] == [ALICE_GROUP]
    assert plan["delete"] == []
    assert plan["unchanged"] == [b()]
    assert plan["before"] == [binding_line(b())]
    assert plan["after"] == sorted([binding_line(b()), binding_line(ALICE_GROUP)])


def test_plan_absent_deletes_existing_and_counts_missing_as_unchanged():
    plan = plan_acls({b(): "absent", ALICE_GROUP: "absent"}, {b(), OTHER_TOPIC})
    assert plan["create"] == [] and plan["delete"] == [b()]
    assert plan["unchanged"] == [ALICE_GROUP]
    assert plan["before"] == [binding_line(b())] and plan["after"] == []


def test_plan_exclusive_principals_removes_unlisted_bindings_of_named_principals_only():
    existing = {b(), OTHER_TOPIC, BOB_ORDERS}
    plan = plan_acls({b(): "present"}, existing, "principals")
    assert plan["delete"] == [OTHER_TOPIC]  # alice's other binding; bob is not named
    assert plan["before"] == sorted([binding_line(b()), binding_line(OTHER_TOPIC)])
    assert plan["after"] == [binding_line(b())]


def test_plan_exclusive_resources_removes_other_principals_on_named_resource_patterns():
    prefixed = b(principal="User:carol", pattern="PREFIXED")  # another resource pattern than LITERAL orders
    plan = plan_acls({b(): "present"}, {b(), OTHER_TOPIC, BOB_ORDERS, prefixed}, "resources")
    assert plan["delete"] == [BOB_ORDERS]
    assert plan["create"] == [] and plan["unchanged"] == [b()]


def test_plan_exclusive_counts_absent_entries_as_named():
    plan = plan_acls({OTHER_TOPIC: "absent"}, {b(), OTHER_TOPIC, BOB_ORDERS}, "principals")
    assert plan["delete"] == sorted([b(), OTHER_TOPIC], key=binding_line)


def test_plan_is_a_noop_when_everything_matches():
    plan = plan_acls({b(): "present"}, {b(), BOB_ORDERS}, "principals")
    assert plan["create"] == plan["delete"] == []
    assert plan["before"] == plan["after"]


def test_diff_text_is_one_line_per_binding():
    assert diff_text(["a", "b"]) == "a\nb\n"
    assert diff_text([]) == ""


class FakeAdmin:
    """Stands in for KafkaAdminClient's batched ACL calls."""

    def __init__(self, create_result=None, delete_result=None, describe_error=None):
        self.create_result = create_result
        self.delete_result = delete_result
        self.describe_error = describe_error
        self.calls = []

    def create_acls(self, acls):
        self.calls.append(("create", acls))
        return self.create_result(acls)

    def delete_acls(self, filters):
        self.calls.append(("delete", filters))
        return self.delete_result(filters)

    def describe_acls(self, acl_filter):
        self.calls.append(("describe", acl_filter))
        raise self.describe_error("")


def test_create_is_one_call_and_pairs_errors_with_refused_bindings():
    from kafka import errors

    wanted = [b(), ALICE_GROUP, OTHER_TOPIC]

    def partial(acls):  # kafka-python: succeeded ACLs, failed error classes, both in request order
        return {"succeeded": [acls[1]], "failed": [errors.InvalidRequestError, errors.ClusterAuthorizationFailedError]}

    admin = FakeAdmin(create_result=partial)
    with pytest.raises(AclApplyError) as caught:
        AclService(admin, 1000).create(wanted)
    assert [c[0] for c in admin.calls] == ["create"] and len(admin.calls[0][1]) == 3
    details = caught.value.details
    assert details["errors"] == [
        {"binding": binding_line(b()), "error": f"InvalidRequestError ({errors.InvalidRequestError.description})"},
        {
            "binding": binding_line(OTHER_TOPIC),
            "error": f"ClusterAuthorizationFailedError ({errors.ClusterAuthorizationFailedError.description})",
        },
    ]
    assert details["added"] == [binding_line(ALICE_GROUP)] and details["changed"] is True
    assert "Kafka refused 2 of 3 new ACL binding(s), nothing was removed" in caught.value.msg


def test_apply_removes_nothing_when_a_creation_is_refused():
    from kafka import errors

    admin = FakeAdmin(create_result=lambda acls: {"succeeded": [], "failed": [errors.InvalidRequestError]})
    with pytest.raises(AclApplyError) as caught:
        AclService(admin, 1000).apply([b()], [BOB_ORDERS])
    assert [c[0] for c in admin.calls] == ["create"]
    assert caught.value.details["changed"] is False


def test_delete_is_one_call_with_exact_filters_and_reports_refusals():
    from kafka import errors

    def outcome(filters):
        return [(filters[0], [], errors.NoError), (filters[1], [], errors.SecurityDisabledError)]

    admin = FakeAdmin(delete_result=outcome)
    with pytest.raises(AclApplyError) as caught:
        AclService(admin, 1000).delete([b(), BOB_ORDERS])
    (call,) = admin.calls
    exact = call[1][1]
    assert (exact.principal, exact.host, exact.operation.name, exact.resource_pattern.pattern_type.name) == (
        "User:bob",
        "*",
        "READ",
        "LITERAL",
    )
    assert caught.value.details["errors"] == [
        {"binding": binding_line(BOB_ORDERS), "error": "SecurityDisabledError (Security features are disabled.)"}
    ]
    assert caught.value.details["removed"] == [binding_line(b())]


def test_security_disabled_names_the_role_variable():
    from kafka import errors

    with pytest.raises(KafkaModuleError) as caught:
        AclService(FakeAdmin(describe_error=errors.SecurityDisabledError), 1000).describe_all()
    assert caught.value.msg == NO_AUTHORIZER_MSG
    assert "the cluster has no authorizer: set kafka_kraft_authorizer_enabled (kafka_kraft role)" in NO_AUTHORIZER_MSG


def test_kafka_objects_round_trip():
    service = AclService(None, 1000)
    for binding in (b(), b(rtype="USER", name="bob", operation="CREATE_TOKENS", pattern="PREFIXED", perm="DENY")):
        assert service.to_binding(service.to_acl(binding)) == binding
