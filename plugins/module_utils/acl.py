# -*- coding: utf-8 -*-
# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0
"""ACL planning for kafkaops.kraft.kafka_acl.

Pure functions (parse_bindings, plan_acls, binding_line) decide what must change
and are unit-tested without Kafka; AclService makes the batched kafka-python
calls: one DescribeAcls for the whole cluster, one CreateAcls, one DeleteAcls.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import collections
import time

from ansible_collections.kafkaops.kraft.plugins.module_utils.kafka_client import KafkaModuleError

# Kafka's enum names; ANY, UNKNOWN and MATCH only exist in filters.
OPERATIONS = (
    "ALL",
    "READ",
    "WRITE",
    "CREATE",
    "DELETE",
    "ALTER",
    "DESCRIBE",
    "CLUSTER_ACTION",
    "DESCRIBE_CONFIGS",
    "ALTER_CONFIGS",
    "IDEMPOTENT_WRITE",
    "CREATE_TOKENS",
    "DESCRIBE_TOKENS",
)
RESOURCE_TYPES = ("TOPIC", "GROUP", "CLUSTER", "TRANSACTIONAL_ID", "DELEGATION_TOKEN", "USER")
PERMISSIONS = ("ALLOW", "DENY")
PATTERN_TYPES = ("LITERAL", "PREFIXED")
CLUSTER_RESOURCE_NAME = "kafka-cluster"
PRINCIPAL_TYPE = "User"
EXCLUSIVE_MODES = ("none", "principals", "resources")

# What kafka-acls accepts per resource type (AclEntry.supportedOperations, plus ALL):
# anything else is stored by Kafka but never grants anything.
SUPPORTED_OPERATIONS = {
    "TOPIC": {"READ", "WRITE", "CREATE", "DESCRIBE", "DELETE", "ALTER", "DESCRIBE_CONFIGS", "ALTER_CONFIGS"},
    "GROUP": {"READ", "DESCRIBE", "DELETE"},
    "CLUSTER": {
        "CREATE",
        "CLUSTER_ACTION",
        "DESCRIBE_CONFIGS",
        "ALTER_CONFIGS",
        "IDEMPOTENT_WRITE",
        "ALTER",
        "DESCRIBE",
    },
    "TRANSACTIONAL_ID": {"DESCRIBE", "WRITE"},
    "DELEGATION_TOKEN": {"DESCRIBE"},
    "USER": {"CREATE_TOKENS", "DESCRIBE_TOKENS"},
}

NO_AUTHORIZER_MSG = (
    "the cluster has no authorizer: set kafka_kraft_authorizer_enabled (kafka_kraft role), "
    "Kafka answered DescribeAcls with SECURITY_DISABLED"
)

Binding = collections.namedtuple(
    "Binding", "principal host operation permission resource_type resource_name pattern_type"
)


def _squash(value):
    return str(value).replace("_", "").replace("-", "").upper()


def canonical(value, names):
    """Kafka's enum name for `value`, matching case-insensitively and ignoring _ and -,
    so READ, read, IdempotentWrite and idempotent_write all work; None if unknown."""
    wanted = _squash(value)
    return next((name for name in names if _squash(name) == wanted), None)


def camel(name):
    """IDEMPOTENT_WRITE -> IdempotentWrite, as Kafka's documentation spells operations."""
    return "".join(part.capitalize() for part in name.split("_"))


def binding_line(binding):
    """One readable line per binding, e.g. User:alice ALLOW Write TOPIC:orders (LITERAL) from *."""
    return "%s %s %s %s:%s (%s) from %s" % (
        binding.principal,
        binding.permission,
        camel(binding.operation),
        binding.resource_type,
        binding.resource_name,
        binding.pattern_type,
        binding.host,
    )


def sorted_lines(bindings):
    return sorted(binding_line(b) for b in bindings)


def _field_error(index, field, value, names, hint=""):
    return "acls[%d]: %s %r is not one of %s%s" % (index, field, value, ", ".join(names), hint)


