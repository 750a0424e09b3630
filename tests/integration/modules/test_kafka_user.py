"""kafkaops.kraft.kafka_user against real Kafka 3.9.1 KRaft brokers.

Most tests store credentials on the session's PLAINTEXT broker (KRaft keeps
SCRAM credentials without a SASL listener). The login tests use a broker of
their own with an extra SASL_PLAINTEXT SCRAM-SHA-512 listener, and prove that
the credentials the module writes are the ones clients log in with.
"""

from __future__ import annotations

import json
import re
import sys
import time
import uuid

import pytest
from kafka import KafkaAdminClient
from kafka.errors import KafkaTimeoutError, SaslAuthenticationFailedError
from kafka_admin_helpers import add_sasl_listener, wait_for

from tests.support.kafka_broker import KafkaBroker, free_port, wait_port
from tests.support.playbook import run_playbook, venv_path

pytestmark = pytest.mark.integration
USER = "kafkaops.kraft.kafka_user"
SHA512 = "SCRAM-SHA-512"
SHA256 = "SCRAM-SHA-256"


def scram(admin, *names):
    """{user: {mechanism: iterations}} straight from Kafka, for the named users."""
    described = admin.describe_user_scram_credentials()
    return {
        user: {c["mechanism"].name.replace("_", "-"): c["iterations"] for c in info["credential_infos"]}
        for user, info in described.items()
        if user in names
    }


@pytest.fixture
def names():
    """Fresh user names per test: the session broker is shared."""
    tag = uuid.uuid4().hex[:8]
    return lambda who: f"{who}-{tag}"


def test_create_both_mechanisms_and_idempotent_rerun(ansible_module, admin, names):
    alice, bob = names("alice"), names("bob")
    args = {
        "users": [
            {"name": alice, "password": "pw-Alice-31f0"},
            {"name": bob, "password": "pw-Bob-8a2d", "mechanisms": [SHA256, SHA512], "iterations": 4096},
        ]
    }
    run = ansible_module(USER, args)
    assert not run.failed, run.result
    assert run["changed"] is True
    assert run["summary"] == {"added": 3, "changed": 0, "removed": 0, "unchanged": 0}
    assert run["changes"] == [
        f"+ user {alice} (SCRAM-SHA-512, 8192 iterations)",
        f"+ user {bob} (SCRAM-SHA-256, 4096 iterations)",
        f"+ user {bob} (SCRAM-SHA-512, 4096 iterations)",
    ]
    # Both of bob's credentials: KRaft takes one alteration per user per request.
    assert scram(admin, alice, bob) == {alice: {SHA512: 8192}, bob: {SHA256: 4096, SHA512: 4096}}
    assert run["users"][1] == {
        "name": bob,
        "exists": True,
        "credentials": [{"mechanism": SHA256, "iterations": 4096}, {"mechanism": SHA512, "iterations": 4096}],
        "changes": [f"+ user {bob} (SCRAM-SHA-256, 4096 iterations)", f"+ user {bob} (SCRAM-SHA-512, 4096 iterations)"],
    }

    again = ansible_module(USER, args, diff=True)
    assert not again.failed, again.result
    assert again["changed"] is False and again["changes"] == []
    assert again["summary"] == {"added": 0, "changed": 0, "removed": 0, "unchanged": 3}
    assert again["diff"]["prepared"] == "SCRAM credentials: 0 added, 0 changed, 0 removed, 3 unchanged\n"
    # on_create: a different password for an existing user changes nothing either.
    other = ansible_module(USER, {"users": [{"name": alice, "password": "pw-Other-0b9c"}]})
    assert other["changed"] is False


def test_always_rewrites_and_reports_changed_every_run(ansible_module, admin, names):
    bob = names("bob")
    ansible_module(USER, {"users": [{"name": bob, "password": "pw-Bob-1", "iterations": 4096}]})
    args = {"users": [{"name": bob, "password": "pw-Bob-2"}], "update_password": "always"}
    first = ansible_module(USER, args)
    assert first["changes"] == [f"~ user {bob} (SCRAM-SHA-512): password rewritten, iterations 4096 -> 8192"]
    assert scram(admin, bob) == {bob: {SHA512: 8192}}
    # Kafka keeps no verifiable trace of the password, so every run rewrites.
    second = ansible_module(USER, args)
    assert second["changed"] is True
    assert second["changes"] == [f"~ user {bob} (SCRAM-SHA-512): password rewritten"]


def test_on_create_warns_about_different_iterations(ansible_module, admin, names):
    bob = names("bob")
    ansible_module(USER, {"users": [{"name": bob, "password": "pw-Bob-1", "iterations": 4096}]})
    run = ansible_module(USER, {"users": [{"name": bob, "password": "pw-Bob-1"}]})
    assert run["changed"] is False
    assert any(f"user {bob} (SCRAM-SHA-512) has 4096 iterations, not 8192" in w for w in run["warnings"])
    assert scram(admin, bob) == {bob: {SHA512: 4096}}


