"""The secure scenario: TLS, SASL_SSL/SCRAM-SHA-512, JMX + exporter, logrotate, nftables."""

import base64
import re
import uuid

import pytest
from kraft_testlib import BIN, hosts, http, run

NODES = hosts("sec-kafka1", "sec-kafka2", "sec-kafka3")
APPS = hosts("sec-apps1")["sec-apps1"]
K1 = NODES["sec-kafka1"]
TLS = "/etc/kafka/tls"
# The exporter serves HTTPS with the node keystore and basic auth (TLS is on).
METRICS = "https://127.0.0.1:7071/metrics"
SCRAPE_AUTH = ("prometheus", "scrape-Secret-3e9c")
# Marks this suite's own commands that carry a secret, so the command-line record
# (test_zz_production_safety.py) can tell them from the product's.
HARNESS = "kafkaops-test-harness"
PASSWORDS = (
    "broker-Secret-7f3a",
    "admin-Secret-91c2",
    "producer-Secret-4d8e",
    "consumer-Secret-6a1f",
    "jmx-Secret-2b6f",
    "scrape-Secret-3e9c",
    "lag-Secret-8e2b",
)


def client_config(host, name: str, user: str, password: str) -> str:
    """Write a SASL_SSL client config (root-only) and return its path."""
    trust_pass = host.run("grep -h '^ssl.truststore.password=' /etc/kafka/admin.properties").stdout.split("=", 1)[1]
    path = f"/root/{name}.properties"
    content = (
        "security.protocol=SASL_SSL\n"
        "sasl.mechanism=SCRAM-SHA-512\n"
        "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required "
        f'username="{user}" password="{password}";\n'
        f"ssl.truststore.location={TLS}/truststore.p12\nssl.truststore.type=PKCS12\n"
        f"ssl.truststore.password={trust_pass.strip()}\n"
    )
    result = host.run(f"umask 077 && printf '%s' {quote(content)} > {path}  # {HARNESS}")
    assert result.rc == 0, result.stderr
    return path


def fetch(host, url: str, pattern: str | None = None, timeout_s: float = 0, auth: tuple[str, str] | None = None):
    """GET url from inside host with its own python3 (retrying until pattern matches).

    With ``auth``, over HTTPS against the cluster's CA with basic auth; the command
    then carries the password and is marked as the harness's own.
    """
    if not auth:
        script = f"import urllib.request; print(urllib.request.urlopen({url!r}, timeout=10).read().decode())"
        return run(host, f"python3 -c {quote(script)}", timeout_s, pattern)
    token = base64.b64encode(":".join(auth).encode()).decode()
    script = (
        "import ssl, urllib.request\n"
        f"req = urllib.request.Request({url!r}, headers={{'Authorization': 'Basic {token}'}})\n"
        f"ctx = ssl.create_default_context(cafile='{TLS}/ca.crt')\n"
        "print(urllib.request.urlopen(req, timeout=10, context=ctx).read().decode())\n"
        # python3's own command line carries the token too: the mark keeps it apart from the product's.
        f"# {HARNESS}"
    )
    return run(host, f"python3 -c {quote(script)}  # {HARNESS}", timeout_s, pattern)


def quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


@pytest.mark.parametrize("name", sorted(NODES))
def test_listeners_are_secured(name):
    props = NODES[name].file(f"/etc/kafka/node{name[-1]}/server.properties")
    assert props.mode == 0o640
    text = props.content_string
    assert "listener.security.protocol.map=CONTROLLER:SSL,SASL_SSL:SASL_SSL" in text
    assert "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=" in text
    assert "PLAINTEXT://" not in text


@pytest.mark.parametrize("name", sorted(NODES))
def test_key_material_is_private(name):
    host = NODES[name]
    for store in ("keystore.p12", "truststore.p12"):
        f = host.file(f"{TLS}/{store}")
        assert (f.user, f.group, f.mode) == ("kafka", "kafka", 0o600)
    assert host.file("/etc/kafka/admin.properties").mode == 0o600
    assert host.file("/etc/kafka/jmxremote.password").mode == 0o600


def test_certificate_names_the_node():
    out = K1.run(f"openssl x509 -in {TLS}/ca.crt -noout -subject")
    assert out.rc == 0 and "kafkaops" in out.stdout
    sans = K1.run(
        "echo | timeout 10 openssl s_client -connect 127.0.0.1:9092 -servername sec-kafka1 2>/dev/null"
        " | openssl x509 -noout -ext subjectAltName"
    )
    assert "DNS:sec-kafka1" in sans.stdout and "IP Address:127.0.0.1" in sans.stdout, sans.stdout


