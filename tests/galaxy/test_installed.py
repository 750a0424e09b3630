"""The collection works installed from its tarball alone.

From an empty directory, with the installed tarball and the `ansible`
package's bundled collections (its dependencies) as the only collections,
and no ansible.cfg: every shipped playbook passes --syntax-check, and every
module, filter and role renders in ansible-doc from the installed copy.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sysconfig
from pathlib import Path

import pytest

NAMESPACE, NAME = "kafkaops", "kraft"
FQCN = f"{NAMESPACE}.{NAME}"


@pytest.fixture(scope="module")
def installed(tarball, tmp_path_factory):
    """(environment, cwd, root of the installed collection)."""
    base = tmp_path_factory.mktemp("installed")
    cwd = base / "empty"
    cwd.mkdir()
    (base / "ansible.cfg").write_text("")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(
        ANSIBLE_CONFIG=str(base / "ansible.cfg"),
        # The installed tarball, then the venv's `ansible` package for the dependencies.
        ANSIBLE_COLLECTIONS_PATH=f"{base / 'collections'}:{sysconfig.get_paths()['purelib']}",
        ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
        ANSIBLE_LOCAL_TEMP=str(base / "tmp"),
        ANSIBLE_NOCOLOR="1",
    )
    install = ["ansible-galaxy", "collection", "install", "--offline", "--no-deps", "-p", str(base / "collections")]
    subprocess.run([*install, str(tarball)], cwd=cwd, env=env, check=True, capture_output=True, text=True, timeout=300)
    root = base / "collections" / "ansible_collections" / NAMESPACE / NAME
    assert (root / "MANIFEST.json").is_file()
    return env, cwd, root


def run(installed, *argv):
    env, cwd, _root = installed
    return subprocess.run(list(argv), cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)


def shipped_playbooks(root: Path) -> list[str]:
    """FQCN of each playbooks/*.yml, and the paths of the top-level playbooks that import them."""
    fqcns = [f"{FQCN}.{p.stem}" for p in sorted((root / "playbooks").glob("*.yml"))]
    return fqcns + [str(root / name) for name in ("site.yml", "rebalance.yml", "decommission.yml")]


def test_the_installed_copy_is_the_one_found(installed):
    _env, _cwd, root = installed
    result = run(installed, "ansible-galaxy", "collection", "list", FQCN, "--format", "json")
    assert result.returncode == 0, result.stderr
    paths = [path for path, found in json.loads(result.stdout).items() if FQCN in found]
    assert paths == [str(root.parents[1])]


def test_every_shipped_playbook_passes_syntax_check(installed):
    _env, _cwd, root = installed
    failed = {}
    for playbook in shipped_playbooks(root):
        result = run(installed, "ansible-playbook", "--syntax-check", "-i", "localhost,", playbook)
        # -i localhost, has none of the cluster's groups: only that warning is expected.
        warnings = [w for w in result.stderr.splitlines() if "[WARNING]" in w and "host pattern" not in w]
        if result.returncode != 0 or warnings:
            failed[playbook] = (result.stdout + result.stderr)[-1500:]
    assert not failed, "\n\n".join(f"{k}:\n{v}" for k, v in failed.items())
    assert len(shipped_playbooks(root)) >= 3


# ansible-doc's text header per plugin, e.g. "> FILTER kafkaops.kraft.x (/path/to/x.yml)" or
# "> ROLE: *kafkaops.kraft.y* (/path)".
HEADER = re.compile(r"^> (?:MODULE|FILTER|ROLE:) \*?([\w.]+)\*? \((.+)\)$", re.MULTILINE)


@pytest.mark.parametrize("plugin_type", ["module", "filter", "role"])
def test_every_plugin_and_role_renders_in_ansible_doc(installed, plugin_type):
    _env, _cwd, root = installed
    listed = run(installed, "ansible-doc", "-t", plugin_type, "-l", FQCN, "--json")
    assert listed.returncode == 0, listed.stderr
    names = sorted(json.loads(listed.stdout))
    assert names, f"no {plugin_type} listed"
    rendered = run(installed, "ansible-doc", "-t", plugin_type, *names)
    assert rendered.returncode == 0, rendered.stderr
    assert "[WARNING]" not in rendered.stderr and "[ERROR]" not in rendered.stderr, rendered.stderr
    headers = dict(HEADER.findall(rendered.stdout))
    assert sorted(headers) == names
    assert [n for n, path in headers.items() if not path.startswith(str(root))] == []
