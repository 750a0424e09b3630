"""tools/prune-dns-records.sh: records of containers that no longer run go; the rest stay."""

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[3] / "tools" / "prune-dns-records.sh"
LIVE = "a" * 64
DEAD = "b" * 64


def records(*lines: str) -> str:
    return "\n".join(["198.18.4.1", *lines]) + "\n"


def prune(tmp_path: Path, *files: tuple[str, str], pid: int | None = None) -> tuple[subprocess.CompletedProcess, Path]:
    """Run the script against fake records, with a podman that reports LIVE as the one running container."""
    dns = tmp_path / "aardvark-dns"
    dns.mkdir()
    for name, text in files:
        (dns / name).write_text(text)
    if pid is not None:
        (dns / "aardvark.pid").write_text(str(pid))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    podman = bin_dir / "podman"
    podman.write_text(f"#!/bin/sh\necho {LIVE}\n")
    podman.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "AARDVARK_DIR": str(dns)}
    result = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True, check=False)
    return result, dns


def test_a_dead_containers_record_is_dropped_and_a_live_one_kept(tmp_path):
    result, dns = prune(
        tmp_path,
        ("kraft-molecule-default", records(f"{DEAD} 198.18.4.6  kafka1,bbbb", f"{LIVE} 198.18.4.7  kafka1,aaaa")),
    )
    assert result.returncode == 0, result.stderr
    assert (dns / "kraft-molecule-default").read_text() == records(f"{LIVE} 198.18.4.7  kafka1,aaaa")
    assert "dropped" in result.stderr and "kafka1,bbbb" in result.stderr


def test_other_networks_are_not_touched(tmp_path):
    foreign = records(f"{DEAD} 10.88.0.5  web,bbbb")
    result, dns = prune(tmp_path, ("podman", foreign))
    assert result.returncode == 0, result.stderr
    assert (dns / "podman").read_text() == foreign


def test_aardvark_is_told_to_reread_only_when_a_record_went(tmp_path):
    handler = (
        "import signal, sys, time\n"
        "signal.signal(signal.SIGHUP, lambda *a: sys.exit(7)); print(flush=True); time.sleep(30)"
    )
    aardvark = subprocess.Popen([sys.executable, "-c", handler], stdout=subprocess.PIPE)
    try:
        aardvark.stdout.readline()  # its SIGHUP handler is in place
        (tmp_path / "clean").mkdir()
        result, _dns = prune(
            tmp_path / "clean", ("kraft-lab", records(f"{LIVE} 198.18.4.7  kafka1,aaaa")), pid=aardvark.pid
        )
        assert result.returncode == 0, result.stderr
        assert aardvark.poll() is None, "nothing was dropped, yet aardvark-dns was signalled"
        (tmp_path / "stale").mkdir()
        result, _dns = prune(
            tmp_path / "stale", ("kraft-lab", records(f"{DEAD} 198.18.4.6  kafka1,bbbb")), pid=aardvark.pid
        )
        assert result.returncode == 0, result.stderr
        assert aardvark.wait(timeout=10) == 7
    finally:
        if aardvark.poll() is None:
            aardvark.kill()
        aardvark.stdout.close()
