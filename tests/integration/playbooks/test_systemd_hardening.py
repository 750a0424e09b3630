"""The Kafka and app systemd units are sandboxed and score within target.

The units are rendered from the roles' own templates, defaults and vars (a
throwaway role links them, so inventory values override defaults exactly as in
a deployment), for a plain cluster, the secure scenario's settings and the
seed's several-nodes-per-host layout. The text checks run everywhere; the
scores come from systemd 252's `systemd-analyze security --offline=yes` in a
throwaway container of the Molecule image, the same systemd the hosts run.
Molecule's secure scenario scores the installed units (test_units_are_hardened).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
import yaml

from tests.support.playbook import run_playbook

REPO = Path(__file__).resolve().parents[3]
IMAGE = "localhost/kafkaops-debian:bookworm"
KAFKA_MAX = 4.5
APPS_MAX = 3.5
APP_INSTANCES = {"kafkaops-producer": [8001], "kafkaops-consumer": [8002, 8003]}

SECURE = {
    "kafka_kraft_tls_enabled": True,
    "kafka_kraft_sasl_enabled": True,
    "kafka_kraft_sasl_inter_broker_password": "unused",
    "kafka_kraft_jmx_enabled": True,
    "kafka_kraft_jmx_auth_enabled": True,
    "kafka_kraft_jmx_exporter_enabled": True,
    "kafka_kraft_logrotate_enabled": True,
}
SEED_NODES = [
    {"id": 1, "roles": ["broker", "controller"]},
    {"id": 2, "roles": ["broker", "controller"]},
    # A log dir outside the data root, as on a separately mounted disk.
    {"id": 3, "roles": ["broker", "controller"], "log_dir": "/srv/disk2/kafka"},
]
# name: (group vars, {host: host vars})
SCENARIOS = {
    "plain": ({}, {f"k{i}": {"kafka_kraft_node_id": i} for i in (1, 2, 3)}),
    "secure": (SECURE, {f"k{i}": {"kafka_kraft_node_id": i} for i in (1, 2, 3)}),
    "seed": (
        {"kafka_kraft_service_read_write_paths": ["/srv/kafka-metadata"]},
        {"seed1": {"kafka_kraft_nodes": SEED_NODES}},
    ),
}
# What each seed node may write: its log dir, Kafka's log dir for the node, the extra path.
SEED_WRITABLE = {
    "kafka-node1": {"/var/kafka/logs/broker1", "/var/log/kafka/node1", "/srv/kafka-metadata"},
    "kafka-node2": {"/var/kafka/logs/broker2", "/var/log/kafka/node2", "/srv/kafka-metadata"},
    "kafka-node3": {"/srv/disk2/kafka", "/var/log/kafka/node3", "/srv/kafka-metadata"},
}

RENDER_KAFKA = """\
- name: Render the node units
  ansible.builtin.template:
    src: kafka-node.service.j2
    dest: "{{ render_out }}/{{ item.service }}.service"
    mode: "0644"
  loop: "{{ _kafka_kraft_local_nodes }}"
"""
RENDER_APP = """\
- name: Render the app's template unit
  ansible.builtin.template:
    src: app@.service.j2
    dest: "{{ render_out }}/{{ fastapi_app_name }}@.service"
    mode: "0644"
"""
PLAYBOOK = """\
- name: Kafka units
  hosts: kafka
  gather_facts: false
  roles: [render_kafka_kraft]
- name: App units
  hosts: kafka_apps
  gather_facts: false
  vars:
    python_venv_install_id: 0123456789abcdef
  tasks:
    - name: Producer
      ansible.builtin.include_role:
        name: render_fastapi_app
      vars:
        fastapi_app_name: kafkaops-producer
        fastapi_app_module: kafkaops_apps.producer
        fastapi_app_port_var: PRODUCER_PORT
    - name: Consumer
      ansible.builtin.include_role:
        name: render_fastapi_app
      vars:
        fastapi_app_name: kafkaops-consumer
        fastapi_app_module: kafkaops_apps.consumer
        fastapi_app_port_var: CONSUMER_PORT
