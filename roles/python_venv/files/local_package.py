"""Controller-side helper for local Python projects: `digest PATH...` and `wheel PATH DEST`.

Build leftovers are skipped on both sides: setuptools builds in the source tree and never
prunes build/lib, so a wheel built in place can ship modules deleted since, and a
fingerprint that read them would change after every build.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SKIPPED = ("build", "dist", "__pycache__", "*.egg-info", ".*")


def sources(root: Path) -> list[Path]:
    """Files of the project a wheel is built from, in a stable order."""
    if root.is_file():
        return [root]
    found = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part.match(pattern) for part in map(Path, relative.parts) for pattern in SKIPPED):
            continue
        if path.is_file() and not path.name.endswith((".pyc", ".pyo")):
            found.append(path)
    return found


def digest(root: Path) -> str:
    sha = hashlib.sha1()  # noqa: S324 - a change detector, not a security boundary
    for path in sources(root):
        sha.update(str(path.relative_to(root) if root.is_dir() else path.name).encode() + b"\0")
        sha.update(path.read_bytes() + b"\0")
    return sha.hexdigest()


def wheel(root: Path, dest: Path) -> None:
    """pip wheel from a clean copy, so nothing left in the source tree ends up in the wheel."""
    with tempfile.TemporaryDirectory() as tmp:
        source = root
        if root.is_dir():
            source = Path(tmp) / root.name
            shutil.copytree(root, source, ignore=shutil.ignore_patterns(*SKIPPED))
        cmd = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(dest), str(source)]
        subprocess.run(cmd, check=True)  # noqa: S603 - fixed argv


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "digest":
        print(" ".join(digest(Path(p)) for p in argv[1:]))
        return 0
    if len(argv) == 3 and argv[0] == "wheel":
        wheel(Path(argv[1]), Path(argv[2]))
        return 0
    print(__doc__.splitlines()[0], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
