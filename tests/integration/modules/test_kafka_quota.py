"""kafkaops.kraft.kafka_quota against a real Kafka 3.9.1 KRaft broker.

The broker's state is read independently of the module, with Kafka's own
kafka-configs (kafka.admin.ConfigCommand, run from the archive's jars).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
import uuid

import pytest
from kafka.admin import NewTopic
from kafka_admin_helpers import wait_for

from tests.support.kafka_broker import free_port, kafka_home

pytestmark = pytest.mark.integration
QUOTA = "kafkaops.kraft.kafka_quota"
# "Quota configs for the default user-principal, client-id 'app' are producer_byte_rate=1024.0"
CONFIGS_LINE = re.compile(r"^Quota configs for (?P<entity>.+) are (?P<values>.*)$")
ENTITY_PART = re.compile(
    r"^(?:the default (?P<default>user-principal|client-id)|(?P<kind>user-principal|client-id) '(?P<name>.*)')$"
)


def java_tool(main: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    home = kafka_home()
    cmd = [
        shutil.which("java") or "java",
        "-Xmx256m",
        f"-Dlog4j.configuration=file:{home / 'config' / 'tools-log4j.properties'}",
        "-cp",
        str(home / "libs" / "*"),
        main,
        *args,
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True)


def cli_quotas(bootstrap: str) -> dict[str, dict[str, float]]:
    """Every user, client-id and pair quota as kafka-configs --describe shows it, keyed like the module's diff."""
    found = {}
    for entity_types in (["users"], ["clients"], ["users", "clients"]):
        args = ["--bootstrap-server", bootstrap, "--describe"]
        for entity_type in entity_types:
            args += ["--entity-type", entity_type]
        for line in java_tool("kafka.admin.ConfigCommand", *args).stdout.splitlines():
            match = CONFIGS_LINE.match(line.strip())
            if not match:
                continue
            parts = []
            for part in match["entity"].split(", "):
                piece = ENTITY_PART.match(part)
                assert piece, line
                kind = "user" if (piece["default"] or piece["kind"]) == "user-principal" else "client-id"
                parts.append(f"{kind}={'<default>' if piece['default'] else piece['name']}")
            values = (kv.strip().split("=", 1) for kv in match["values"].split(",") if kv.strip())
            found[",".join(parts)] = {key: float(value) for key, value in values}
    return found


@pytest.fixture
def name():
    return f"it-{uuid.uuid4().hex[:8]}"


def test_set_then_idempotent_rerun(ansible_module, kafka_broker, name):
    args = {"quotas": [{"user": name, "producer_byte_rate": 1048576, "consumer_byte_rate": 2097152}]}
    first = ansible_module(QUOTA, args, diff=True)
    assert not first.failed, first.result
    assert first["changed"] is True
    assert first["changes"] == [
        f"+ user={name} producer_byte_rate 1048576",
        f"+ user={name} consumer_byte_rate 2097152",
    ]
    assert first["summary"] == {"added": 1, "changed": 0, "removed": 0, "unchanged": 0}
    assert first["quotas"][0]["after"] == {"producer_byte_rate": 1048576, "consumer_byte_rate": 2097152}
    assert cli_quotas(kafka_broker.bootstrap)[f"user={name}"] == {
        "producer_byte_rate": 1048576.0,
        "consumer_byte_rate": 2097152.0,
    }

    second = ansible_module(QUOTA, args, diff=True)
    assert second["changed"] is False, second.result
    assert second["changes"] == []
    assert second["diff"]["prepared"] == "client quotas: 0 added, 0 changed, 0 removed, 1 unchanged\n"


