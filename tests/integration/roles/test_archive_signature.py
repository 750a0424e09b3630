"""A Kafka archive downloaded from a URL is unpacked only when a trusted key signed it.

The role's own download tasks (archive_url.yml) run on localhost against a
release directory served over real HTTP: an archive, its gpg --print-md
SHA-512 and its detached signature, made with throwaway keys by real gpg,
laid out as Apache lays out a release. Whoever controls the server controls
the published digest, so only the signature check can catch a swapped archive.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from tests.support.playbook import json_report, run_playbook

VERSION = "9.9.1"
NAME = f"kafka_2.13-{VERSION}.tgz"

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(shutil.which("gpg") is None, reason="needs gpg"),
    pytest.mark.skipif(os.geteuid() != 0, reason="the role writes root-owned files"),
]


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def gpg(home: Path, *args: str) -> str:
    return subprocess.run(
        ["gpg", "--batch", "--no-tty", "--homedir", str(home), *args],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout


def new_key(home: Path, uid: str) -> str:
    home.mkdir(mode=0o700)
    gpg(home, "--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key", uid, "ed25519", "sign", "never")
    listing = gpg(home, "--with-colons", "--list-keys")
    return next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))


def publish(directory: Path, signer: Path, archive: bytes) -> None:
    """Lay out a release as Apache does: archive, .sha512 (gpg --print-md) and .asc."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / NAME
    path.write_bytes(archive)
    (directory / f"{NAME}.sha512").write_text(gpg(signer, "--print-md", "SHA512", str(path)))
    (directory / f"{NAME}.asc").unlink(missing_ok=True)
    gpg(signer, "--armor", "--detach-sign", "--output", str(directory / f"{NAME}.asc"), str(path))


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    """Two keys (the project's, and a stranger's), KEYS with the project's, and a web server."""
    root = tmp_path_factory.mktemp("release")
    keys = {"project": root / "gnupg-project", "stranger": root / "gnupg-stranger"}
    fingerprints = {
        "project": new_key(keys["project"], "Kafka Release Manager <release@example.invalid>"),
        "stranger": new_key(keys["stranger"], "Someone Else <else@example.invalid>"),
    }
    site = root / "site"
    site.mkdir()
    (site / "KEYS").write_text(gpg(keys["project"], "--armor", "--export"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield {"site": site, "keys": keys, "fingerprints": fingerprints, "base": f"http://127.0.0.1:{server.server_port}"}
    server.shutdown()
    for home in keys.values():
        # Signing started a gpg-agent for each throwaway home.
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], check=False, timeout=30)


def download(release, tmp_path: Path, case: str, check: bool = False, **variables) -> tuple[dict, Path]:
    cache = tmp_path / "cache"
    cache.mkdir(exist_ok=True)
    play = [
        {
            "hosts": "localhost",
            "gather_facts": False,
            "vars": {
                "ansible_python_interpreter": sys.executable,
                "kafka_kraft_version": VERSION,
                "kafka_kraft_archive_url": f"{release['base']}/{case}/{NAME}",
                "kafka_kraft_archive_keys_url": f"{release['base']}/KEYS",
                "kafka_kraft_archive_cache_dir": str(cache),
                **variables,
            },
            "tasks": [
                {
                    "name": "Download tasks of kafka_kraft",
                    "ansible.builtin.include_role": {
                        "name": "kafkaops.kraft.kafka_kraft",
                        "tasks_from": "archive_url.yml",
                    },
                }
            ],
        }
    ]
    playbook = tmp_path / "download.yml"
    playbook.write_text(yaml.safe_dump(play))
    result = run_playbook(
        playbook, "-i", "localhost,", "-c", "local", *(["--check"] if check else []), json_output=True
    )
    report = json_report(result)
    failures = [
        " ".join(str(res.get("msg", "")).split())
        for play in report["plays"]
        for task in play["tasks"]
        for res in task["hosts"].values()
        if res.get("failed") and not res.get("ignore_errors")
    ]
    stats = report["stats"]["localhost"]
    return {"failures": failures, "failed": stats["failures"] > 0, "rc": result.returncode}, cache / NAME