def parse_binding(entry, index):
    """(Binding, errors) for one entry of the acls option."""
    errors = []
    principal = entry.get("principal") or ""
    kind, sep, name = principal.partition(":")
    if kind != PRINCIPAL_TYPE or not sep or not name or name != name.strip():
        errors.append(
            "acls[%d]: principal %r must be User:<name> (or User:* for everyone); the type User is case-sensitive"
            % (index, principal)
        )
    host = entry.get("host")
    host = "*" if host is None else str(host)
    if not host or host != host.strip():
        errors.append("acls[%d]: host %r must be * or an IP address, without spaces" % (index, host))

    operation = canonical(entry.get("operation") or "", OPERATIONS)
    if operation is None:
        hint = " (any case; Kafka's CamelCase such as IdempotentWrite works too)"
        errors.append(_field_error(index, "operation", entry.get("operation"), OPERATIONS, hint))
    permission = canonical(entry.get("permission") or "ALLOW", PERMISSIONS)
    if permission is None:
        errors.append(_field_error(index, "permission", entry.get("permission"), PERMISSIONS))
    resource_type = canonical(entry.get("resource_type") or "", RESOURCE_TYPES)
    if resource_type is None:
        errors.append(_field_error(index, "resource_type", entry.get("resource_type"), RESOURCE_TYPES))
    pattern_type = canonical(entry.get("pattern_type") or "LITERAL", PATTERN_TYPES)
    if pattern_type is None:
        errors.append(_field_error(index, "pattern_type", entry.get("pattern_type"), PATTERN_TYPES))

    resource_name = entry.get("resource_name")
    if resource_type == "CLUSTER":
        if resource_name is None:
            resource_name = CLUSTER_RESOURCE_NAME
        elif resource_name != CLUSTER_RESOURCE_NAME:
            errors.append(
                "acls[%d]: the CLUSTER resource is named %s (leave resource_name out), not %r"
                % (index, CLUSTER_RESOURCE_NAME, resource_name)
            )
        if pattern_type == "PREFIXED":
            errors.append("acls[%d]: the CLUSTER resource takes pattern_type LITERAL only" % index)
    elif not resource_name:
        errors.append("acls[%d]: resource_name is required for resource_type %s" % (index, resource_type))
    if operation and resource_type and operation != "ALL" and operation not in SUPPORTED_OPERATIONS[resource_type]:
        errors.append(
            "acls[%d]: operation %s does not apply to %s; use one of ALL, %s"
            % (
                index,
                camel(operation),
                resource_type,
                ", ".join(camel(op) for op in OPERATIONS if op in SUPPORTED_OPERATIONS[resource_type]),
            )
        )
    if errors:
        return None, errors
    return Binding(principal, host, operation, permission, resource_type, str(resource_name), pattern_type), []


def parse_bindings(entries, default_state="present"):
    """Validate the acls option: ({Binding: 'present'|'absent'}, errors).

    Duplicate entries collapse into one; the same binding asked both present
    and absent is an error."""
    desired = {}
    errors = []
    for index, entry in enumerate(entries or []):
        binding, problems = parse_binding(entry, index)
        errors.extend(problems)
        if binding is None:
            continue
        state = entry.get("state") or default_state
        if desired.get(binding, state) != state:
            errors.append("acls[%d]: %s is listed both present and absent" % (index, binding_line(binding)))
        desired[binding] = state
    return desired, errors


def validate_params(params):
    """Option combinations that make no sense, before any connection."""
    errors = []
    exclusive = params.get("exclusive") or "none"
    if exclusive != "none" and params.get("state") == "absent":
        errors.append(
            "exclusive: %s removes bindings that are not listed, which needs state: present "
            "(use per-binding state: absent to remove single bindings)" % exclusive
        )
    return errors


def resource_of(binding):
    return (binding.resource_type, binding.resource_name, binding.pattern_type)