"""


def _render_role(roles: Path, name: str, source: str, tasks: str) -> None:
    """A role whose defaults, vars and templates are the real role's, with a render-only task list."""
    role = roles / name
    (role / "tasks").mkdir(parents=True)
    (role / "tasks" / "main.yml").write_text("---\n" + tasks)
    for part in ("defaults", "vars", "templates"):
        if (REPO / "roles" / source / part).is_dir():
            (role / part).symlink_to(REPO / "roles" / source / part)


def render(work: Path) -> Path:
    """Render every scenario's units into work/out/<scenario>/<host>/ and return work/out."""
    roles = work / "roles"
    _render_role(roles, "render_kafka_kraft", "kafka_kraft", RENDER_KAFKA)
    _render_role(roles, "render_fastapi_app", "fastapi_app", RENDER_APP)
    (work / "site.yml").write_text(PLAYBOOK)
    out = work / "out"
    for scenario, (group_vars, hosts) in SCENARIOS.items():
        local = {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}
        inventory = {
            "all": {
                "vars": {**local, "render_out": f"{out}/{scenario}/{{{{ inventory_hostname }}}}"},
                "children": {
                    "kafka": {
                        "vars": group_vars,
                        "children": {"kafka_controllers": {"hosts": hosts}, "kafka_brokers": {"hosts": hosts}},
                    },
                    "kafka_apps": {"hosts": {f"{scenario}-apps": {}}},
                },
            }
        }
        (work / f"{scenario}.yml").write_text(yaml.safe_dump(inventory))
        for host in [*hosts, f"{scenario}-apps"]:
            (out / scenario / host).mkdir(parents=True)
        result = run_playbook(work / "site.yml", "-i", work / f"{scenario}.yml", env={"ANSIBLE_ROLES_PATH": str(roles)})
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
        # systemd scores and verifies instances, not template units.
        for template in (out / scenario / f"{scenario}-apps").glob("*@.service"):
            for port in APP_INSTANCES[template.name.split("@")[0]]:
                shutil.copy(template, template.with_name(template.name.replace("@", f"@{port}")))
            template.unlink()
    return out


@pytest.fixture(scope="module")
def units(tmp_path_factory) -> Path:
    return render(tmp_path_factory.mktemp("units"))


def service_section(path: Path) -> dict[str, list[str]]:
    """[Service] settings of a unit file: name -> values in order (continuation lines joined)."""
    settings: dict[str, list[str]] = {}
    section = None
    for line in path.read_text().replace("\\\n", " ").splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and "=" in line and not line.startswith("#"):
            key, _sep, value = line.partition("=")
            settings.setdefault(key, []).append(value)
    return settings


def kafka_units(out: Path) -> list[Path]:
    return sorted(out.glob("*/*/kafka-node*.service"))


def app_units(out: Path) -> list[Path]:
    return sorted(out.glob("*/*/kafkaops-*@*.service"))


# What every unit sets, and what the JVM cannot run with.
COMMON = {
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "NoNewPrivileges": "yes",
    "CapabilityBoundingSet": "",
    "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
    "RestrictNamespaces": "yes",
    "LockPersonality": "yes",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectKernelLogs": "yes",
    "ProtectControlGroups": "yes",
    "SystemCallFilter": "@system-service",
    "UMask": "0027",
}


@pytest.mark.integration
def test_units_set_the_sandbox(units):
    rendered = kafka_units(units) + app_units(units)
    assert len(rendered) == 9 + 3 * 3, rendered
    for unit in rendered:
        settings = service_section(unit)
        for key, value in COMMON.items():
            assert value in settings.get(key, []), f"{unit}: {key}={value} missing; has {settings.get(key)}"
    for unit in kafka_units(units):
        # The JIT writes and then runs code.
        assert "MemoryDenyWriteExecute" not in service_section(unit), unit
    for unit in app_units(units):
        settings = service_section(unit)
        assert settings.get("MemoryMax") and settings.get("LimitNOFILE"), unit
        assert "ReadWritePaths" not in settings, f"{unit}: the apps write nothing"