def test_an_archive_signed_by_a_key_in_keys_is_accepted(release, tmp_path):
    publish(release["site"] / "good", release["keys"]["project"], b"the real release")
    outcome, archive = download(release, tmp_path, "good")
    assert outcome["rc"] == 0, outcome
    assert archive.read_bytes() == b"the real release"


def test_an_archive_signed_by_another_key_is_refused_and_deleted(release, tmp_path):
    publish(release["site"] / "stranger", release["keys"]["stranger"], b"a look-alike")
    outcome, archive = download(release, tmp_path, "stranger")
    assert outcome["failed"], outcome
    assert "not in the keys file" in outcome["failures"][-1], outcome
    assert "refused and deleted" in outcome["failures"][-1], outcome
    assert not archive.exists()


def test_a_swapped_archive_with_a_matching_published_digest_is_refused(release, tmp_path):
    site = release["site"] / "swapped"
    publish(site, release["keys"]["project"], b"the real release")
    # Whoever swaps the archive on the server rewrites its .sha512 too; the signature stays.
    signature = (site / f"{NAME}.asc").read_bytes()
    publish(site, release["keys"]["project"], b"a tampered release")
    (site / f"{NAME}.asc").write_bytes(signature)
    outcome, archive = download(release, tmp_path, "swapped")
    assert outcome["failed"], outcome
    assert "does not match the file" in outcome["failures"][-1], outcome
    assert not archive.exists()


def test_only_the_listed_fingerprints_may_sign(release, tmp_path):
    publish(release["site"] / "listed", release["keys"]["project"], b"the real release")
    outcome, archive = download(
        release,
        tmp_path,
        "listed",
        kafka_kraft_archive_signing_fingerprints=[release["fingerprints"]["stranger"]],
    )
    assert outcome["failed"], outcome
    assert "not among the allowed signing keys" in outcome["failures"][-1], outcome
    assert not archive.exists()
    outcome, archive = download(
        release, tmp_path, "listed", kafka_kraft_archive_signing_fingerprints=[release["fingerprints"]["project"]]
    )
    assert outcome["rc"] == 0, outcome


def test_keys_from_the_controller_replace_the_published_keys(release, tmp_path):
    """A KEYS file kept on the controller is used; a stranger's KEYS on the server does not count."""
    publish(release["site"] / "ownkeys", release["keys"]["stranger"], b"a look-alike")
    stranger_keys = tmp_path / "stranger-KEYS"
    stranger_keys.write_text(gpg(release["keys"]["stranger"], "--armor", "--export"))
    outcome, _archive = download(release, tmp_path, "ownkeys", kafka_kraft_archive_keys_file=str(stranger_keys))
    assert outcome["rc"] == 0, outcome
    project_keys = tmp_path / "project-KEYS"
    project_keys.write_text(gpg(release["keys"]["project"], "--armor", "--export"))
    (tmp_path / "cache" / NAME).unlink()
    outcome, _archive = download(release, tmp_path, "ownkeys", kafka_kraft_archive_keys_file=str(project_keys))
    assert outcome["failed"], outcome


def test_no_signature_check_without_a_pinned_digest_is_refused_before_downloading(release, tmp_path):
    publish(release["site"] / "unpinned", release["keys"]["project"], b"the real release")
    outcome, archive = download(release, tmp_path, "unpinned", kafka_kraft_archive_verify_signature=False)
    assert outcome["failed"], outcome
    assert "kafka_kraft_archive_verify_signature is false" in outcome["failures"][-1], outcome
    assert not archive.exists()
    digest = gpg(release["keys"]["project"], "--print-md", "SHA512", str(release["site"] / "unpinned" / NAME))
    pinned = "sha512:" + "".join(digest.split(":", 1)[1].split())
    outcome, archive = download(
        release,
        tmp_path,
        "unpinned",
        kafka_kraft_archive_verify_signature=False,
        kafka_kraft_archive_checksum=pinned,
    )
    assert outcome["rc"] == 0, outcome
    assert archive.exists()


def test_check_mode_downloads_nothing(release, tmp_path):
    publish(release["site"] / "check", release["keys"]["project"], b"the real release")
    outcome, archive = download(release, tmp_path, "check", check=True)
    assert outcome["rc"] == 0, outcome
    assert not archive.exists()
    assert not (tmp_path / "cache" / f"{NAME}.asc").exists()
