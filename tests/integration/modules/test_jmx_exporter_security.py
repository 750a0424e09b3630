"""The JMX exporter's HTTPS and basic auth, in a real broker, scraped by a real Prometheus.

kafka_kraft renders jmx-exporter.yml for a TLS cluster with a scrape password
(the node keystore, a salted PBKDF2 hash); a real broker runs the exporter
javaagent with it. An unauthenticated, a wrong-password and a plain-HTTP scrape
are refused; Debian's Prometheus, with the scrape config and the CA and
password files the prometheus role writes, reports the target up.
"""

from __future__ import annotations

import base64
import datetime
import http.client
import ipaddress
import json
import shutil
import ssl
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.support.ansible_templates import evaluate, host_variables, render
from tests.support.kafka_broker import REPO, KafkaBroker, dist, free_port
from tests.support.kraft_scenarios import SCENARIOS

pytestmark = pytest.mark.integration
AGENT = REPO / "build" / "dist" / "jmx_prometheus_javaagent-1.0.1.jar"
PROMETHEUS = shutil.which("prometheus")
PASSWORD = "scrape-Secret-5c1d"  # noqa: S105 - test password
STORE_PASSWORD = "store-Secret-77aa"  # noqa: S105 - test password


def _name(common_name):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_pki(directory):
    """A CA and a node keystore shaped like kafka_kraft's tls.yml: PKCS12, alias = host name, CA in the chain."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("test CA"))
        .issuer_name(_name("test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("k1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("k1"), x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_file = directory / "ca.crt"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    keystore = directory / "keystore.p12"
    keystore.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"k1", key, cert, [ca], serialization.BestAvailableEncryption(STORE_PASSWORD.encode())
        )
    )
    return ca_file, keystore


def cluster_inventory(port):
    """single_node with TLS, the scrape password and the exporter on ``port``, plus a monitoring host."""
    inventory, _extra = SCENARIOS["single_node"]
    inventory = json.loads(json.dumps(inventory))
    inventory["hosts"]["k1"].update({"ansible_host": "127.0.0.1", "kafka_kraft_advertised_host": "127.0.0.1"})
    inventory["hosts"]["mon1"] = {"ansible_host": "127.0.0.1"}
    inventory["groups"]["kafka_monitoring"] = ["mon1"]
    inventory["groups"].setdefault("kafka_apps", [])
    inventory["vars"] = {
        **inventory.get("vars", {}),
        "kafka_kraft_jmx_exporter_enabled": True,
        "kafka_kraft_jmx_exporter_port": port,
        "kafka_kraft_tls_enabled": True,
        "kafka_kraft_tls_keystore_password": STORE_PASSWORD,
        "kafka_kraft_jmx_exporter_password": PASSWORD,
    }
    return inventory


@pytest.fixture(scope="module")
def secured_exporter(tmp_path_factory):
    if not AGENT.is_file():
        pytest.skip("no JMX exporter jar: run `make jmx-exporter`")
    if not dist().is_file():
        pytest.skip("no Kafka archive")
    workdir = tmp_path_factory.mktemp("jmx-secure")
    ca_file, keystore = make_pki(workdir)
    port = free_port()
    inventory = cluster_inventory(port)
    values = host_variables(inventory, "k1", {"_kafka_kraft_keystore": str(keystore)})
    config = workdir / "jmx-exporter.yml"
    config.write_text(render("jmx-exporter.yml.j2", values))
    broker = KafkaBroker(workdir, jvm_opts=(f"-javaagent:{AGENT}=127.0.0.1:{port}:{config}",))
    broker.start()
    try:
        yield {"port": port, "ca": ca_file, "config": config, "inventory": inventory, "workdir": workdir}
    finally:
        broker.stop()


def get(url, context=None, auth=None, timeout=30):
    request = urllib.request.Request(url)  # noqa: S310 - a local test URL
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(":".join(auth).encode()).decode())
    with urllib.request.urlopen(request, timeout=timeout, context=context) as response:  # noqa: S310 - a local test URL
        return response.status, response.read().decode()


def test_the_rendered_file_holds_a_hash_not_the_password(secured_exporter):
    text = secured_exporter["config"].read_text()
    assert PASSWORD not in text
    basic = yaml.safe_load(text)["httpServer"]["authentication"]["basic"]
    assert basic["algorithm"] == "PBKDF2WithHmacSHA256"


def test_https_with_the_password_serves_the_metrics(secured_exporter):
    context = ssl.create_default_context(cafile=str(secured_exporter["ca"]))
    url = f"https://127.0.0.1:{secured_exporter['port']}/metrics"
    status, body = get(url, context, ("prometheus", PASSWORD), timeout=60)
    assert status == 200
    assert "kafka_server_replicamanager_" in body or "jvm_" in body


@pytest.mark.parametrize("auth", [None, ("prometheus", "wrong-password-123"), ("other", PASSWORD)])
def test_a_scrape_without_the_right_credentials_is_refused(secured_exporter, auth):
    context = ssl.create_default_context(cafile=str(secured_exporter["ca"]))
    with pytest.raises(urllib.error.HTTPError) as error:
        get(f"https://127.0.0.1:{secured_exporter['port']}/metrics", context, auth)
    assert error.value.code == 401


def test_a_plain_http_scrape_is_refused(secured_exporter):
    # The port speaks TLS only: a plain request gets no HTTP answer, let alone the metrics.
    with pytest.raises((urllib.error.URLError, http.client.HTTPException, ConnectionError, OSError)):
        get(f"http://127.0.0.1:{secured_exporter['port']}/metrics", auth=("prometheus", PASSWORD), timeout=10)


@pytest.mark.skipif(PROMETHEUS is None, reason="prometheus (Debian package) is not installed")
def test_prometheus_scrapes_it_with_the_roles_config_until_up(secured_exporter):
    workdir = secured_exporter["workdir"] / "prometheus"
    secrets = workdir / "secrets"
    rules = workdir / "rules"
    for directory in (secrets, rules):
        directory.mkdir(parents=True)
    web_port = free_port()
    values = host_variables(
        secured_exporter["inventory"],
        "mon1",
        {
            "prometheus_port": web_port,
            "prometheus_scrape_interval": "2s",
            "prometheus_scrape_timeout": "2s",
            "prometheus_lag_exporter_enabled": False,
            "prometheus_rules_dir": str(rules),
            "prometheus_kafka_ca_src": str(secured_exporter["ca"]),
            "_prometheus_secrets_dir": str(secrets),
        },
        roles=("prometheus",),
    )
    # What the role's tasks write: the CA and the password file (0640), then prometheus.yml.
    job = evaluate(values, "_prometheus_kafka_job")
    assert job["scheme"] == "https" and job["basic_auth"]["username"] == "prometheus"
    shutil.copy(secured_exporter["ca"], evaluate(values, "_prometheus_kafka_ca"))
    password_file = secrets / "jmx-exporter.password"
    assert evaluate(values, "_prometheus_jmx_password_file") == str(password_file)
    password_file.write_text(evaluate(values, "prometheus_jmx_exporter_password"))
    password_file.chmod(0o640)
    config = workdir / "prometheus.yml"
    config.write_text(render("prometheus.yml.j2", values, role="prometheus"))
    assert PASSWORD not in config.read_text()
    check = subprocess.run(["promtool", "check", "config", str(config)], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    log = (workdir / "prometheus.log").open("w")
    process = subprocess.Popen(
        [
            PROMETHEUS,
            f"--config.file={config}",
            f"--storage.tsdb.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{web_port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        query = urllib.parse.urlencode({"query": 'up{job="kafka"}'})
        deadline = time.monotonic() + 90
        result = []
        while time.monotonic() < deadline:
            assert process.poll() is None, (workdir / "prometheus.log").read_text()
            try:
                _status, body = get(f"http://127.0.0.1:{web_port}/api/v1/query?{query}", timeout=5)
                result = json.loads(body)["data"]["result"]
            except OSError:
                result = []
            if result and result[0]["value"][1] == "1":
                break
            time.sleep(1)
        assert [r["value"][1] for r in result] == ["1"], result
        assert result[0]["metric"]["instance"] == f"127.0.0.1:{secured_exporter['port']}"
        targets = json.loads(get(f"http://127.0.0.1:{web_port}/api/v1/targets", timeout=5)[1])["data"]
        kafka = [t for t in targets["activeTargets"] if t["labels"]["job"] == "kafka"]
        assert kafka[0]["scrapeUrl"].startswith("https://") and kafka[0]["lastError"] == ""
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
