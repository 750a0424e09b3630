"""Pure planning logic of kafka_user: validation, expansion, plan, diff, request rounds, no secrets."""

from __future__ import annotations

import pytest
from ansible_collections.kafkaops.kraft.plugins.module_utils.kafka_client import KafkaModuleError
from ansible_collections.kafkaops.kraft.plugins.module_utils.scram_user import (
    alteration_rounds,
    desired_credentials,
    diff_text,
    parse_described,
    plan_credentials,
    validate_users,
)

SECRET = "pw-Unit-7c1e"  # noqa: S105 - a test password, looked for in every output


def user(name, **kw):
    entry = dict(name=name, password=SECRET, mechanism=None, mechanisms=None, iterations=8192, state="present")
    entry.update(kw)
    return entry


def public_parts(plan):
    return {k: v for k, v in plan.items() if k != "upserts"}


def test_valid_entries_have_no_errors():
    assert validate_users([user("alice"), user("bob", mechanisms=["SCRAM-SHA-256", "SCRAM-SHA-512"])]) == []
    assert validate_users([user("gone", password=None, state="absent", iterations=1)]) == []


@pytest.mark.parametrize(
    "entry, expected",
    [
        (
            user("a", mechanism="SCRAM-SHA-1"),
            "users[0] (a): mechanism 'SCRAM-SHA-1' is not supported; use SCRAM-SHA-256 or SCRAM-SHA-512",
        ),
        (user("a", iterations=1000), "users[0] (a): iterations 1000 is out of range; Kafka accepts 4096 to 16384"),
        (user("a", iterations=20000), "users[0] (a): iterations 20000 is out of range; Kafka accepts 4096 to 16384"),
        (user("a", password=None), "users[0] (a): state present needs a non-empty password"),
        (user("a", password=""), "users[0] (a): state present needs a non-empty password"),
        (
            user("", password="pw-x"),  # noqa: S106
            "users[0] (no name): name must not be empty",
        ),
        (
            user("a", mechanism="SCRAM-SHA-256", mechanisms=["SCRAM-SHA-512"]),
            "users[0] (a): set mechanism or mechanisms, not both",
        ),
        (user("a", mechanisms=[]), "users[0] (a): mechanisms must list at least one of SCRAM-SHA-256, SCRAM-SHA-512"),
    ],
)
def test_invalid_entries_say_what_to_change(entry, expected):
    assert validate_users([entry]) == [expected]


def test_invalid_update_password():
    assert validate_users([], "sometimes") == ["update_password must be on_create or always, got 'sometimes'"]


def test_expansion_defaults_and_both_mechanisms():
    present, absent_mechs, absent_users = desired_credentials(
        [
            user("alice"),
            user("bob", mechanisms=["SCRAM-SHA-256", "SCRAM-SHA-512", "SCRAM-SHA-256"], iterations=4096),
            user("carol", state="absent", password=None),
            user("dave", mechanism="SCRAM-SHA-256", state="absent", password=None),
        ]
    )
    assert sorted(present) == [("alice", "SCRAM-SHA-512"), ("bob", "SCRAM-SHA-256"), ("bob", "SCRAM-SHA-512")]
    assert present[("bob", "SCRAM-SHA-256")]["iterations"] == 4096
    assert absent_mechs == {("dave", "SCRAM-SHA-256")}
    assert absent_users == {"carol"}


def test_one_entry_per_mechanism_is_the_same_as_mechanisms():
    one = desired_credentials([user("bob", mechanisms=["SCRAM-SHA-256", "SCRAM-SHA-512"])])
    two = desired_credentials([user("bob", mechanism="SCRAM-SHA-256"), user("bob", mechanism="SCRAM-SHA-512")])
    assert one == two


def test_same_credential_twice_is_refused():
    with pytest.raises(KafkaModuleError) as err:
        desired_credentials([user("bob"), user("bob", mechanism="SCRAM-SHA-512", password="pw-other")])  # noqa: S106
    assert err.value.msg == (
        "Invalid users: user bob SCRAM-SHA-512 is listed twice (users[0] and users[1]); list each credential once"
    )
    assert SECRET not in str(err.value) and "pw-other" not in str(err.value)


def test_absent_all_and_present_for_one_user_is_refused():
    with pytest.raises(KafkaModuleError) as err:
        desired_credentials([user("bob", state="absent"), user("bob", mechanism="SCRAM-SHA-256")])
    assert "user bob is absent (all mechanisms) in users[0] but also listed with SCRAM-SHA-256" in err.value.msg


def test_parse_described_spells_mechanisms_like_kafka():
    from kafka.admin import ScramMechanism

    described = {
        "alice": {"error": None, "credential_infos": [{"mechanism": ScramMechanism.SCRAM_SHA_512, "iterations": 8192}]},
        "empty": {"error": None, "credential_infos": []},
    }
    assert parse_described(described) == {"alice": {"SCRAM-SHA-512": 8192}}
    with pytest.raises(KafkaModuleError, match="could not describe the SCRAM credentials of x: boom"):
        parse_described({"x": {"error": "boom", "credential_infos": []}})


CURRENT = {"bob": {"SCRAM-SHA-512": 4096}, "carol": {"SCRAM-SHA-256": 4096, "SCRAM-SHA-512": 8192}}


