# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0
"""Where backup.yml writes on the controller.

Dumps hold every record of their topics, so they must not land where git
would pick them up: ``kraft_controller_dir`` resolves the directory and names
the git work tree that holds it, if any, for the playbook to refuse.
"""

from __future__ import annotations

import os
from pathlib import Path

from ansible.errors import AnsibleFilterError


def _git_worktree(path):
    """The top of the git work tree holding ``path`` (which need not exist yet), or ""."""
    current = Path(path)
    for candidate in (current, *current.parents):
        # .git is a directory in a clone and a file in a linked work tree or submodule.
        if (candidate / ".git").exists():
            return str(candidate)
    return ""


def kraft_controller_dir(path):
    """``{"path": absolute path, "git_worktree": work tree holding it or ""}`` for a controller directory."""
    if not str(path or "").strip():
        raise AnsibleFilterError("the backup directory must not be empty")
    absolute = os.path.abspath(os.path.expanduser(str(path)))
    return {"path": absolute, "git_worktree": _git_worktree(absolute)}


class FilterModule:
    def filters(self):
        return {
            "kraft_controller_dir": kraft_controller_dir,
        }
