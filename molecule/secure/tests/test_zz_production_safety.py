"""Safe to run against production, on the fully secured cluster.

- A run limited to one broker renders the same firewall as a full run and
  leaves the quorum and the ISR intact.
- No secret appears in Ansible's output: site.yml with --diff -vvv making a real
  change (a new SCRAM user and a broker setting, so a rolling restart), again as
  a no-op, and with --check --diff -vvv.
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

from tests.support.playbook import recap_counts

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
NEW_USER = {"name": "audit", "password": "audit-Secret-5e1d"}
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
    result = ansible_playbook("-l", "sec-kafka2")
    assert result.returncode == 0, output_tail(result)
    after = {name: host.file(NFT).content_string for name, host in NODES.items()}
    assert after == before, "a --limit run rendered another rule set"
    # The controller port of the limited host is still open to its peers.
    probe = "import socket; socket.create_connection(('sec-kafka2', 10092), 5)"
    assert K1.run(f'python3 -c "{probe}"').rc == 0
    cluster_intact()


def test_no_secret_in_ansible_output():
    extra = EPHEMERAL / "safety-vars.json"
    extra.write_text(
        json.dumps(
            {
                "kafka_kraft_sasl_users": [
                    {"name": "admin", "password": "admin-Secret-91c2"},
                    NEW_USER,
                ],
                "kafka_kraft_custom_properties": {"log.cleaner.backoff.ms": 15001},
            }
        )
    )
    extra.chmod(0o600)
    changed = ansible_playbook("--diff", "-vvv", "-e", f"@{extra}")
    assert changed.returncode == 0, output_tail(changed)
    assert any(counts["changed"] > 0 for counts in recap_counts(changed.stdout).values())
    assert "log.cleaner.backoff.ms=15001" in K1.file("/etc/kafka/node1/server.properties").content_string
    users = K1.run(f"{BIN}/kafka-configs.sh {ADMIN} --describe --entity-type users")
    assert "user-principal 'audit'" in users.stdout, users.stdout

    # A re-run changes nothing, authorizer and ACLs included (on since side_effect.yml).
    noop = ansible_playbook("--diff", "-vvv", "-e", f"@{extra}")
    assert noop.returncode == 0, output_tail(noop)
    counts = recap_counts(noop.stdout)
    assert set(ALL) <= set(counts) and all(c["changed"] == 0 for c in counts.values()), counts
    assert "allow.everyone.if.no.acl.found=false" in K1.file("/etc/kafka/node1/server.properties").content_string

    # --check with a change that rewrites every SCRAM user's credentials: reported, not made.
    props_before = K1.file("/etc/kafka/node1/server.properties").content_string
    checked = ansible_playbook(
        "--check", "--diff", "-vvv", "-e", f"@{extra}", "-e", "kafka_kraft_sasl_scram_update=true",
        "-e", '{"kafka_kraft_custom_properties": {"log.cleaner.backoff.ms": 15002}}',
    )  # fmt: skip
    assert checked.returncode == 0, output_tail(checked)
    assert "log.cleaner.backoff.ms=15002" in checked.stdout, "--diff did not show the change"
    assert K1.file("/etc/kafka/node1/server.properties").content_string == props_before
    assert not K1.run("ls /etc/kafka/.scram-* 2>/dev/null").stdout.strip()

    for name, result in (("change", changed), ("no-op", noop), ("check", checked)):
        found = leaks(result.stdout + result.stderr)
        assert not found, f"the {name} run printed: {found}"


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
