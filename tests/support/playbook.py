"""Run ansible-playbook from the repository the way the tests do, and read what it prints."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
# One host's line of the PLAY RECAP: "k1 : ok=5 changed=0 unreachable=0 failed=0 ...".
RECAP_LINE = re.compile(r"^(\S+)\s*:\s*((?:\w+=\d+\s*)+)$", re.M)


def venv_path(*before: Path | str) -> str:
    """A PATH with ``before`` first, then this Python's bin directory: the modules and tools import kafka-python."""
    return ":".join([*map(str, before), str(VENV_BIN), os.environ["PATH"]])


def run_playbook(
    *args: str | Path, env: dict | None = None, json_output: bool = False, timeout: float = 300
) -> subprocess.CompletedProcess:
    """``ansible-playbook *args`` in the repository with its ansible.cfg; output captured as text.

    A failed run is returned, not raised: the tests assert on its return code and output.
    ``env`` adds to (or overrides) this process's environment; ``json_output`` selects the
    ansible.posix.json callback (read it with json_report).
    """
    full_env = {**os.environ, "ANSIBLE_CONFIG": str(REPO / "ansible.cfg")}
    if json_output:
        full_env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.posix.json"
    full_env.update(env or {})
    return subprocess.run(
        ["ansible-playbook", *map(str, args)],
        cwd=REPO,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def json_report(result: subprocess.CompletedProcess) -> dict:
    """The ansible.posix.json callback's report, skipping anything printed before it (warnings)."""
    return json.loads(result.stdout[result.stdout.index("{") :])


def recap_counts(stdout: str) -> dict[str, dict[str, int]]:
    """PLAY RECAP of the default callback: {host: {"ok": n, "changed": n, "failed": n, ...}}."""
    _before, found, recap = stdout.rpartition("PLAY RECAP")
    if not found:
        return {}
    return {
        host: {key: int(value) for key, value in (pair.split("=") for pair in counts.split())}
        for host, counts in RECAP_LINE.findall(recap)
    }