def test_change_keeps_unlisted_keys_then_remove(ansible_module, kafka_broker, name):
    ansible_module(QUOTA, {"quotas": [{"user": name, "producer_byte_rate": 1048576, "request_percentage": 200}]})
    change = ansible_module(QUOTA, {"quotas": [{"user": name, "producer_byte_rate": 2097152}]})
    assert change["changes"] == [f"~ user={name} producer_byte_rate 1048576 -> 2097152"]
    assert change["quotas"][0]["status"] == "changed"
    assert cli_quotas(kafka_broker.bootstrap)[f"user={name}"] == {
        "producer_byte_rate": 2097152.0,
        "request_percentage": 200.0,
    }

    exclusive = ansible_module(QUOTA, {"quotas": [{"user": name, "producer_byte_rate": 2097152, "exclusive": True}]})
    assert exclusive["changes"] == [f"- user={name} request_percentage 200"]
    assert cli_quotas(kafka_broker.bootstrap)[f"user={name}"] == {"producer_byte_rate": 2097152.0}

    remove = ansible_module(QUOTA, {"quotas": [{"user": name, "state": "absent"}]})
    assert remove["changed"] is True
    assert remove["changes"] == [f"- user={name} producer_byte_rate 2097152"]
    assert remove["summary"]["removed"] == 1
    assert f"user={name}" not in cli_quotas(kafka_broker.bootstrap)
    again = ansible_module(QUOTA, {"quotas": [{"user": name, "state": "absent"}]})
    assert again["changed"] is False


def test_check_mode_changes_nothing_and_reports_the_exact_diff(ansible_module, kafka_broker, name):
    other = f"{name}-b"
    ansible_module(
        QUOTA, {"quotas": [{"user": name, "producer_byte_rate": 1048576}, {"user": other, "request_percentage": 200}]}
    )
    before = cli_quotas(kafka_broker.bootstrap)
    args = {
        "quotas": [
            {"user": name, "producer_byte_rate": 2097152},
            {"user": name, "client_id": "app", "consumer_byte_rate": 1048576},
            {"user": other, "state": "absent"},
        ]
    }
    expected = [
        f"~ user={name} producer_byte_rate 1048576 -> 2097152",
        f"+ user={name},client-id=app consumer_byte_rate 1048576",
        f"- user={other} request_percentage 200",
    ]
    check = ansible_module(QUOTA, args, check=True, diff=True)
    assert not check.failed, check.result
    assert check["changed"] is True
    assert check["changes"] == expected
    assert check["diff"]["prepared"] == "\n".join(
        ["client quotas: 1 added, 1 changed, 1 removed, 0 unchanged", *expected, ""]
    )
    assert cli_quotas(kafka_broker.bootstrap) == before

    real = ansible_module(QUOTA, args, diff=True)
    assert (real["changed"], real["changes"], real["diff"]) == (check["changed"], check["changes"], check["diff"])
    after = cli_quotas(kafka_broker.bootstrap)
    assert after[f"user={name}"] == {"producer_byte_rate": 2097152.0}
    assert after[f"user={name},client-id=app"] == {"consumer_byte_rate": 1048576.0}
    assert f"user={other}" not in after
    ansible_module(
        QUOTA, {"quotas": [{"user": name, "state": "absent"}, {"user": name, "client_id": "app", "state": "absent"}]}
    )


def test_default_user_and_default_client_id(ansible_module, kafka_broker, name):
    args = {
        "quotas": [
            {"user_default": True, "producer_byte_rate": 524288},
            {"client_id_default": True, "consumer_byte_rate": 1048576},
            {"user_default": True, "client_id": name, "request_percentage": 12.5},
        ]
    }
    try:
        run = ansible_module(QUOTA, args)
        assert not run.failed, run.result
        assert run["changes"] == [
            "+ user=<default> producer_byte_rate 524288",
            "+ client-id=<default> consumer_byte_rate 1048576",
            f"+ user=<default>,client-id={name} request_percentage 12.5",
        ]
        assert [(q["user"], q["client_id"]) for q in run["quotas"]] == [
            ("<default>", None),
            (None, "<default>"),
            ("<default>", name),
        ]
        quotas = cli_quotas(kafka_broker.bootstrap)
        assert quotas["user=<default>"] == {"producer_byte_rate": 524288.0}
        assert quotas["client-id=<default>"] == {"consumer_byte_rate": 1048576.0}
        assert quotas[f"user=<default>,client-id={name}"] == {"request_percentage": 12.5}
        assert ansible_module(QUOTA, args)["changed"] is False
    finally:
        cleanup = ansible_module(
            QUOTA,
            {
                "quotas": [
                    {"user_default": True, "state": "absent"},
                    {"client_id_default": True, "state": "absent"},
                    {"user_default": True, "client_id": name, "state": "absent"},
                ]
            },
        )
        assert not cleanup.failed, cleanup.result
    quotas = cli_quotas(kafka_broker.bootstrap)
    assert not {"user=<default>", "client-id=<default>", f"user=<default>,client-id={name}"} & set(quotas)