def test_plaintext_client_is_refused():
    out = K1.run(f"timeout 60 {BIN}/kafka-broker-api-versions.sh --bootstrap-server sec-kafka1:9092")
    assert out.rc != 0
    # A TLS server answers a plaintext request with a TLS alert, not a Kafka response.
    failure = re.search(r".*Request METADATA failed.*|.*Exception.*", out.stdout + out.stderr)
    print("plaintext:", out.rc, failure.group(0)[:200] if failure else "")


def test_wrong_sasl_password_is_refused():
    cfg = client_config(K1, "wrong", "admin", "not-the-password")
    out = K1.run(f"timeout 60 {BIN}/kafka-topics.sh --bootstrap-server sec-kafka1:9092 --command-config {cfg} --list")
    assert out.rc != 0
    assert re.search(r"Authentication failed|SaslAuthenticationException", out.stdout + out.stderr)
    print("wrong password:", re.search(r".*Authentication failed.*", out.stdout + out.stderr).group(0)[:200])


def test_right_credentials_produce_and_consume():
    cfg1 = client_config(K1, "admin", "admin", "admin-Secret-91c2")
    k3 = NODES["sec-kafka3"]
    cfg3 = client_config(k3, "admin", "admin", "admin-Secret-91c2")
    topic = f"secure-{uuid.uuid4().hex[:8]}"
    created = K1.run(
        f"{BIN}/kafka-topics.sh --bootstrap-server sec-kafka1:9092 --command-config {cfg1} "
        f"--create --topic {topic} --partitions 3 --replication-factor 3"
    )
    assert created.rc == 0, created.stderr
    messages = [f"m{i}-{uuid.uuid4().hex}" for i in range(5)]
    produced = K1.run(
        f"printf '%s\\n' {' '.join(messages)} | {BIN}/kafka-console-producer.sh --bootstrap-server sec-kafka1:9092 "
        f"--producer.config {cfg1} --topic {topic} --producer-property acks=all"
    )
    assert produced.rc == 0, produced.stderr
    consumed = run(
        k3,
        f"{BIN}/kafka-console-consumer.sh --bootstrap-server sec-kafka3:9092 --consumer.config {cfg3} "
        f"--topic {topic} --from-beginning --max-messages 5 --timeout-ms 30000",
    )
    assert consumed.rc == 0, consumed.stderr
    assert sorted(consumed.stdout.split()) == sorted(messages)


def test_scram_users_added_after_format():
    cfg = client_config(K1, "admin", "admin", "admin-Secret-91c2")
    out = K1.run(
        f"{BIN}/kafka-configs.sh --bootstrap-server sec-kafka1:9092 --command-config {cfg} "
        "--describe --entity-type users"
    )
    assert out.rc == 0, out.stderr
    # kafka-broker at format time, admin by kafka_kraft, the apps' users by kafka_access.
    for user in ("kafka-broker", "admin", "kafkaops-producer", "kafkaops-consumer"):
        assert f"user-principal '{user}'" in out.stdout


def test_apps_end_to_end_over_sasl_ssl():
    env = APPS.file("/etc/kafkaops/kafkaops-producer.env")
    assert env.mode == 0o640
    assert 'KAFKA_SECURITY_PROTOCOL="SASL_SSL"' in env.content_string
    marker = f"secure-{uuid.uuid4().hex}"
    body = f'{{"key": "{marker}"}}'
    status, text = http(APPS, "POST", "http://127.0.0.1:8001/send", body, {"Content-Type": "application/json"})
    assert status == 200, text
    found = fetch(APPS, "http://127.0.0.1:8002/", marker, 60)
    assert marker in found.stdout


@pytest.mark.parametrize("name", sorted(NODES))
def test_exporter_serves_kafka_metrics(name):
    out = fetch(NODES[name], METRICS, "kafka_server_replicamanager_underreplicatedpartitions", 60, SCRAPE_AUTH)
    assert out.rc == 0, out.stderr
    text = out.stdout
    assert re.search(r"^kafka_server_replicamanager_underreplicatedpartitions \S+", text, re.M)
    assert re.search(r"^kafka_controller_kafkacontroller_activecontrollercount \S+", text, re.M)
    assert "kafka_network_requestmetrics_requests_total" in text
    assert "kafka_server_raft_" in text


def test_active_controller_count_sums_to_one():
    total = 0.0
    for host in NODES.values():
        out = fetch(host, METRICS, auth=SCRAPE_AUTH)
        match = re.search(r"^kafka_controller_kafkacontroller_activecontrollercount (\S+)", out.stdout, re.M)
        total += float(match.group(1))
    assert total == 1.0


