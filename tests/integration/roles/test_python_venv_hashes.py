"""python_venv with a hash-locked requirements file installs only wheels whose sha256 the lock lists.

The real role runs on localhost (local connection, every path under tmp_path) with a
one-line lock of a small pure-Python wheel. A wrong hash is refused on the controller
(pip download) and a wheel swapped in the controller's cached wheelhouse is refused on
the host (pip install); neither leaves the package installed. A local package needing
a distribution the lock lacks fails the run at pip check.
"""

from __future__ import annotations

import os
import subprocess
import tarfile
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml

from tests.support.playbook import json_report, run_playbook

# sniffio 1.3.1's py3-none-any wheel, the only file pip picks for any host.
WHEEL = "sniffio-1.3.1-py3-none-any.whl"
GOOD_HASH = "2f6da418d1f1e0fddd844478f41680e794e6051915791a034ff65e5f100525a2"
WRONG_HASH = "0" * 64
HASH_MISMATCH = "THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE"

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(os.geteuid() != 0, reason="the role gives the virtualenv to root"),
    pytest.mark.skipif(not Path("/usr/bin/python3").exists(), reason="the role's host interpreter"),
]


def lock(path: Path, digest: str) -> Path:
    path.write_text(f"sniffio==1.3.1 \\\n    --hash=sha256:{digest}\n")
    return path


