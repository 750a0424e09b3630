"""The authorizer, turned on for the running cluster by side_effect.yml (site.yml's two-step switch).

Each app's principal gets what its app needs and nothing else; an unknown user
is refused; the admin principal and the nodes are super users. The apps' end
to end test (test_secure.py) and the no-op re-run of site.yml
(test_zz_production_safety.py) run after this, with the authorizer on.
Clients are Kafka's CLI and kafka-python from the admin virtualenv on sec-kafka1.
"""

from __future__ import annotations

import json
import re
import uuid

import pytest
from kraft_testlib import BIN, hosts, run

NODES = hosts("sec-kafka1", "sec-kafka2", "sec-kafka3")
APPS = hosts("sec-apps1")["sec-apps1"]
K1 = NODES["sec-kafka1"]
HARNESS = "kafkaops-test-harness"
TOPIC, GROUP = "test-topic", "test-group"
ADMIN_TOOL = "--bootstrap-server sec-kafka1:9092 --command-config /etc/kafka/admin.properties"
USERS = {
    "producer": ("kafkaops-producer", "producer-Secret-4d8e"),
    "consumer": ("kafkaops-consumer", "consumer-Secret-6a1f"),
    "admin": ("admin", "admin-Secret-91c2"),
    "lag": ("kafkaops-lag-exporter", "lag-Secret-8e2b"),
    "stranger": ("stranger", "stranger-Secret-0c7d"),
}
SUPER_USERS = "User:kafka-broker;User:CN=sec-kafka1;User:CN=sec-kafka2;User:CN=sec-kafka3;User:admin"

# One client action as kafka-python does it; prints {"ok": ..., "result"|"error": ...}.
PROBE = r"""
import json, sys, time
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

cfg = json.load(open(sys.argv[1]))
action, topic = sys.argv[2], sys.argv[3]
conn = dict(bootstrap_servers="sec-kafka1:9092", security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-512",
            sasl_plain_username=cfg["user"], sasl_plain_password=cfg["password"],
            ssl_cafile="/etc/kafka/tls/ca.crt", request_timeout_ms=20000)
try:
    if action == "write":
        producer = KafkaProducer(**conn)
        meta = producer.send(topic, value=sys.argv[4].encode(), partition=0).get(timeout=30)
        producer.close()
        result = meta.offset
    elif action == "read":
        consumer = KafkaConsumer(group_id=None, enable_auto_commit=False, **conn)
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        consumer.seek(tp, int(sys.argv[4]))
        result, deadline = None, time.monotonic() + 30
        while result is None and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=2000).values():
                result = records[0].value.decode()
        consumer.close()
    elif action == "group":
        consumer = KafkaConsumer(group_id=sys.argv[4], enable_auto_commit=False, **conn)
        result = consumer.committed(TopicPartition(topic, 0), timeout_ms=30000)
        consumer.close()
    print(json.dumps({"ok": True, "result": result}))
except Exception as exc:
    print(json.dumps({"ok": False, "error": f"{type(exc).__name__}: {exc}"}))
"""


def quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def credentials(who: str) -> str:
    """Write a root-only JSON file with a user's credentials, return its path."""
    user, password = USERS[who]
    path = f"/root/authz-{who}.json"
    content = json.dumps({"user": user, "password": password})
    result = K1.run(f"umask 077 && printf '%s' {quote(content)} > {path}  # {HARNESS}")
    assert result.rc == 0, result.stderr
    return path


def cli_config(who: str) -> str:
    """A SASL_SSL client config for Kafka's CLI (root-only)."""
    user, password = USERS[who]
    trust = K1.run("grep -h '^ssl.truststore.password=' /etc/kafka/admin.properties").stdout.split("=", 1)[1].strip()
    path = f"/root/authz-{who}.properties"
    content = (
        "security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-512\n"
        "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required "
        f'username="{user}" password="{password}";\n'
        "ssl.truststore.location=/etc/kafka/tls/truststore.p12\nssl.truststore.type=PKCS12\n"
        f"ssl.truststore.password={trust}\n"
    )
    result = K1.run(f"umask 077 && printf '%s' {quote(content)} > {path}  # {HARNESS}")
    assert result.rc == 0, result.stderr
    return path