@pytest.mark.integration
def test_kafka_writes_only_its_own_dirs(units):
    for unit in sorted(units.glob("seed/*/kafka-node*.service")):
        settings = service_section(unit)
        writable = {p for v in settings.get("ReadWritePaths", []) for p in v.split()}
        assert writable == SEED_WRITABLE[unit.stem], unit
        # Crash files (hs_err_pid*.log) land in the working directory, Kafka's log dir.
        assert settings.get("WorkingDirectory") == [f"/var/log/kafka/node{unit.stem[-1]}"], unit
    for unit in sorted(units.glob("plain/*/kafka-node*.service")):
        writable = {p for v in service_section(unit).get("ReadWritePaths", []) for p in v.split()}
        assert writable == {"/var/kafka/logs", f"/var/log/kafka/node{unit.stem[-1]}"}, unit


def podman_image() -> str | None:
    """Why the scoring container cannot run here, or None when it can."""
    if not shutil.which("podman"):
        return "podman is not installed"
    env = {**os.environ, "CONTAINERS_CONF": os.environ.get("CONTAINERS_CONF", str(REPO / "tools" / "containers.conf"))}
    if subprocess.run(["podman", "image", "exists", IMAGE], env=env, capture_output=True, check=False).returncode != 0:
        return f"image {IMAGE} is missing (make image)"
    return None


# Runs in the throwaway container: stand-in executables and users so that
# `verify` judges the directives, not what the image lacks.
SCORE_SCRIPT = r"""
set -u
for f in /u/*/*/*.service; do
  grep -h '^ExecStart=' "$f" | sed 's/^ExecStart=//; s/ .*//' | while read -r exe; do
    mkdir -p "$(dirname "$exe")"; [ -e "$exe" ] || { printf '#!/bin/sh\n' > "$exe"; chmod +x "$exe"; }
  done
done
id kafka >/dev/null 2>&1 || useradd --system kafka
id kafkaops-apps >/dev/null 2>&1 || useradd --system kafkaops-apps
for f in /u/*/*/*.service; do
  echo "=== $f"
  systemd-analyze security --offline=yes --no-pager "$f" 2>&1 | grep -E 'Overall exposure level'
  mkdir -p /tmp/v && cp "$f" /tmp/v/
  systemd-analyze verify --man=no "/tmp/v/$(basename "$f")" 2>&1 | sed 's/^/VERIFY /'
  rm -rf /tmp/v
done
"""


@pytest.fixture(scope="module")
def analysis(units) -> dict[str, dict]:
    """Per unit path (relative to the render dir): its exposure score and verify's complaints."""
    reason = podman_image()
    if reason:
        pytest.skip(f"cannot score units offline: {reason}")
    env = {**os.environ, "CONTAINERS_CONF": os.environ.get("CONTAINERS_CONF", str(REPO / "tools" / "containers.conf"))}
    name = f"hardening-check-{uuid.uuid4().hex[:10]}"
    result = subprocess.run(
        ["podman", "run", "--rm", "--name", name, "-v", f"{units}:/u:ro", IMAGE, "bash", "-c", SCORE_SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    found: dict[str, dict] = {}
    current = None
    for line in result.stdout.splitlines():
        if line.startswith("=== /u/"):
            current = found.setdefault(line[len("=== /u/") :], {"score": None, "verify": []})
        elif current is not None and (m := re.search(r"Overall exposure level for \S+: (\d+(?:\.\d+)?)", line)):
            current["score"] = float(m.group(1))
        elif current is not None and line.startswith("VERIFY "):
            current["verify"].append(line[len("VERIFY ") :])
    return found


@pytest.mark.integration
def test_units_score_within_target(units, analysis):
    scores = {unit: result["score"] for unit, result in sorted(analysis.items())}
    print("\n".join(f"{score:4} {unit}" for unit, score in scores.items()))
    assert len(scores) == len(kafka_units(units)) + len(app_units(units)), scores
    for unit, score in scores.items():
        limit = KAFKA_MAX if "/kafka-node" in unit else APPS_MAX
        assert score is not None and score <= limit, f"{unit}: exposure {score} > {limit}"


@pytest.mark.integration
def test_units_verify_cleanly(analysis):
    complaints = {unit: result["verify"] for unit, result in sorted(analysis.items()) if result["verify"]}
    assert not complaints, complaints