def plan_acls(desired, existing, exclusive="none"):
    """What to create and delete so the cluster matches `desired`.

    desired: {Binding: state}; existing: every binding in the cluster.
    exclusive 'principals' (or 'resources') also deletes existing bindings of
    any principal (resource pattern) named in desired that are not listed present.
    The diff covers only the bindings in scope: the listed ones and, when
    exclusive, every existing binding of the named principals or resources.
    """
    existing = set(existing)
    present = set(b for b, state in desired.items() if state == "present")
    absent = set(b for b, state in desired.items() if state == "absent")
    if exclusive == "principals":
        named = set(b.principal for b in desired)
        in_scope = set(b for b in existing if b.principal in named)
    elif exclusive == "resources":
        named = set(resource_of(b) for b in desired)
        in_scope = set(b for b in existing if resource_of(b) in named)
    else:
        in_scope = set()
    create = present - existing
    delete = (absent & existing) | (in_scope - present)
    unchanged = (present & existing) | (absent - existing)
    before = (existing & set(desired)) | in_scope
    after = (before - delete) | create
    return dict(
        create=sorted(create, key=binding_line),
        delete=sorted(delete, key=binding_line),
        unchanged=sorted(unchanged, key=binding_line),
        before=sorted_lines(before),
        after=sorted_lines(after),
    )


def summary(added, removed, unchanged):
    return "%d added, %d removed, %d unchanged" % (len(added), len(removed), len(unchanged))


def diff_text(lines):
    """Ansible renders string before/after as a unified diff: one line per binding."""
    return "".join(line + "\n" for line in lines)


class AclApplyError(KafkaModuleError):
    """Kafka refused some bindings; carries which ones and what was applied."""


