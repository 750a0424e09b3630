"""Pure planning logic of kafkaops.kraft.kafka_quota (no Kafka)."""

from __future__ import annotations

import pytest
from ansible_collections.kafkaops.kraft.plugins.module_utils.quota import (
    diff_text,
    entity_label,
    parse_quota_entries,
    plan_quotas,
    validate_entries,
)

ALICE = (("user", "alice"),)
BOB = (("user", "bob"),)
DEFAULT_CLIENT = (("client-id", None),)
PAIR = (("user", "alice"), ("client-id", "app"))


def entry(**kwargs):
    """An entry as the argument spec hands it over: every option present."""
    base = dict(
        user=None,
        user_default=False,
        client_id=None,
        client_id_default=False,
        state="present",
        exclusive=False,
        producer_byte_rate=None,
        consumer_byte_rate=None,
        request_percentage=None,
        controller_mutation_rate=None,
    )
    base.update(kwargs)
    return base


def test_labels_name_defaults_and_pairs():
    assert entity_label(ALICE) == "user=alice"
    assert entity_label(DEFAULT_CLIENT) == "client-id=<default>"
    assert entity_label(((("user", None)), ("client-id", "app"))) == "user=<default>,client-id=app"


def test_parse_orders_entity_parts_and_drops_ip_entities():
    wire = [
        {
            "entity": [
                {"entity_type": "client-id", "entity_name": "app"},
                {"entity_type": "user", "entity_name": "alice"},
            ],
            "values": [{"key": "request_percentage", "value": 12.5}],
        },
        {"entity": [{"entity_type": "ip", "entity_name": "10.0.0.1"}], "values": [{"key": "x", "value": 1.0}]},
        {"entity": [{"entity_type": "client-id", "entity_name": None}], "values": []},
    ]
    assert parse_quota_entries(wire) == {PAIR: {"request_percentage": 12.5}}


def test_plan_add_change_remove_and_diff_lines():
    current = {ALICE: {"producer_byte_rate": 1048576.0}, BOB: {"request_percentage": 200.0}}
    entries = [
        entry(user="alice", producer_byte_rate=2097152),
        entry(client_id_default=True, consumer_byte_rate=1048576),
        entry(user="bob", state="absent"),
    ]
    plan = plan_quotas(entries, current)
    assert plan["lines"] == [
        "~ user=alice producer_byte_rate 1048576 -> 2097152",
        "+ client-id=<default> consumer_byte_rate 1048576",
        "- user=bob request_percentage 200",
    ]
    assert plan["summary"] == dict(added=1, changed=1, removed=1, unchanged=0)
    assert plan["alter"] == {
        ALICE: [("producer_byte_rate", 2097152.0)],
        DEFAULT_CLIENT: [("consumer_byte_rate", 1048576.0)],
        BOB: [("request_percentage", None)],
    }
    assert diff_text(plan).splitlines()[0] == "client quotas: 1 added, 1 changed, 1 removed, 0 unchanged"
    assert [r["status"] for r in plan["results"]] == ["changed", "added", "removed"]
    assert plan["results"][1]["client_id"] == "<default>" and plan["results"][1]["user"] is None


def test_plan_is_idempotent_on_its_own_outcome():
    entries = [entry(user="alice", client_id="app", request_percentage=12.5, consumer_byte_rate=1024)]
    first = plan_quotas(entries, {})
    second = plan_quotas(entries, dict(first["expected"]))
    assert second["changed"] is False and second["lines"] == []
    assert second["summary"] == dict(added=0, changed=0, removed=0, unchanged=1)


def test_unlisted_keys_stay_unless_exclusive():
    current = {ALICE: {"producer_byte_rate": 1024.0, "request_percentage": 50.0}}
    kept = plan_quotas([entry(user="alice", producer_byte_rate=1024)], current)
    assert kept["changed"] is False
    exclusive = plan_quotas([entry(user="alice", producer_byte_rate=1024, exclusive=True)], current)
    assert exclusive["lines"] == ["- user=alice request_percentage 50"]
    assert exclusive["results"][0]["after"] == {"producer_byte_rate": 1024}


def test_absent_entity_without_quotas_is_unchanged():
    plan = plan_quotas([entry(user="ghost", state="absent")], {ALICE: {"producer_byte_rate": 1.0}})
    assert plan["changed"] is False and plan["summary"]["unchanged"] == 1


def test_other_entities_are_never_touched():
    plan = plan_quotas([entry(user="alice", producer_byte_rate=5)], {BOB: {"producer_byte_rate": 1.0}})
    assert list(plan["alter"]) == [ALICE]


@pytest.mark.parametrize(
    "bad, message",
    [
        (entry(), "names no entity"),
        (entry(user="alice", user_default=True, producer_byte_rate=1), "user and user_default are mutually exclusive"),
        (entry(client_id="a", client_id_default=True, producer_byte_rate=1), "client_id and client_id_default"),
        (entry(user="User:alice", producer_byte_rate=1), "without the 'User:' prefix, e.g. user: alice"),
        (entry(user="", producer_byte_rate=1), "user must not be empty"),
        (entry(user="alice"), "lists no quota value"),
        (entry(user="alice", state="absent", producer_byte_rate=1), "takes no values (got producer_byte_rate)"),
        (entry(user="alice", state="absent", exclusive=True), "exclusive only applies to state present"),
        (entry(user="alice", producer_byte_rate=-1), "producer_byte_rate must be greater than 0, got -1"),
        (entry(user="alice", request_percentage=0.0), "request_percentage must be greater than 0"),
        (entry(user="alice", consumer_byte_rate=1.5), "consumer_byte_rate must be a whole number"),
        (entry(user="alice", controller_mutation_rate=True), "controller_mutation_rate must be a number"),
    ],
)
def test_bad_entries_say_what_to_change(bad, message):
    errors = validate_entries([bad])
    assert any(message in e for e in errors), errors


def test_duplicate_entity_is_refused():
    errors = validate_entries([entry(user="alice", producer_byte_rate=1), entry(user="alice", consumer_byte_rate=2)])
    assert errors == ["user=alice is listed twice (quotas[0] and quotas[1])"]


def test_valid_entries_pass():
    entries = [
        entry(user="alice", producer_byte_rate=1048576),
        entry(user_default=True, client_id="app", request_percentage=12.5),
        entry(user="alice", client_id="app", exclusive=True),
        entry(client_id_default=True, state="absent"),
    ]
    assert validate_entries(entries) == []