def local_wheel(directory: Path, requires: str) -> Path:
    """A minimal wheel of distribution `tinyapp` that depends on `requires`."""
    path = directory / "tinyapp-0.1-py3-none-any.whl"
    info = "tinyapp-0.1.dist-info"
    files = {
        "tinyapp/__init__.py": "",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: tinyapp\nVersion: 0.1\nRequires-Dist: {requires}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    files[f"{info}/RECORD"] = "".join(f"{name},,\n" for name in [*files, f"{info}/RECORD"])
    with zipfile.ZipFile(path, "w") as wheel:
        for name, text in files.items():
            wheel.writestr(name, text)
    return path


def run_role(
    tmp: Path, name: str, requirements: Path, cache: Path, local: list | None = None
) -> tuple[subprocess.CompletedProcess, dict]:
    variables = {
        "python_venv_path": str(tmp / name / "venv"),
        "python_venv_remote_wheelhouse": str(tmp / name / "wheelhouse"),
        "python_venv_wheelhouse_root": str(cache),
        "python_venv_requirements_file": str(requirements),
        "python_venv_require_hashes": True,
        "python_venv_local_packages": local or [],
    }
    playbook = [
        {
            "hosts": "localhost",
            "gather_facts": False,
            # Debian's python3, as on a host (and the one that has python3-apt for packages.yml).
            "vars": {"ansible_python_interpreter": "/usr/bin/python3"},
            "tasks": [
                {
                    "name": "Hash-locked virtualenv",
                    "ansible.builtin.include_role": {"name": "kafkaops.kraft.python_venv"},
                    "vars": variables,
                }
            ],
        }
    ]
    path = tmp / f"{name}.yml"
    path.write_text(yaml.safe_dump(playbook))
    result = run_playbook(path, "-i", "localhost,", "-c", "local", json_output=True)
    return result, json_report(result)


def failures(report: dict) -> str:
    """stdout, stderr and msg of every failed task, in one string."""
    found = []
    for play in report["plays"]:
        for task in play["tasks"]:
            for res in task["hosts"].values():
                if res.get("failed"):
                    found += [task["task"]["name"], res.get("msg", ""), res.get("stdout", ""), res.get("stderr", "")]
    return "\n".join(map(str, found))


def changed_tasks(report: dict) -> set[str]:
    return {
        task["task"]["name"]
        for play in report["plays"]
        for task in play["tasks"]
        if any(res.get("changed") for res in task["hosts"].values())
    }


def task_output(report: dict) -> str:
    return "\n".join(
        str(res.get(stream, ""))
        for play in report["plays"]
        for task in play["tasks"]
        for res in task["hosts"].values()
        for stream in ("stdout", "stderr")
    )


def sniffio_files(venv: Path) -> list[Path]:
    return sorted(venv.glob("lib/python3*/site-packages/sniffio*"))


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """One good install, shared: its wheelhouse cache is what the tamper test corrupts."""
    tmp = tmp_path_factory.mktemp("hashes")
    cache = tmp / "cache"
    requirements = lock(tmp / "requirements.txt", GOOD_HASH)
    result, report = run_role(tmp, "good", requirements, cache)
    return tmp, cache, requirements, result, report


def test_locked_wheel_installs_and_a_rerun_changes_nothing(installed):
    tmp, cache, requirements, result, report = installed
    assert result.returncode == 0, failures(report) or result.stderr[-2000:]
    venv = tmp / "good" / "venv"
    version = subprocess.run(
        [venv / "bin" / "python", "-c", "import sniffio; print(sniffio.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert version.stdout.strip() == "1.3.1"
    remote = tmp / "good" / "wheelhouse-requirements.txt"
    assert remote.read_text() == requirements.read_text()
    assert remote.stat().st_mode & 0o777 == 0o644

    again, report = run_role(tmp, "good", requirements, cache)
    assert again.returncode == 0, failures(report)
    assert report["stats"]["localhost"]["changed"] == 0


def test_wrong_hash_is_refused_on_the_controller(tmp_path):
    requirements = lock(tmp_path / "requirements.txt", WRONG_HASH)
    result, report = run_role(tmp_path, "wrong", requirements, tmp_path / "cache")
    assert result.returncode != 0
    message = failures(report)
    assert HASH_MISMATCH in message
    assert GOOD_HASH in message  # pip names the digest it got
    assert sniffio_files(tmp_path / "wrong" / "venv") == []


def test_wheel_swapped_in_the_wheelhouse_is_refused_on_the_host(installed):
    tmp, cache, requirements, *_rest = installed
    (wheelhouse,) = [p for p in cache.iterdir() if p.is_dir()]
    # Same name, other bytes: what a poisoned cache or mirror would hand the host.
    (wheelhouse / WHEEL).write_bytes((wheelhouse / WHEEL).read_bytes() + b"\0")
    Path(f"{wheelhouse}.tar").unlink()  # the role repacks the tampered directory
    result, report = run_role(tmp, "tampered", requirements, cache)
    assert result.returncode != 0
    message = failures(report)
    assert "Install the requirements file" in message
    assert HASH_MISMATCH in message
    assert sniffio_files(tmp / "tampered" / "venv") == []


def test_local_package_with_a_dependency_the_lock_lacks_fails_at_pip_check(tmp_path):
    requirements = lock(tmp_path / "requirements.txt", GOOD_HASH)
    wheel = local_wheel(tmp_path, requires="idna")
    local = [{"name": "tinyapp", "path": str(wheel)}]
    result, report = run_role(tmp_path, "incomplete", requirements, tmp_path / "cache", local)
    assert result.returncode != 0
    message = failures(report)
    assert "does not pin everything the installed packages need" in message
    assert "tinyapp 0.1 requires idna, which is not installed" in message
    # No record: the next run checks the virtualenv again instead of trusting it.
    assert not (tmp_path / "incomplete" / "venv" / ".kafkaops-install").exists()


def test_two_runs_at_once_build_the_shared_wheelhouse_once(tmp_path):
    """Two clusters deployed from one controller at once share its wheelhouse cache."""
    requirements = lock(tmp_path / "requirements.txt", GOOD_HASH)
    cache = tmp_path / "cache"
    with ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(lambda name: run_role(tmp_path, name, requirements, cache), ["first", "second"]))

    for result, report in runs:
        assert result.returncode == 0, failures(report) or result.stderr[-2000:]
    # pip download ran once, for both: the second run found the first one's wheelhouse.
    downloaded = ["Collecting sniffio" in task_output(report) for _result, report in runs]
    assert downloaded.count(True) == 1, f"pip download ran in {downloaded.count(True)} runs"
    built = [any(task.endswith(": Build the wheelhouse on the controller") for task in changed_tasks(report))
             for _result, report in runs]  # fmt: skip
    assert built == downloaded
    (wheelhouse,) = [p for p in cache.iterdir() if p.is_dir()]
    with tarfile.open(f"{wheelhouse}.tar") as archive:
        assert sorted(Path(m).name for m in archive.getnames() if m != ".") == sorted(
            p.name for p in wheelhouse.iterdir()
        )
    assert [p.name for p in cache.iterdir() if p.name.endswith(".partial")] == []
    for name in ("first", "second"):
        assert len(sniffio_files(tmp_path / name / "venv")) > 0
