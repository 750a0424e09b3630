"""The collection tarball holds what a user of the collection needs, and nothing else.

No test outputs, caches, benchmark results, build leftovers, secrets or
nested copies of the collection: galaxy.yml's build_ignore must keep every
one of them out, whatever a development checkout holds.
"""

from __future__ import annotations

import fnmatch
import tarfile
from pathlib import PurePosixPath

import pytest

# Top-level entries a user of the collection needs.
ALLOWED_TOP = {
    "MANIFEST.json", "FILES.json", "README.md", "LICENSE", "CHANGELOG.md",
    "changelogs", "docs", "meta", "plugins", "roles", "playbooks", "site.yml", "rebalance.yml", "decommission.yml",
    "apps",  # the FastAPI apps the fastapi_* roles deploy
    "inventories",  # the GCP example inventory
}  # fmt: skip
ALLOWED_UNDER = {
    "changelogs": {"changelog.yaml", "config.yaml"},
    "inventories": {"gcp"},
}
# Anywhere in the tarball.
FORBIDDEN = [
    "*/__pycache__*", "*.pyc", "*/.pytest_cache*", "*/.ruff_cache*", "*/.ansible", "*/.ansible/*", "*.egg-info*",
    "*/tests", "*/tests/*", "*/bench", "*/bench/*", "*/results/*", "*/ansible_collections/*", "*/.git", "*/.git/*",
    "*/.venv*", "*/.env", "*.tar.gz", "*.tgz", "*.jar", "*/build", "*/build/*", "*/molecule", "*/molecule/*",
    "*/artifacts/*", "*/docs/images/*", "*.png",
]  # fmt: skip
# The whole collection (apps included) packs to about 410 KiB; a stray cache,
# result or nested collection pushes it well past these.
MAX_BYTES = 460 * 1024
MAX_ENTRIES = 400


@pytest.fixture(scope="module")
def names(tarball) -> list[str]:
    with tarfile.open(tarball) as tar:
        return [member.name.removeprefix("./") for member in tar.getmembers()]


def test_only_what_a_user_needs_at_the_top(names):
    assert sorted({PurePosixPath(n).parts[0] for n in names} - ALLOWED_TOP) == []


@pytest.mark.parametrize("top", sorted(ALLOWED_UNDER))
def test_only_released_changelog_and_example_inventory(names, top):
    under = {PurePosixPath(n).parts[1] for n in names if PurePosixPath(n).parts[0] == top and "/" in n}
    assert sorted(under - ALLOWED_UNDER[top]) == []


def test_no_test_output_cache_result_secret_or_nested_collection(names):
    bad = [n for n in names if any(fnmatch.fnmatch("/" + n, pattern) for pattern in FORBIDDEN)]
    assert bad == []


def test_size_is_bounded(tarball, names):
    assert tarball.stat().st_size < MAX_BYTES
    assert len(names) < MAX_ENTRIES


def test_legal_and_galaxy_required_files(names):
    present = set(names)
    assert {"LICENSE", "README.md", "CHANGELOG.md", "changelogs/changelog.yaml", "meta/runtime.yml"} <= present
    roles = sorted({PurePosixPath(n).parts[1] for n in names if n.startswith("roles/") and n.count("/") >= 2})
    assert roles, "no role in the tarball"
    # Galaxy refuses a collection with a role that has no README.
    assert [r for r in roles if f"roles/{r}/README.md" not in present] == []