def test_absent_deletes_every_credential_or_the_named_one(ansible_module, admin, names):
    carol, dave = names("carol"), names("dave")
    ansible_module(
        USER,
        {
            "users": [
                {"name": carol, "password": "pw-Carol-1", "mechanisms": [SHA256, SHA512]},
                {"name": dave, "password": "pw-Dave-1", "mechanisms": [SHA256, SHA512]},
            ]
        },
    )
    run = ansible_module(
        USER, {"users": [{"name": carol, "state": "absent"}, {"name": dave, "mechanism": SHA256, "state": "absent"}]}
    )
    assert not run.failed, run.result
    assert run["changes"] == [
        f"- user {carol} (SCRAM-SHA-256, 8192 iterations)",
        f"- user {carol} (SCRAM-SHA-512, 8192 iterations)",
        f"- user {dave} (SCRAM-SHA-256, 8192 iterations)",
    ]
    assert scram(admin, carol, dave) == {dave: {SHA512: 8192}}
    assert run["users"][0] == {"name": carol, "exists": False, "credentials": [], "changes": run["changes"][:2]}
    again = ansible_module(USER, {"users": [{"name": carol, "state": "absent"}]})
    assert again["changed"] is False


def test_check_mode_reports_exact_diff_and_changes_nothing(ansible_module, admin, names):
    alice, bob, carol = names("alice"), names("bob"), names("carol")
    ansible_module(
        USER,
        {
            "users": [
                {"name": bob, "password": "pw-Bob-1"},
                {"name": carol, "password": "pw-Carol-1", "mechanism": SHA256, "iterations": 4096},
            ]
        },
    )
    before = scram(admin, alice, bob, carol)
    args = {
        "users": [
            {"name": alice, "password": "pw-Alice-1"},
            {"name": bob, "password": "pw-Bob-2"},
            {"name": carol, "state": "absent"},
        ],
        "update_password": "always",
    }
    check = ansible_module(USER, args, check=True, diff=True)
    assert not check.failed, check.result
    assert check["changed"] is True
    assert check["diff"]["prepared"] == (
        "SCRAM credentials: 1 added, 1 changed, 1 removed, 0 unchanged\n"
        f"+ user {alice} (SCRAM-SHA-512, 8192 iterations)\n"
        f"~ user {bob} (SCRAM-SHA-512): password rewritten\n"
        f"- user {carol} (SCRAM-SHA-256, 4096 iterations)\n"
    )
    assert scram(admin, alice, bob, carol) == before
    real = ansible_module(USER, args, diff=True)
    assert real["diff"] == check["diff"] and real["users"] == check["users"]
    assert scram(admin, alice, bob, carol) == {alice: {SHA512: 8192}, bob: {SHA512: 8192}}


@pytest.mark.parametrize(
    "entry, message",
    [
        (
            {"mechanism": "SCRAM-SHA-1"},
            "value of mechanism must be one of: SCRAM-SHA-256, SCRAM-SHA-512, got: SCRAM-SHA-1",
        ),
        ({"iterations": 1000}, "iterations 1000 is out of range; Kafka accepts 4096 to 16384"),
        ({"iterations": 16385}, "iterations 16385 is out of range; Kafka accepts 4096 to 16384"),
        ({"password": None}, "state present needs a non-empty password"),
    ],
)
def test_bad_arguments_fail_before_connecting(run_module, entry, message):
    user = {"name": "eve", "password": "pw-Eve-1"}
    user.update(entry)
    # A closed port: the message must come from validation, not from the connection.
    run = run_module(USER, {"users": [user], "bootstrap_servers": [f"127.0.0.1:{free_port()}"]})
    assert run.failed
    assert message in run["msg"], run["msg"]


def test_same_credential_twice_is_refused(run_module):
    users = [{"name": "eve", "password": "pw-Eve-1"}, {"name": "eve", "mechanism": SHA512, "password": "pw-Eve-2"}]
    run = run_module(USER, {"users": users, "bootstrap_servers": [f"127.0.0.1:{free_port()}"]})
    assert run.failed
    assert run["msg"] == (
        "Invalid users: user eve SCRAM-SHA-512 is listed twice (users[0] and users[1]); list each credential once"
    )


def test_unreachable_cluster_fails_within_timeout(run_module):
    servers = [f"127.0.0.1:{free_port()}"]
    started = time.monotonic()
    run = run_module(
        USER,
        {"users": [{"name": "eve", "password": "pw-Eve-1"}], "bootstrap_servers": servers, "connect_timeout_ms": 2000},
    )
    elapsed = time.monotonic() - started
    assert run.failed
    assert "Could not reach the Kafka cluster within 2000 ms" in run["msg"] and servers[0] in run["msg"]
    assert elapsed < 15, elapsed