def test_user_and_client_id_pair(ansible_module, kafka_broker, name):
    run = ansible_module(QUOTA, {"quotas": [{"user": name, "client_id": "reporting", "controller_mutation_rate": 10}]})
    assert run["changes"] == [f"+ user={name},client-id=reporting controller_mutation_rate 10"]
    quotas = cli_quotas(kafka_broker.bootstrap)
    assert quotas[f"user={name},client-id=reporting"] == {"controller_mutation_rate": 10.0}
    assert f"user={name}" not in quotas  # the pair is its own entity
    ansible_module(QUOTA, {"quotas": [{"user": name, "client_id": "reporting", "state": "absent"}]})
    assert f"user={name},client-id=reporting" not in cli_quotas(kafka_broker.bootstrap)


def test_unknown_key_is_refused(ansible_module, name):
    run = ansible_module(QUOTA, {"quotas": [{"user": name, "producer_rate": 1024}]})
    assert run.failed and run.rc != 0
    assert "producer_rate" in run["msg"] and "producer_byte_rate" in run["msg"]


def test_negative_value_fails_before_anything_changes(ansible_module, kafka_broker, name):
    run = ansible_module(
        QUOTA,
        {"quotas": [{"user": name, "producer_byte_rate": 1024}, {"user": f"{name}-b", "consumer_byte_rate": -5}]},
    )
    assert run.failed and run.rc != 0
    assert run["msg"] == f"Invalid quotas: user={name}-b: consumer_byte_rate must be greater than 0, got -5"
    assert f"user={name}" not in cli_quotas(kafka_broker.bootstrap)


def test_unreachable_cluster_fails_within_the_timeout(run_module):
    args = {
        "bootstrap_servers": [f"127.0.0.1:{free_port()}"],
        "connect_timeout_ms": 2000,
        "request_timeout_ms": 2000,
        "quotas": [{"user": "alice", "producer_byte_rate": 1024}],
    }
    started = time.monotonic()
    run = run_module(QUOTA, args)
    elapsed = time.monotonic() - started
    assert run.failed
    assert "Could not reach the Kafka cluster within 2000 ms" in run["msg"], run["msg"]
    assert elapsed < 30  # ansible-playbook's own start-up included


def test_producer_quota_throttles_a_producer(ansible_module, admin, kafka_broker, name):
    topic = f"{name}-throttle"
    admin.create_topics([NewTopic(topic, 1, 1)])
    wait_for(lambda: topic in admin.list_topics())
    throttled, free = f"{name}-slow", f"{name}-fast"
    quota = 20480
    run = ansible_module(QUOTA, {"quotas": [{"client_id": throttled, "producer_byte_rate": quota}]})
    assert run["changed"] is True, run.result
    try:
        # 250 KB at 20 KB/s is about 12 s; the broker lets a first burst through and then
        # delays its answers until the rate over its quota window is back at the quota.
        slow = producer_bytes_per_second(kafka_broker.bootstrap, topic, throttled, records=250)
        fast = producer_bytes_per_second(kafka_broker.bootstrap, topic, free, records=250)
    finally:
        ansible_module(QUOTA, {"quotas": [{"client_id": throttled, "state": "absent"}]})
    assert quota * 0.5 <= slow <= quota * 1.5, f"{slow:.0f} B/s with a {quota} B/s quota"
    assert fast > quota * 5, f"an unthrottled client id only reached {fast:.0f} B/s"


def producer_bytes_per_second(bootstrap: str, topic: str, client_id: str, records: int, size: int = 1000) -> float:
    """Kafka's own perf tool (kafka-producer-perf-test), as fast as the broker lets it."""
    out = java_tool(
        "org.apache.kafka.tools.ProducerPerformance",
        "--topic",
        topic,
        "--num-records",
        str(records),
        "--record-size",
        str(size),
        "--throughput",
        "-1",
        "--producer-props",
        f"bootstrap.servers={bootstrap}",
        f"client.id={client_id}",
        "acks=1",
        "batch.size=4096",
        timeout=180,
    ).stdout
    # The final line: "250 records sent, 20.1 records/sec (0.02 MB/sec), ..."
    final = [line for line in out.splitlines() if f"{records} records sent" in line][-1]
    return float(re.search(r"([\d.]+) records/sec", final).group(1)) * size
