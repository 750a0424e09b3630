"""Controller backup directory checks (plugins/filter/kraft_backup.py)."""

import importlib.util
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

_spec = importlib.util.spec_from_file_location(
    "kraft_backup", Path(__file__).resolve().parents[3] / "plugins" / "filter" / "kraft_backup.py"
)
backup = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(backup)


def test_a_directory_outside_any_work_tree(tmp_path):
    assert backup.kraft_controller_dir(str(tmp_path / "b")) == {"path": str(tmp_path / "b"), "git_worktree": ""}


@pytest.mark.parametrize("marker", ["dir", "file"])
def test_a_not_yet_created_directory_inside_a_work_tree(tmp_path, marker):
    if marker == "dir":
        (tmp_path / ".git").mkdir()
    else:  # linked work trees and submodules have a .git file
        (tmp_path / ".git").write_text("gitdir: /elsewhere\n")
    result = backup.kraft_controller_dir(str(tmp_path / "backups" / "deep"))
    assert result["git_worktree"] == str(tmp_path)


def test_home_and_relative_paths_are_resolved(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    assert backup.kraft_controller_dir("~/kafkaops-backups")["path"] == str(tmp_path / "home" / "kafkaops-backups")
    assert backup.kraft_controller_dir("rel/x")["path"] == str(tmp_path / "rel" / "x")


def test_this_checkout_is_a_work_tree():
    repo = Path(__file__).resolve().parents[3]
    if not (repo / ".git").exists():
        pytest.skip("not a git checkout")
    assert backup.kraft_controller_dir(str(repo / "backups"))["git_worktree"] == str(repo)


def test_an_empty_directory_is_refused():
    with pytest.raises(AnsibleFilterError):
        backup.kraft_controller_dir("  ")
