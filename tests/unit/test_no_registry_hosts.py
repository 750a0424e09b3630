"""No package registry's host name anywhere in the repository: downloads come
from the upstream projects' own release pages or the machine's configuration."""

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
REGISTRY_HOSTS = re.compile(
    r"repo1?\.maven\.org|maven\.org/maven2|central\.sonatype|pypi\.org|pythonhosted\.org|registry\.npmjs\.org"
    r"|crates\.io/api|proxy\.golang\.org|deb\.debian\.org"
)


def test_tracked_files_name_no_registry_host():
    files = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    found = []
    for name in files:
        path = REPO / name
        if not path.is_file() or path.suffix in {".png", ".jar", ".tgz"}:
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        found += [f"{name}: {m.group(0)}" for m in REGISTRY_HOSTS.finditer(text)]
    assert not found, found
