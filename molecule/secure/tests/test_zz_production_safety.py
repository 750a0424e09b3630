"""Safe to run against production, on the fully secured cluster.

- A run limited to one broker renders the same firewall as a full run and
  leaves the quorum and the ISR intact.
- No secret appears in Ansible's output at -vvv with --diff: the first deploy,
  a real change (the authorizer, a new SCRAM user and a broker setting, so
  rolling restarts), a no-op (all three logged by Molecule's own runs, see
  molecule.yml), a --check run and a --limit run.
- No secret appears in any process's arguments, format included: every command
  line since before the first converge was recorded (molecule/shared/argv_sampler.py).

The file name sorts after test_secure.py: these change the cluster's settings.
"""

from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path

from kraft_testlib import BIN, ansible_playbook, hosts, output_tail, run

HARNESS = "kafkaops-test-harness"
NODES = hosts("sec-kafka1", "sec-kafka2", "sec-kafka3")
ALL = {**NODES, **hosts("sec-apps1")}
K1 = NODES["sec-kafka1"]
EPHEMERAL = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"])
NFT = "/etc/nftables.d/kafkaops.nft"
ADMIN = "--bootstrap-server sec-kafka1:9092 --command-config /etc/kafka/admin.properties"
SCENARIO_PASSWORDS = (
    "broker-Secret-7f3a",
    "admin-Secret-91c2",
    "producer-Secret-4d8e",
    "consumer-Secret-6a1f",
    "jmx-Secret-2b6f",
    "scrape-Secret-3e9c",
    "lag-Secret-8e2b",
)
NEW_USER = {"name": "audit", "password": "audit-Secret-5e1d"}  # molecule.yml adds it in side_effect
LOG = EPHEMERAL / "ansible-output.log"
LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\d [\d:,]+ p=(\d+) u=")
SITE_PLAY = "PLAY [Kafka KRaft cluster]"
# What a SCRAM credential or a private key looks like, whatever its random salt.
SECRET_SHAPES = re.compile(r"saltedpassword|salt=\"|PRIVATE KEY-----")


def secrets() -> list[str]:
    """Every configured password, and the generated keystore and truststore passwords."""
    stores = [path.read_text().strip() for path in (EPHEMERAL / "pki").glob("*.pass")]
    assert len(stores) == 2, "the generated store passwords were not found"
    return [*SCENARIO_PASSWORDS, NEW_USER["password"], *stores]


def base64_forms(secret: str) -> list[str]:
    """The secret as it shows inside base64 text (slurp), at each of the three byte alignments."""
    forms = []
    for offset in range(3):
        encoded = base64.b64encode(b"x" * offset + secret.encode()).decode()
        core = encoded[4 if offset else 0 : -4]
        if len(core) >= 8:
            forms.append(core)
    return forms


def leaks(text: str) -> list[str]:
    found = []
    for index, secret in enumerate(secrets()):
        if secret in text:
            found.append(f"secret #{index} in clear")
        if any(form in text for form in base64_forms(secret)):
            found.append(f"secret #{index} base64-encoded")
    found += sorted({f"shape {m.group(0)!r}" for m in SECRET_SHAPES.finditer(text)})
    return found


def cluster_intact() -> None:
    status = run(K1, f"{BIN}/kafka-metadata-quorum.sh {ADMIN} describe --status", 60, "LeaderId")
    assert status.rc == 0, status.stderr
    voters = json.loads(re.search(r"CurrentVoters:\s*(\[.*\])", status.stdout).group(1))
    assert sorted(v["id"] for v in voters) == [1, 2, 3]
    urp = run(K1, f"{BIN}/kafka-topics.sh {ADMIN} --describe --under-replicated-partitions", 120, r"\A\s*\Z")
    assert urp.rc == 0 and urp.stdout.strip() == "", urp.stdout


def test_limited_run_keeps_the_firewall_and_the_quorum():
    before = {name: host.file(NFT).content_string for name, host in NODES.items()}
    assert all("10092" in rules for rules in before.values())
    result = ansible_playbook("-l", "sec-kafka2", "--diff", "-vvv")
    assert result.returncode == 0, output_tail(result)
    assert not leaks(result.stdout + result.stderr)
    after = {name: host.file(NFT).content_string for name, host in NODES.items()}
    assert after == before, "a --limit run rendered another rule set"
    # The controller port of the limited host is still open to its peers.
    probe = "import socket; socket.create_connection(('sec-kafka2', 10092), 5)"
    assert K1.run(f'python3 -c "{probe}"').rc == 0
    cluster_intact()


