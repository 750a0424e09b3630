"""apps/requirements.txt is a complete hash lock of exactly the pins in apps/requirements.in,
and fastapi_app installs from it with pip --require-hashes."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[3]
APPS = REPO / "apps"
SHA256 = re.compile(r"--hash=sha256:[0-9a-f]{64}")


def logical_lines(path: Path) -> list[str]:
    """Requirement lines with their backslash continuations joined and comments dropped."""
    text = re.sub(r"\\\n", " ", path.read_text())
    lines = (re.sub(r"(^|\s)#.*", "", line).strip() for line in text.splitlines())
    return [line for line in lines if line]


def pins(lines: list[str]) -> dict[str, str]:
    found = {}
    for line in lines:
        assert not line.startswith("-"), f"option line in a lock: {line!r}"
        requirement = Requirement(line.split(" --hash", 1)[0])
        specifiers = list(requirement.specifier)
        assert len(specifiers) == 1, line
        assert specifiers[0].operator == "==", line
        assert "*" not in specifiers[0].version, line
        found[canonicalize_name(requirement.name)] = specifiers[0].version
    return found


def test_every_locked_requirement_is_an_exact_pin_with_sha256_hashes():
    lines = logical_lines(APPS / "requirements.txt")
    assert lines
    for line in lines:
        assert SHA256.search(line), f"no --hash=sha256: for {line.split()[0]}"
        assert not re.search(r"--hash=(?!sha256:)", line), f"a hash other than sha256 for {line.split()[0]}"
    pins(lines)


def test_lock_holds_exactly_the_pins_of_requirements_in():
    # Equal sets: nothing unpinned slipped in through a dependency, nothing pinned was dropped.
    assert pins(logical_lines(APPS / "requirements.txt")) == pins(logical_lines(APPS / "requirements.in"))


def test_locked_versions_satisfy_the_project_ranges():
    project = (APPS / "pyproject.toml").read_text()
    block = re.search(r"^dependencies = \[(.*?)^\]", project, re.S | re.M).group(1)
    locked = pins(logical_lines(APPS / "requirements.txt"))
    for spec in re.findall(r'"([^"]+)"', block):
        requirement = Requirement(spec)
        version = locked.get(canonicalize_name(requirement.name))
        assert version is not None, f"{requirement.name} is not locked"
        assert requirement.specifier.contains(version, prereleases=True), f"{requirement.name}=={version} vs {spec}"


def test_fastapi_app_installs_the_lock_with_require_hashes():
    role = REPO / "roles" / "fastapi_app"
    (include,) = [
        task for task in yaml.safe_load((role / "tasks" / "install.yml").read_text()) if "include_role" in str(task)
    ]
    variables = include["vars"]
    assert variables["python_venv_requirements_file"] == "{{ fastapi_app_source }}/requirements.txt"
    assert variables["python_venv_require_hashes"] == "{{ fastapi_app_require_hashes }}"
    assert "python_venv_requirements" not in variables
    defaults = yaml.safe_load((role / "defaults" / "main.yml").read_text())
    assert defaults["fastapi_app_require_hashes"] is True
    assert defaults["fastapi_app_source"] == "{{ role_path }}/../../apps"


def test_the_lag_exporter_installs_the_apps_wheel_from_the_lock_with_require_hashes():
    role = REPO / "roles" / "prometheus"
    tasks = yaml.safe_load((role / "tasks" / "lag_exporter.yml").read_text())
    (include,) = [task for task in tasks if "include_role" in str(task)]
    variables = include["vars"]
    source = "{{ _prometheus_apps_source }}"
    assert variables["python_venv_requirements_file"] == f"{source}/requirements.txt"
    assert variables["python_venv_require_hashes"] is True
    assert variables["python_venv_local_packages"] == [{"name": "kafkaops-apps", "path": source}]
    assert "python_venv_requirements" not in variables
    assert yaml.safe_load((role / "vars" / "main.yml").read_text())["_prometheus_apps_source"] == (
        "{{ role_path }}/../../apps"
    )


def test_the_lag_exporter_gets_the_kafka_python_release_the_modules_run_on():
    # It runs the kafka_consumer_lag module's lag code (plugins/module_utils/lag.py).
    modules = yaml.safe_load((REPO / "roles" / "kafka_topic" / "defaults" / "main.yml").read_text())
    assert pins(logical_lines(APPS / "requirements.in"))["kafka-python"] == modules["kafka_topic_kafka_python_version"]