def probe(who: str, action: str, *args: str) -> dict:
    K1.run(f"cat > /root/authz_probe.py <<'EOF'\n{PROBE}\nEOF")
    out = K1.run(
        f"timeout 120 /opt/kafkaops/admin-venv/bin/python /root/authz_probe.py {credentials(who)} {action} "
        + " ".join(quote(a) for a in args)
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    assert lines, f"probe {who} {action}: rc={out.rc} {out.stdout[-500:]} {out.stderr[-1500:]}"
    return json.loads(lines[-1])


def tool(who: str, command: str):
    return K1.run(f"timeout 90 {BIN}/{command} --bootstrap-server sec-kafka1:9092 --command-config {cli_config(who)}")


def refused(result) -> bool:
    return result.rc != 0 and bool(re.search(r"AuthorizationException|not authorized", result.stdout + result.stderr))


@pytest.mark.parametrize("name", sorted(NODES))
def test_authorizer_enforces_on_every_node(name):
    text = NODES[name].file(f"/etc/kafka/node{name[-1]}/server.properties").content_string
    assert "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer" in text
    assert "allow.everyone.if.no.acl.found=false" in text
    assert f"super.users={SUPER_USERS}\n" in text


def test_acls_are_the_apps_least_privilege():
    out = run(K1, f"{BIN}/kafka-acls.sh {ADMIN_TOOL} --list", 60)
    assert out.rc == 0, out.stderr
    bindings, resource = set(), None
    for line in out.stdout.splitlines():
        pattern = re.search(r"resourceType=(\w+), name=([^,]+), patternType=(\w+)", line)
        if pattern:
            resource = pattern.groups()
            continue
        binding = re.search(r"principal=([^,]+), host=\*, operation=(\w+), permissionType=ALLOW", line)
        if binding and resource:
            bindings.add((binding.group(1), binding.group(2), resource[0], resource[1]))
    assert bindings == {
        ("User:kafkaops-producer", "WRITE", "TOPIC", TOPIC),
        ("User:kafkaops-producer", "DESCRIBE", "TOPIC", TOPIC),
        ("User:kafkaops-producer", "IDEMPOTENT_WRITE", "CLUSTER", "kafka-cluster"),
        ("User:kafkaops-consumer", "READ", "TOPIC", TOPIC),
        ("User:kafkaops-consumer", "DESCRIBE", "TOPIC", TOPIC),
        ("User:kafkaops-consumer", "READ", "GROUP", GROUP),
        # The lag exporter (kafka_access's monitoring grants): Describe only.
        ("User:kafkaops-lag-exporter", "DESCRIBE", "GROUP", "*"),
        ("User:kafkaops-lag-exporter", "DESCRIBE", "TOPIC", "*"),
        ("User:kafkaops-lag-exporter", "DESCRIBE", "CLUSTER", "kafka-cluster"),
    }, out.stdout


def test_each_app_logs_in_as_its_own_user():
    producer = APPS.run("grep -h '^KAFKA_SASL_USERNAME=' /etc/kafkaops/kafkaops-producer.env").stdout
    consumer = APPS.run("grep -h '^KAFKA_SASL_USERNAME=' /etc/kafkaops/kafkaops-consumer.env").stdout
    assert "kafkaops-producer" in producer and "kafkaops-consumer" in consumer


def test_producer_writes_but_cannot_read_create_or_delete():
    marker = f"authz-{uuid.uuid4().hex}"
    written = probe("producer", "write", TOPIC, marker)
    assert written["ok"], written
    read = probe("producer", "read", TOPIC, str(written["result"]))
    assert read.get("result") != marker, read
    assert read["ok"] is False and "TopicAuthorizationFailed" in read["error"], read
    # The consumer's principal reads what the producer's wrote, without a group.
    seen = probe("consumer", "read", TOPIC, str(written["result"]))
    assert seen == {"ok": True, "result": marker}, seen
    created = tool("producer", f"kafka-topics.sh --create --topic authz-{uuid.uuid4().hex[:8]} --partitions 1")
    assert refused(created), created.stdout + created.stderr
    deleted = tool("producer", f"kafka-topics.sh --delete --topic {TOPIC}")
    assert refused(deleted), deleted.stdout + deleted.stderr


def test_consumer_reads_in_its_group_only_and_cannot_write():
    own = probe("consumer", "group", TOPIC, GROUP)
    assert own["ok"], own
    other = probe("consumer", "group", TOPIC, "other-group")
    assert not other["ok"] and "GroupAuthorizationFailed" in other["error"], other
    wrote = probe("consumer", "write", TOPIC, "not-allowed")
    assert not wrote["ok"] and "AuthorizationFailed" in wrote["error"], wrote


def test_lag_exporters_user_cannot_write_or_read_records():
    # kafka-python's idempotent producer is refused at InitProducerId (no IdempotentWrite), before any Write.
    wrote = probe("lag", "write", TOPIC, "not-allowed")
    assert not wrote["ok"] and "AuthorizationFailed" in wrote["error"], wrote
    read = probe("lag", "read", TOPIC, "0")
    assert not read["ok"] and "AuthorizationFailed" in read["error"], read


def test_unknown_user_is_refused():
    out = tool("stranger", "kafka-topics.sh --list")
    assert out.rc != 0
    assert re.search(r"Authentication failed|SaslAuthenticationException", out.stdout + out.stderr)


def test_admin_can_do_everything():
    topic = f"authz-admin-{uuid.uuid4().hex[:8]}"
    created = tool("admin", f"kafka-topics.sh --create --topic {topic} --partitions 1 --replication-factor 3")
    assert created.rc == 0, created.stderr
    written = probe("admin", "write", topic, "admin-was-here")
    assert written["ok"], written
    read = probe("admin", "read", topic, str(written["result"]))
    assert read == {"ok": True, "result": "admin-was-here"}, read
    group = probe("admin", "group", topic, "any-admin-group")
    assert group["ok"], group
    acls = tool("admin", "kafka-acls.sh --list")
    assert acls.rc == 0 and "kafkaops-producer" in acls.stdout, acls.stderr
    deleted = tool("admin", f"kafka-topics.sh --delete --topic {topic}")
    assert deleted.rc == 0, deleted.stderr


def test_a_producer_quota_throttles_its_client_id():
    """kafka_access applied a 20 KiB/s producer quota to client id perf-throttled (molecule.yml)."""
    # Kafka measures a rate over the whole quota window from the start, so the first ~10 s worth
    # of bytes (200 KiB here) pass unthrottled: send enough that the throttled part dominates.
    quota_bytes, record_bytes, records = 20480, 1024, 1000
    topic = f"authz-quota-{uuid.uuid4().hex[:8]}"
    created = tool("admin", f"kafka-topics.sh --create --topic {topic} --partitions 1 --replication-factor 3")
    assert created.rc == 0, created.stderr
    try:
        out = K1.run(
            f"timeout 240 {BIN}/kafka-producer-perf-test.sh --topic {topic} --num-records {records} "
            f"--record-size {record_bytes} --throughput -1 --producer.config {cli_config('admin')} "
            "--producer-props bootstrap.servers=sec-kafka1:9092 client.id=perf-throttled acks=all"
        )
        assert out.rc == 0, out.stderr[-1500:]
        # The summary line: "250 records sent, 20.1 records/sec (0.02 MB/sec), ..."
        summary = re.findall(rf"{records} records sent, ([0-9.]+) records/sec", out.stdout)
        assert summary, out.stdout[-1500:]
        measured = float(summary[-1]) * record_bytes
        assert quota_bytes * 0.5 <= measured <= quota_bytes * 1.5, f"{measured:.0f} B/s, quota {quota_bytes}"
    finally:
        tool("admin", f"kafka-topics.sh --delete --topic {topic}")