def logged_runs() -> list[str]:
    """The -vvv --diff log that molecule.yml has every run write, one text per ansible-playbook process."""
    runs: dict[str, list[str]] = {}
    current: list[str] = []
    for line in LOG.read_text().splitlines():
        header = LOG_LINE.match(line)
        if header:
            current = runs.setdefault(header.group(1), [])
        # A multi-line message continues without a header: it belongs to the line before.
        current.append(line)
    return ["\n".join(lines) for lines in runs.values()]


def test_no_secret_in_ansible_output():
    # The runs Molecule made: converge (the first deploy: PKI, keystores, users),
    # side_effect (a new SCRAM user, a broker setting and the authorizer on a
    # running cluster, so rolling restarts) and idempotence (a no-op).
    site_runs = [text for text in logged_runs() if SITE_PLAY in text]
    assert len(site_runs) >= 3, f"{len(site_runs)} site.yml runs in {LOG}"
    assert all("ESTABLISH SSH CONNECTION" in text for text in site_runs), "a run was not at -vvv"
    assert all("--- before" in text for text in site_runs[:2]), "converge or side_effect showed no diff"
    assert "log.cleaner.backoff.ms=15001" in K1.file("/etc/kafka/node1/server.properties").content_string
    users = K1.run(f"{BIN}/kafka-configs.sh {ADMIN} --describe --entity-type users")
    assert "user-principal 'audit'" in users.stdout, users.stdout

    # --check with a change that rewrites every SCRAM user's credentials: reported, not made.
    props_before = K1.file("/etc/kafka/node1/server.properties").content_string
    checked = ansible_playbook(
        "--check", "--diff", "-vvv", "-e", "kafka_kraft_sasl_scram_update=true",
        "-e", '{"kafka_kraft_custom_properties": {"log.cleaner.backoff.ms": 15002}}',
    )  # fmt: skip
    assert checked.returncode == 0, output_tail(checked)
    assert "log.cleaner.backoff.ms=15002" in checked.stdout, "--diff did not show the change"
    assert K1.file("/etc/kafka/node1/server.properties").content_string == props_before
    assert not K1.run("ls /etc/kafka/.scram-* 2>/dev/null").stdout.strip()

    for name, text in (("logged", "\n".join(site_runs)), ("check", checked.stdout + checked.stderr)):
        found = leaks(text)
        assert not found, f"the {name} runs printed: {found}"


def test_a_deprecated_firewall_name_is_named_with_its_replacement():
    # molecule.yml still sets kafka_kraft_firewall_metrics_cidrs; the converge run says so once.
    converge = next(text for text in logged_runs() if SITE_PLAY in text)
    said = re.findall(r"\[DEPRECATED\] kafka_kraft_firewall_[^;]*;", " ".join(converge.split()))
    assert said, "no deprecation named the kafka_kraft_firewall_* setting"
    assert set(said) == {"[DEPRECATED] kafka_kraft_firewall_metrics_cidrs: rename to firewall_metrics_cidrs;"}


def test_no_secret_in_any_process_arguments():
    for name, host in ALL.items():
        record = host.file("/var/tmp/kafkaops-argv.log")
        assert record.exists, f"{name}: no command-line record"
        text = record.content_string
        if name != "sec-apps1":
            # The record saw the format of this node's storage, so it was looking at the right time.
            assert re.search(r"kafka-run-class\.sh @/etc/kafka/node\d/\.format-args", text), name
        # test_secure.py's own commands that carry a password on purpose are marked.
        product = "\n".join(line for line in text.splitlines() if HARNESS not in line)
        found = leaks(product)
        assert not found, f"{name}: {found}"


def test_secrets_live_apart_from_server_properties():
    for name, host in NODES.items():
        node = name[-1]
        props = host.file(f"/etc/kafka/node{node}/server.properties").content_string
        assert not leaks(props)
        assert f"${{kafkaops:/etc/kafka/node{node}/secrets.properties:ssl.keystore.password}}" in props
        secret_file = host.file(f"/etc/kafka/node{node}/secrets.properties")
        assert (secret_file.user, secret_file.group, secret_file.mode) == ("root", "kafka", 0o640)
        assert "ssl.keystore.password=" in secret_file.content_string
