"""kafkaops.kraft.directories against a real file system: create, repair, check mode, refusal."""

from __future__ import annotations

import grp
import json
import os
import pwd
import stat

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.kafkaops.kraft.plugins.modules import directories

USER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name


def run(capsys, dirs, check_mode=False) -> dict:
    args = {"directories": dirs, "_ansible_check_mode": check_mode, "_ansible_diff": True}
    with patch_module_args(args), pytest.raises(SystemExit):
        directories.main()
    return json.loads(capsys.readouterr().out)


def spec(path, mode="0750"):
    return {"path": str(path), "owner": USER, "group": GROUP, "mode": mode}


def mode_of(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_creates_in_order_then_reports_no_change(tmp_path, capsys):
    dirs = [spec(tmp_path / "a"), spec(tmp_path / "a" / "b", "0700")]
    first = run(capsys, dirs)
    assert first["changed"] and first["changed_paths"] == [d["path"] for d in dirs]
    assert (mode_of(tmp_path / "a"), mode_of(tmp_path / "a" / "b")) == (0o750, 0o700)
    second = run(capsys, dirs)
    assert not second["changed"] and second["changed_paths"] == []


def test_repairs_only_the_mode_that_drifted(tmp_path, capsys):
    (tmp_path / "a").mkdir()
    os.chmod(tmp_path / "a", 0o700)
    result = run(capsys, [spec(tmp_path / "a")])
    assert result["changed_paths"] == [str(tmp_path / "a")] and mode_of(tmp_path / "a") == 0o750
    assert result["diff"][0]["before"]["mode"] == "0700"


def test_a_link_to_a_directory_changes_the_target(tmp_path, capsys):
    (tmp_path / "disk").mkdir()
    os.chmod(tmp_path / "disk", 0o700)
    (tmp_path / "data").symlink_to(tmp_path / "disk")
    result = run(capsys, [spec(tmp_path / "data")])
    assert result["changed_paths"] == [str(tmp_path / "data")]
    assert mode_of(tmp_path / "disk") == 0o750 and (tmp_path / "data").is_symlink()
    assert not run(capsys, [spec(tmp_path / "data")])["changed"]


def test_check_mode_reports_without_touching(tmp_path, capsys):
    (tmp_path / "drifted").mkdir()
    os.chmod(tmp_path / "drifted", 0o700)
    result = run(capsys, [spec(tmp_path / "new"), spec(tmp_path / "drifted")], check_mode=True)
    assert result["changed_paths"] == [str(tmp_path / "new"), str(tmp_path / "drifted")]
    assert not (tmp_path / "new").exists() and mode_of(tmp_path / "drifted") == 0o700


def test_a_file_in_the_way_is_refused_and_kept(tmp_path, capsys):
    (tmp_path / "f").write_text("data")
    result = run(capsys, [spec(tmp_path / "f")])
    assert result["failed"] and "not a directory" in result["msg"]
    assert (tmp_path / "f").read_text() == "data"


def test_relative_paths_are_refused(tmp_path, capsys):
    result = run(capsys, [spec("relative/dir")])
    assert result["failed"] and "absolute" in result["msg"]
