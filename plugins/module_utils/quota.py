# -*- coding: utf-8 -*-
# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0
"""Client quota planning for kafkaops.kraft.kafka_quota.

Pure functions (validate_entries, parse_quota_entries, plan_quotas) decide what
must change and are unit-tested without Kafka; QuotaService sends kafka-python's
DescribeClientQuotas (API 48) and AlterClientQuotas (API 49) requests, which its
KafkaAdminClient has no public method for, through the admin client's own
connection manager with the request timeout.

Entities are tuples of (entity_type, name) pairs, user before client-id, where
a name of None is Kafka's default entity (<default>).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible_collections.kafkaops.kraft.plugins.module_utils.kafka_client import KafkaModuleError

USER = "user"
CLIENT_ID = "client-id"
ENTITY_ORDER = (USER, CLIENT_ID)
DEFAULT_NAME = "<default>"
QUOTA_KEYS = ("producer_byte_rate", "consumer_byte_rate", "request_percentage", "controller_mutation_rate")
# Kafka stores these as longs and refuses fractions.
WHOLE_NUMBER_KEYS = ("producer_byte_rate", "consumer_byte_rate")
MARKS = dict(added="+", changed="~", removed="-")


def entity_of(entry):
    """The entity an entry names, or None when it names none."""
    parts = []
    if entry.get("user_default"):
        parts.append((USER, None))
    elif entry.get("user") is not None:
        parts.append((USER, entry["user"]))
    if entry.get("client_id_default"):
        parts.append((CLIENT_ID, None))
    elif entry.get("client_id") is not None:
        parts.append((CLIENT_ID, entry["client_id"]))
    return tuple(parts) or None


def entity_label(entity):
    """user=alice,client-id=<default>: how the diff and results name an entity."""
    return ",".join("%s=%s" % (kind, DEFAULT_NAME if name is None else name) for kind, name in entity)


def entry_label(index, entry):
    entity = entity_of(entry)
    return entity_label(entity) if entity else "quotas[%d]" % index


def listed_values(entry):
    return dict((key, entry[key]) for key in QUOTA_KEYS if entry.get(key) is not None)


def format_value(value):
    """1048576.0 -> '1048576', 12.5 -> '12.5' (Kafka answers every value as a double)."""
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def plain_value(value):
    value = float(value)
    return int(value) if value.is_integer() else value


def value_errors(label, key, value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return ["%s: %s must be a number, got %r" % (label, key, value)]
    if value <= 0:
        return ["%s: %s must be greater than 0, got %s" % (label, key, format_value(value))]
    if key in WHOLE_NUMBER_KEYS and not float(value).is_integer():
        return ["%s: %s must be a whole number of bytes per second, got %r" % (label, key, value)]
    return []


def validate_entries(entries):
    """Problems in the quota list alone, found before any connection."""
    if not entries:
        return ["quotas must list at least one entry"]
    errors = []
    seen = {}
    for index, entry in enumerate(entries):
        label = entry_label(index, entry)
        for kind, option in ((USER, "user"), (CLIENT_ID, "client_id")):
            name = entry.get(option)
            if name is not None and entry.get(option + "_default"):
                errors.append(
                    "%s: %s and %s_default are mutually exclusive (a name, or Kafka's default %s)"
                    % (label, option, option, kind)
                )
            elif name is not None and not name.strip():
                errors.append(
                    "%s: %s must not be empty; use %s_default: true for the default %s" % (label, option, option, kind)
                )
        user = entry.get("user")
        if user and user.startswith("User:"):
            errors.append(
                "%s: user is the principal's name without the 'User:' prefix, e.g. user: %s"
                % (label, user[len("User:") :])
            )
        entity = entity_of(entry)
        if entity is None:
            errors.append(
                "quotas[%d] names no entity: set user (or user_default), client_id (or client_id_default), or both"
                % index
            )
        elif entity in seen:
            errors.append("%s is listed twice (quotas[%d] and quotas[%d])" % (label, seen[entity], index))
        else:
            seen[entity] = index
        values = listed_values(entry)
        state = entry.get("state") or "present"
        if state == "absent":
            if values:
                errors.append(
                    "%s: state absent removes every quota of the entity, so it takes no values (got %s)"
                    % (label, ", ".join(sorted(values)))
                )
            if entry.get("exclusive"):
                errors.append("%s: exclusive only applies to state present" % label)
            continue
        if not values and not entry.get("exclusive"):
            errors.append(
                "%s lists no quota value: give at least one of %s, or state: absent" % (label, ", ".join(QUOTA_KEYS))
            )
        for key in QUOTA_KEYS:
            if key in values:
                errors.extend(value_errors(label, key, values[key]))
    return errors


def wire_entity(pairs):
    """Kafka lists an entity's parts in any order; ours are user, then client-id, then others."""
    return tuple(sorted(pairs, key=lambda part: (_kind_order(part[0]), part[0])))


def _kind_order(kind):
    return ENTITY_ORDER.index(kind) if kind in ENTITY_ORDER else len(ENTITY_ORDER)


def parse_quota_entries(entries):
    """DescribeClientQuotas entries -> {entity: {key: value}} for user/client-id entities.

    Other entity types (ip) are not this module's and are dropped.
    """
    current = {}
    for entry in entries or []:
        entity = wire_entity((e["entity_type"], e["entity_name"]) for e in entry["entity"])
        if not entity or any(kind not in ENTITY_ORDER for kind, _name in entity):
            continue
        values = dict((v["key"], float(v["value"])) for v in entry["values"])
        if values:
            current[entity] = values
    return current


