"""The collection tarball under test: KAFKAOPS_TARBALL (make galaxy builds it), else one built here."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def tarball(tmp_path_factory) -> Path:
    given = os.environ.get("KAFKAOPS_TARBALL")
    if given:
        return Path(given).resolve()
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        ["ansible-galaxy", "collection", "build", "--output-path", str(out), str(REPO)],
        check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    (built,) = out.glob("kafkaops-kraft-*.tar.gz")
    return built
