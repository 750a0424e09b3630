"""The controller helper fingerprints and builds a local project without its build leftovers."""

import importlib.util
import zipfile
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "local_package", Path(__file__).parents[3] / "roles" / "python_venv" / "files" / "local_package.py"
)
local_package = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(local_package)


def project(root: Path) -> Path:
    (root / "demo").mkdir(parents=True)
    (root / "demo" / "__init__.py").write_text("VALUE = 1\n")
    (root / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=65"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "demo"\nversion = "1.0"\n[tool.setuptools.packages.find]\ninclude = ["demo*"]\n'
    )
    return root


def test_digest_ignores_build_leftovers_but_not_sources(tmp_path):
    root = project(tmp_path / "p")
    before = local_package.digest(root)
    for leftover in ("build/lib/demo/old.py", "demo.egg-info/SOURCES.txt", "demo/__pycache__/x.pyc", ".env"):
        (root / leftover).parent.mkdir(parents=True, exist_ok=True)
        (root / leftover).write_text("x")
    assert local_package.digest(root) == before
    (root / "demo" / "__init__.py").write_text("VALUE = 2\n")
    assert local_package.digest(root) != before


def test_digest_of_a_project_under_a_build_directory(tmp_path):
    # Collections are often used from build/collections/...; only paths inside the project count.
    root = project(tmp_path / "build" / "p")
    before = local_package.digest(root)
    (root / "demo" / "new.py").write_text("")
    assert local_package.digest(root) != before


@pytest.mark.skipif(importlib.util.find_spec("setuptools") is None, reason="needs setuptools")
def test_wheel_never_ships_stale_build_output(tmp_path):
    root = project(tmp_path / "p")
    (root / "build" / "lib" / "demo").mkdir(parents=True)
    (root / "build" / "lib" / "demo" / "deleted_module.py").write_text("STALE = True\n")
    local_package.wheel(root, tmp_path / "wheels")
    (built,) = (tmp_path / "wheels").glob("demo-1.0-*.whl")
    names = zipfile.ZipFile(built).namelist()
    assert "demo/__init__.py" in names and "demo/deleted_module.py" not in names


def test_a_linked_file_counts_by_its_content(tmp_path):
    # The apps' lag exporter links the collection's module_utils lag code into its package.
    shared = tmp_path / "shared.py"
    shared.write_text("LAG = 1\n")
    root = project(tmp_path / "p")
    (root / "demo" / "shared.py").symlink_to(shared)
    before = local_package.digest(root)
    shared.write_text("LAG = 2\n")
    assert local_package.digest(root) != before


@pytest.mark.skipif(importlib.util.find_spec("setuptools") is None, reason="needs setuptools")
def test_the_wheel_holds_a_linked_files_content(tmp_path):
    shared = tmp_path / "shared.py"
    shared.write_text("LAG = 1\n")
    root = project(tmp_path / "p")
    (root / "demo" / "shared.py").symlink_to(shared)
    local_package.wheel(root, tmp_path / "wheels")
    (built,) = (tmp_path / "wheels").glob("demo-1.0-*.whl")
    assert zipfile.ZipFile(built).read("demo/shared.py") == b"LAG = 1\n"