def plan_quotas(entries, current):
    """Decide every change for the quota list.

    entries: validated module entries; current: parse_quota_entries() result.
    Returns alter (entity -> [(key, value or None to remove)]), expected
    (entity -> values once applied), lines (the readable diff, one per quota
    value), results (one per entry) and summary (entries added / changed /
    removed / unchanged).
    """
    plan = dict(alter={}, expected={}, lines=[], results=[], summary=dict(added=0, changed=0, removed=0, unchanged=0))
    for entry in entries:
        entity = entity_of(entry)
        label = entity_label(entity)
        before = dict(current.get(entity, {}))
        state = entry.get("state") or "present"
        if state == "absent":
            after = {}
        else:
            after = dict(before) if not entry.get("exclusive") else {}
            after.update((k, float(v)) for k, v in listed_values(entry).items())
        ops = []
        for key in sorted(set(before) | set(after), key=_key_order):
            old, new = before.get(key), after.get(key)
            if old == new:
                continue
            ops.append((key, new))
            if old is None:
                plan["lines"].append("+ %s %s %s" % (label, key, format_value(new)))
            elif new is None:
                plan["lines"].append("- %s %s %s" % (label, key, format_value(old)))
            else:
                plan["lines"].append("~ %s %s %s -> %s" % (label, key, format_value(old), format_value(new)))
        if ops:
            plan["alter"][entity] = ops
        status = _status(before, after)
        plan["summary"][status] += 1
        if status != "unchanged":
            plan["expected"][entity] = after
        names = dict(entity)
        plan["results"].append(
            dict(
                entity=label,
                user=_display_name(names, USER),
                client_id=_display_name(names, CLIENT_ID),
                state=state,
                status=status,
                before=_plain(before),
                after=_plain(after),
            )
        )
    plan["changed"] = bool(plan["alter"])
    return plan


def _display_name(names, kind):
    if kind not in names:
        return None
    return DEFAULT_NAME if names[kind] is None else names[kind]


def _key_order(key):
    return (QUOTA_KEYS.index(key) if key in QUOTA_KEYS else len(QUOTA_KEYS), key)


def _status(before, after):
    if before == after:
        return "unchanged"
    if not before:
        return "added"
    if not after:
        return "removed"
    return "changed"


def _plain(values):
    return dict((k, plain_value(v)) for k, v in sorted(values.items(), key=lambda kv: _key_order(kv[0])))


def summary_line(summary):
    return "client quotas: %(added)d added, %(changed)d changed, %(removed)d removed, %(unchanged)d unchanged" % summary


def diff_text(plan):
    return "\n".join([summary_line(plan["summary"])] + plan["lines"]) + "\n"


def kafka_error_message(entity, message, code):
    return "Kafka refused the quota change for %s: %s (error code %s)" % (entity_label(entity), message or "", code)


class QuotaService:
    """DescribeClientQuotas / AlterClientQuotas over a KafkaAdminClient's connections."""

    def __init__(self, admin, timeout_ms):
        self.admin = admin
        self.timeout_ms = timeout_ms

    def _send(self, request):
        manager = self.admin._manager

        async def send_with_timeout():
            # wait_for bounds the whole exchange, connecting included.
            return await manager.wait_for(manager.send(request), self.timeout_ms)

        return manager.run(send_with_timeout)

    def describe(self):
        """Every user and client-id quota in the cluster: {entity: {key: value}}.

        One unfiltered request rather than one per entity: filter components are
        ANDed, so N entities would need N requests, while the cluster's whole
        quota list is one answer.
        """
        from kafka.protocol.admin import DescribeClientQuotasRequest

        response = self._send(DescribeClientQuotasRequest(components=[], strict=False))
        if response.error_code:
            raise KafkaModuleError(
                "Kafka refused to describe client quotas: %s (error code %d)"
                % (response.error_message or "", response.error_code),
                kafka_error_code=response.error_code,
            )
        return parse_quota_entries(response.to_dict()["entries"])

    def alter(self, alter, validate_only):
        """Send every change in one request; raise with each refused entity."""
        from kafka.protocol.admin import AlterClientQuotasRequest

        entry_type = AlterClientQuotasRequest.EntryData
        entries = [
            entry_type(
                entity=[entry_type.EntityData(entity_type=kind, entity_name=name) for kind, name in entity],
                ops=[
                    entry_type.OpData(key=key, value=0.0 if value is None else float(value), remove=value is None)
                    for key, value in ops
                ],
            )
            for entity, ops in alter.items()
        ]
        response = self._send(AlterClientQuotasRequest(entries=entries, validate_only=validate_only))
        refused = []
        for result in response.entries:
            if result.error_code:
                entity = wire_entity((e.entity_type, e.entity_name) for e in result.entity)
                refused.append(kafka_error_message(entity, result.error_message, result.error_code))
        if refused:
            raise KafkaModuleError("; ".join(sorted(refused)), refused=sorted(refused))

    def apply(self, plan):
        """Validate the whole batch, then apply it and wait until brokers show it.

        Kafka applies the valid entries of a request and refuses the others, so
        the validate_only pass keeps a bad entry from leaving a half-applied run.
        """
        self.alter(plan["alter"], validate_only=True)
        self.alter(plan["alter"], validate_only=False)
        # A KRaft broker answers Describe from its metadata image, which follows
        # the controller's commit asynchronously.
        deadline = time.monotonic() + self.timeout_ms / 1000.0
        while True:
            current = self.describe()
            if all(current.get(entity, {}) == after for entity, after in plan["expected"].items()):
                return current
            if time.monotonic() > deadline:
                raise KafkaModuleError("timed out after %d ms waiting for the quota changes to show" % self.timeout_ms)
            time.sleep(0.2)