def test_plan_create_rewrite_remove_with_readable_diff():
    plan = plan_credentials(
        [user("alice"), user("bob"), user("carol", state="absent", password=None)], CURRENT, "always"
    )
    assert plan["changes"] == [
        "+ user alice (SCRAM-SHA-512, 8192 iterations)",
        "~ user bob (SCRAM-SHA-512): password rewritten, iterations 4096 -> 8192",
        "- user carol (SCRAM-SHA-256, 4096 iterations)",
        "- user carol (SCRAM-SHA-512, 8192 iterations)",
    ]
    assert plan["summary"] == dict(added=1, changed=1, removed=2, unchanged=0)
    assert diff_text(plan).splitlines()[0] == "SCRAM credentials: 1 added, 1 changed, 2 removed, 0 unchanged"
    assert [u["name"] for u in plan["users"]] == ["alice", "bob", "carol"]
    assert plan["users"][2] == dict(
        name="carol",
        exists=False,
        credentials=[],
        changes=["- user carol (SCRAM-SHA-256, 4096 iterations)", "- user carol (SCRAM-SHA-512, 8192 iterations)"],
    )
    assert [(u["user"], u["mechanism"], u["iterations"]) for u in plan["upserts"]] == [
        ("alice", "SCRAM-SHA-512", 8192),
        ("bob", "SCRAM-SHA-512", 8192),
    ]
    assert plan["deletes"] == [
        dict(user="carol", mechanism="SCRAM-SHA-256"),
        dict(user="carol", mechanism="SCRAM-SHA-512"),
    ]
    assert plan["expected"] == {"alice": {"SCRAM-SHA-512": 8192}, "bob": {"SCRAM-SHA-512": 8192}, "carol": {}}


def test_on_create_leaves_existing_credentials_alone_and_warns_on_iterations():
    plan = plan_credentials([user("bob"), user("carol", mechanism="SCRAM-SHA-512")], CURRENT, "on_create")
    assert plan["changes"] == [] and plan["upserts"] == [] and plan["deletes"] == []
    assert plan["summary"] == dict(added=0, changed=0, removed=0, unchanged=2)
    assert plan["warnings"] == [
        "user bob (SCRAM-SHA-512) has 4096 iterations, not 8192; update_password: on_create leaves existing "
        "credentials alone, use update_password: always to rewrite it"
    ]
    assert plan["expected"] == {}


def test_on_create_adds_a_missing_mechanism_only():
    plan = plan_credentials([user("bob", mechanisms=["SCRAM-SHA-256", "SCRAM-SHA-512"])], CURRENT, "on_create")
    assert plan["changes"] == ["+ user bob (SCRAM-SHA-256, 8192 iterations)"]
    assert plan["users"][0]["credentials"] == [
        dict(mechanism="SCRAM-SHA-256", iterations=8192),
        dict(mechanism="SCRAM-SHA-512", iterations=4096),
    ]


def test_absent_already_gone_is_unchanged():
    plan = plan_credentials(
        [user("nobody", state="absent"), user("bob", mechanism="SCRAM-SHA-256", state="absent")], CURRENT
    )
    assert plan["changes"] == []
    assert plan["summary"] == dict(added=0, changed=0, removed=0, unchanged=2)
    assert plan["users"][0] == dict(name="nobody", exists=False, credentials=[], changes=[])


def test_rotation_always_reports_a_change_even_with_same_iterations():
    plan = plan_credentials([user("carol", mechanism="SCRAM-SHA-512")], CURRENT, "always")
    assert plan["changes"] == ["~ user carol (SCRAM-SHA-512): password rewritten"]


def test_no_password_in_anything_but_the_upserts():
    plan = plan_credentials(
        [user("alice"), user("bob"), user("carol", mechanism="SCRAM-SHA-256", state="absent")], CURRENT, "always"
    )
    assert plan["upserts"] and all(u["password"] == SECRET for u in plan["upserts"])
    assert SECRET not in repr(public_parts(plan))
    assert SECRET not in diff_text(plan)


def test_rounds_hold_one_alteration_per_user():
    plan = plan_credentials(
        [
            user("alice", mechanisms=["SCRAM-SHA-256", "SCRAM-SHA-512"]),
            user("bob"),
            user("carol", state="absent"),
        ],
        CURRENT,
        "always",
    )
    rounds = alteration_rounds(plan)
    assert len(rounds) == 2
    for deletes, upserts in rounds:
        users = [d["user"] for d in deletes] + [u["user"] for u in upserts]
        assert len(users) == len(set(users))
    flattened = sorted(
        (kind, item["user"], item["mechanism"])
        for r in rounds
        for kind, items in zip("du", r, strict=True)
        for item in items
    )
    assert flattened == [
        ("d", "carol", "SCRAM-SHA-256"),
        ("d", "carol", "SCRAM-SHA-512"),
        ("u", "alice", "SCRAM-SHA-256"),
        ("u", "alice", "SCRAM-SHA-512"),
        ("u", "bob", "SCRAM-SHA-512"),
    ]


def test_one_round_when_every_user_changes_once():
    users = [user(f"u{i:04d}") for i in range(2000)]
    plan = plan_credentials(users, {})
    assert len(alteration_rounds(plan)) == 1
    assert plan["summary"]["added"] == 2000