def test_jmx_listens_on_9999_loopback_only():
    # Java reports an IPv4 bind as [::ffff:127.0.0.1].
    listening = K1.run("ss -Hltn 'sport = :9999'").stdout
    assert re.search(r"127\.0\.0\.1\]?:9999", listening), listening
    assert not re.search(r"(\*|0\.0\.0\.0|\[::\]):9999", listening), listening
    unit = K1.file("/etc/systemd/system/kafka-node1.service").content_string
    assert "-Dcom.sun.management.config.file=/etc/kafka/node1/jmx-management.properties" in unit
    assert "authenticate=true" in K1.file("/etc/kafka/node1/jmx-management.properties").content_string


@pytest.mark.parametrize("name", sorted(NODES))
def test_logrotate_config_is_clean(name):
    host = NODES[name]
    out = host.run("logrotate -d /etc/logrotate.d/kafka")
    assert out.rc == 0, out.stderr
    assert "error" not in (out.stdout + out.stderr).lower()
    assert "FileAppender" in host.file(f"/etc/kafka/node{name[-1]}/log4j.properties").content_string


def test_firewall_rules_loaded():
    rules = K1.run("nft list table inet kafkaops")
    assert rules.rc == 0, rules.stderr
    assert "policy drop" in rules.stdout and "10092" in rules.stdout
    apps = APPS.run("nft list table inet kafkaops")
    assert apps.rc == 0 and "8001" in apps.stdout


def test_controller_port_closed_to_apps_host():
    out = APPS.run("timeout 5 python3 -c \"import socket;socket.create_connection(('sec-kafka1', 10092), 3)\"")
    assert out.rc != 0


@pytest.mark.parametrize("name", [*sorted(NODES), "sec-apps1"])
def test_no_password_in_ps_or_world_readable_files(name):
    host = hosts(name)[name]
    ps = host.run("ps -eo args")
    for secret in PASSWORDS:
        assert secret not in ps.stdout
    # printf is a shell builtin: the passwords stay in this marked shell's arguments, not grep's.
    readable = host.run(
        "umask 077 && printf '%%s\\n' " + " ".join(["%s"] * len(PASSWORDS)) + " > /root/.secret-patterns && "
        "grep -rlsF -f /root/.secret-patterns /etc /opt/kafka/ /var/log/kafka /var/kafka 2>/dev/null | "
        f"xargs -r stat -c '%%a %%n' | awk '$1 ~ /[4-7]$/'; rm -f /root/.secret-patterns  # {HARNESS}",
        *PASSWORDS,
    )
    assert readable.stdout.strip() == "", readable.stdout


KAFKA_EXPOSURE_MAX = 4.5
APPS_EXPOSURE_MAX = 3.5


def exposure(host, unit: str) -> float:
    """systemd-analyze's overall exposure level of an installed unit (0 safest, 10 unsafe)."""
    out = host.run(f"systemd-analyze security --no-pager {unit}")
    match = re.search(r"Overall exposure level for \S+: (\d+(?:\.\d+)?)", out.stdout)
    assert match, f"{unit}: {out.stdout[-300:]} {out.stderr[-300:]}"
    return float(match.group(1))


def test_units_are_hardened():
    units = [(host, f"kafka-node{name[-1]}.service", KAFKA_EXPOSURE_MAX) for name, host in sorted(NODES.items())]
    consumers = APPS.run("systemctl list-units --plain --no-legend 'kafkaops-consumer@*.service'").stdout.split()
    consumers = [u for u in consumers if u.startswith("kafkaops-consumer@")]
    assert consumers, "no consumer instance on sec-apps1"
    units += [(APPS, u, APPS_EXPOSURE_MAX) for u in ["kafkaops-producer@8001.service", *consumers]]
    problems = []
    for host, unit, limit in units:
        score = exposure(host, unit)
        print(f"{host.backend.hostname} {unit}: {score}")
        if score > limit:
            problems.append(f"{host.backend.hostname} {unit}: exposure {score} > {limit}")
        # The running process is sandboxed too: seccomp filter, no new privileges, no capabilities.
        # Unprivileged containers get no mount namespaces (systemd skips them), so paths are not checked here.
        pid = host.run(f"systemctl show -P MainPID {unit}").stdout.strip()
        status = dict(re.findall(r"^(\w+):\s+(\S+)$", host.run(f"cat /proc/{pid}/status").stdout, re.M))
        wanted = {"Seccomp": "2", "NoNewPrivs": "1", "CapBnd": "0000000000000000"}
        if {k: status.get(k) for k in wanted} != wanted:
            problems.append(f"{host.backend.hostname} {unit} (pid {pid}): {[(k, status.get(k)) for k in wanted]}")
    assert not problems, problems