def test_passwords_never_reach_the_output_at_vvv(kafka_broker, tmp_path, names):
    """Every byte ansible-playbook -vvv --diff prints, for create, rotation and a failure."""
    secrets = ["pw-Vvv-Create-5e1a", "pw-Vvv-Rotate-c07b", "pw-Vvv-Failed-93d4"]
    alice = names("alice")
    connection = {"bootstrap_servers": [kafka_broker.bootstrap]}
    tasks = [
        {"name": "create", USER: dict(connection, users=[{"name": alice, "password": secrets[0]}])},
        {
            "name": "rotate",
            USER: dict(connection, users=[{"name": alice, "password": secrets[1]}], update_password="always"),  # noqa: S106
        },
        {
            "name": "refused",
            USER: dict(connection, users=[{"name": alice, "password": secrets[2], "iterations": 1}]),
            "ignore_errors": True,
        },
    ]
    playbook = tmp_path / "vvv.json"
    playbook.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]))
    proc = run_playbook(
        "-vvv",
        "--diff",
        "-i",
        "localhost,",
        "-c",
        "local",
        "-e",
        f"ansible_python_interpreter={sys.executable}",
        playbook,
        env={"ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default", "ANSIBLE_NOCOLOR": "1", "PATH": venv_path()},
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    # The tasks really ran: the diff lines and the refusal are in the output.
    assert f"+ user {alice} (SCRAM-SHA-512, 8192 iterations)" in output
    assert f"~ user {alice} (SCRAM-SHA-512): password rewritten" in output
    assert "iterations 1 is out of range" in output
    for secret in secrets:
        assert output.count(secret) == 0, secret
    # Ansible masks a no_log value it finds in a result with asterisks; none
    # means the module never tried to return a password in the first place.
    assert not re.search(r"(?<!\*)\*{8}(?!\*)", output)  # banners are longer runs of asterisks
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in output  # -vvv did print the module arguments


# --- Logging in with the credentials, on a broker with a SASL listener ----------


@pytest.fixture(scope="module")
def sasl_broker(tmp_path_factory):
    """A broker with PLAINTEXT (for the module, as admin) plus SASL_PLAINTEXT SCRAM-SHA-512 (for logins)."""
    broker = KafkaBroker(
        tmp_path_factory.mktemp("kafka-sasl"),
        extra_props={
            "sasl.enabled.mechanisms": SHA512,
            "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config": (
                "org.apache.kafka.common.security.scram.ScramLoginModule required;"
            ),
        },
    )
    add_sasl_listener(broker)
    broker.start()
    yield broker
    broker.stop()


def login(broker, username, password):
    """True when a SCRAM-SHA-512 login on the SASL listener succeeds, False when it is refused."""
    try:
        client = KafkaAdminClient(
            bootstrap_servers=f"127.0.0.1:{broker.sasl_port}",
            security_protocol="SASL_PLAINTEXT",
            sasl_mechanism=SHA512,
            sasl_plain_username=username,
            sasl_plain_password=password,
            request_timeout_ms=5000,
            bootstrap_timeout_ms=3000,
            reconnect_backoff_max_ms=500,
        )
    except (SaslAuthenticationFailedError, KafkaTimeoutError):
        # kafka-python retries a refused login until bootstrap_timeout_ms and
        # often sees only the broker closing the socket; a listener that is not
        # there at all must not pass for a refusal.
        assert wait_port(broker.sasl_port, 1), "the SASL listener is not listening"
        return False
    try:
        client.describe_cluster()
        return True
    finally:
        client.close()


def test_created_user_logs_in_and_rotation_swaps_passwords(sasl_broker, tmp_path):
    from conftest import _run_module

    def run(args):
        result = _run_module(tmp_path, USER, dict(args, bootstrap_servers=[sasl_broker.bootstrap]))
        assert not result.failed, result.result
        return result

    frank = f"frank-{uuid.uuid4().hex[:6]}"
    old, new = "pw-Frank-Old-4b7e", "pw-Frank-New-d21f"
    assert not login(sasl_broker, frank, old)  # no credential yet: the listener really checks

    run({"users": [{"name": frank, "password": old}]})
    assert login(sasl_broker, frank, old)
    assert not login(sasl_broker, frank, "pw-Frank-Wrong-0000")

    # on_create: a new password is not applied, the old one still works.
    assert run({"users": [{"name": frank, "password": new}]})["changed"] is False
    assert login(sasl_broker, frank, old) and not login(sasl_broker, frank, new)

    rotated = run({"users": [{"name": frank, "password": new}], "update_password": "always"})
    assert rotated["changed"] is True
    # A rewrite with the same iterations is invisible to describe; give the
    # broker's credential cache a moment.
    wait_for(lambda: login(sasl_broker, frank, new), timeout=15)
    assert not login(sasl_broker, frank, old)

    run({"users": [{"name": frank, "state": "absent"}]})
    wait_for(lambda: not login(sasl_broker, frank, new), timeout=15)