class AclService:
    """The kafka-python ACL calls, batched, with Kafka errors made readable."""

    def __init__(self, admin, timeout_ms):
        self.admin = admin
        self.timeout_ms = timeout_ms

    def describe_all(self):
        """Every binding in the cluster, from one DescribeAcls with a match-anything filter."""
        import kafka.admin as ka
        from kafka import errors

        match_all = ka.ACLFilter(
            principal=None,
            host=None,
            operation=ka.ACLOperation.ANY,
            permission_type=ka.ACLPermissionType.ANY,
            resource_pattern=ka.ResourcePatternFilter(ka.ResourceType.ANY, None, ka.ACLResourcePatternType.ANY),
        )
        try:
            acls, _error = self.admin.describe_acls(match_all)
        except errors.SecurityDisabledError:
            raise KafkaModuleError(NO_AUTHORIZER_MSG) from None
        except errors.ClusterAuthorizationFailedError:
            raise KafkaModuleError(
                "not authorized to describe ACLs: the connecting principal needs Describe and Alter on "
                "CLUSTER:%s, or to be in super.users" % CLUSTER_RESOURCE_NAME
            ) from None
        return set(self.to_binding(acl) for acl in acls)

    def create(self, bindings):
        """One CreateAcls for every binding; raises AclApplyError listing the refused ones."""
        if not bindings:
            return []
        acls = [self.to_acl(b) for b in bindings]
        result = self.admin.create_acls(acls)
        succeeded = set(self.to_binding(acl) for acl in result["succeeded"])
        # kafka-python keeps the request order but drops the pairing of an error with
        # its binding: the n-th failure belongs to the n-th binding not succeeded.
        refused = [b for b in bindings if b not in succeeded]
        failures = list(result["failed"]) + [None] * len(refused)
        errors = [dict(binding=binding_line(b), error=_error_text(failures[i])) for i, b in enumerate(refused)]
        if refused:
            created = [b for b in bindings if b in succeeded]
            raise AclApplyError(
                "Kafka refused %d of %d new ACL binding(s), nothing was removed: %s"
                % (len(refused), len(bindings), "; ".join("%s: %s" % (e["binding"], e["error"]) for e in errors)),
                errors=errors,
                added=sorted_lines(created),
                changed=bool(created),
            )
        return bindings

    def delete(self, bindings):
        """One DeleteAcls with an exact filter per binding; raises AclApplyError on refusals."""
        if not bindings:
            return []
        from kafka.errors import NoError

        # One (filter, matched ACLs, error) per filter, in request order.
        results = self.admin.delete_acls([self.to_acl_filter(b) for b in bindings])
        errors = [
            dict(binding=binding_line(b), error=_error_text(results[i][2]))
            for i, b in enumerate(bindings)
            if results[i][2] is not NoError
        ]
        if errors:
            failed = set(e["binding"] for e in errors)
            raise AclApplyError(
                "Kafka refused to delete %d of %d ACL binding(s): %s"
                % (len(errors), len(bindings), "; ".join("%s: %s" % (e["binding"], e["error"]) for e in errors)),
                errors=errors,
                removed=[line for line in sorted_lines(bindings) if line not in failed],
                changed=True,
            )
        return bindings

    def apply(self, create, delete):
        """Additions first, so replacing a binding never leaves a gap in access;
        then removals, then wait until the broker shows both."""
        self.create(create)
        try:
            self.delete(delete)
        except AclApplyError as exc:
            exc.details["added"] = sorted_lines(create)
            raise
        self.wait_applied(create, delete)

    def wait_applied(self, created, deleted):
        """Wait until the broker's metadata shows the changes, which KRaft applies
        after the controller answers; also catches a deletion kafka-python reported
        as done although Kafka refused that single binding."""
        created, deleted = set(created), set(deleted)
        deadline = time.monotonic() + self.timeout_ms / 1000.0
        while True:
            current = self.describe_all()
            missing, lingering = created - current, deleted & current
            if not missing and not lingering:
                return
            if time.monotonic() > deadline:
                raise KafkaModuleError(
                    "timed out after %d ms waiting for the ACL changes to show; still missing: %s; still present: %s"
                    % (self.timeout_ms, sorted_lines(missing) or "none", sorted_lines(lingering) or "none"),
                    missing=sorted_lines(missing),
                    still_present=sorted_lines(lingering),
                )
            time.sleep(0.2)

    @staticmethod
    def to_binding(acl):
        pattern = acl.resource_pattern
        return Binding(
            acl.principal,
            acl.host,
            acl.operation.name,
            acl.permission_type.name,
            pattern.resource_type.name,
            pattern.resource_name,
            pattern.pattern_type.name,
        )

    @staticmethod
    def to_acl(binding):
        import kafka.admin as ka

        return ka.ACL(
            principal=binding.principal,
            host=binding.host,
            operation=ka.ACLOperation[binding.operation],
            permission_type=ka.ACLPermissionType[binding.permission],
            resource_pattern=ka.ResourcePattern(
                ka.ResourceType[binding.resource_type],
                binding.resource_name,
                ka.ACLResourcePatternType[binding.pattern_type],
            ),
        )

    @staticmethod
    def to_acl_filter(binding):
        """A filter matching exactly this binding: LITERAL/PREFIXED filters compare names as they are."""
        import kafka.admin as ka

        return ka.ACLFilter(
            principal=binding.principal,
            host=binding.host,
            operation=ka.ACLOperation[binding.operation],
            permission_type=ka.ACLPermissionType[binding.permission],
            resource_pattern=ka.ResourcePatternFilter(
                ka.ResourceType[binding.resource_type],
                binding.resource_name,
                ka.ACLResourcePatternType[binding.pattern_type],
            ),
        )


def _error_text(error):
    """kafka-python hands back error classes (or instances); name and Kafka's description."""
    if error is None:
        return "refused (kafka-python gave no error code)"
    cls = error if isinstance(error, type) else type(error)
    description = getattr(cls, "description", "") or ""
    return "%s%s" % (cls.__name__, (" (%s)" % description) if description else "")
