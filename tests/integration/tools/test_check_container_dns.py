"""tools/check-container-dns.sh clears what a failed run of its own left behind.

A `podman run` whose network setup fails (netavark without iptables) leaves its
container "Created" and the second one never made. The next run, after the cause
is fixed, must pass rather than stop at "the container name is already in use".
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
SCRIPT = REPO / "tools" / "check-container-dns.sh"
IMAGE = "localhost/kafkaops-debian:bookworm"
ENV = {**os.environ, "CONTAINERS_CONF": str(REPO / "tools" / "containers.conf")}


def podman(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["podman", *argv], env=ENV, capture_output=True, text=True, timeout=120, check=False)


def test_a_leftover_from_a_failed_run_is_removed():
    podman("rm", "-f", "-t", "0", "kafkaops-dnscheck-a")
    # What a failed run leaves: container a created, never started; no container b.
    assert podman("create", "--name", "kafkaops-dnscheck-a", IMAGE, "sleep", "60").returncode == 0

    run = subprocess.run([str(SCRIPT)], env=ENV, capture_output=True, text=True, timeout=300, check=False)

    assert run.returncode == 0, run.stdout + run.stderr
    assert "resolves kafkaops-dnscheck-b" in run.stdout
    for name in ("kafkaops-dnscheck-a", "kafkaops-dnscheck-b"):
        assert podman("container", "exists", name).returncode == 1, f"{name} left behind"
    assert podman("network", "exists", "kafkaops-dnscheck").returncode == 1, "network left behind"
