"""Controller-side wheelhouse build: `build WHEELHOUSE MARKER LOCAL_PATHS_JSON [-- PIP_DOWNLOAD...]`.

Several playbook runs on one controller share the cache (two clusters deployed at
once, or concurrent Molecule scenarios). A lock per wheelhouse makes the check,
the build and the packing one step: a second run waits, then finds the first
run's complete wheelhouse and archive instead of downloading into the same
directory or unpacking an archive still being written.

Its last line of output is "built" when it built or packed anything, "cached" otherwise.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import local_package  # beside this script: Python puts a script's own directory on sys.path

COMPLETE = ".complete"


@contextmanager
def locked(wheelhouse: Path):
    wheelhouse.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{wheelhouse}.lock", "a", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def pack(wheelhouse: Path, archive: Path) -> None:
    """One reproducible archive, renamed into place only when complete.

    One archive, not the directory: copying ~30 wheels file by file cost ~8 s per venv on
    every run, even with nothing to change.
    """
    partial = archive.with_name(f"{archive.name}.{os.getpid()}.partial")
    argv = ["tar", "--sort=name", "--mtime=@0", "--owner=0", "--group=0", "--numeric-owner"]
    subprocess.run([*argv, "-cf", str(partial), "-C", str(wheelhouse), "."], check=True)  # noqa: S603
    os.replace(partial, archive)


def build(wheelhouse: Path, marker: str, local: list[str], pip_download: list[str]) -> bool:
    archive = Path(f"{wheelhouse}.tar")
    changed = False
    with locked(wheelhouse):
        if not (wheelhouse / COMPLETE).exists():
            wheelhouse.mkdir(parents=True, exist_ok=True)
            for path in local:
                local_package.wheel(Path(path), wheelhouse)
            if pip_download:
                subprocess.run(pip_download, check=True)  # noqa: S603 - argv from the role
            (wheelhouse / COMPLETE).write_text(marker + "\n", encoding="utf-8")
            changed = True
        if changed or not archive.exists():
            pack(wheelhouse, archive)
            changed = True
    return changed


def parse(argv: list[str]) -> tuple[Path, str, list[str], list[str]]:
    if "--" in argv:
        split = argv.index("--")
        argv, pip_download = argv[:split], argv[split + 1 :]
    else:
        pip_download = []
    if len(argv) != 4 or argv[0] != "build":
        raise ValueError(__doc__.splitlines()[0])
    local = json.loads(argv[3])
    if not isinstance(local, list) or not all(isinstance(path, str) for path in local):
        raise ValueError(f"LOCAL_PATHS_JSON is not a JSON list of paths: {argv[3]}")
    return Path(argv[1]), argv[2], local, pip_download


def main(argv: list[str]) -> int:
    try:
        wheelhouse, marker, local, pip_download = parse(argv)
    except ValueError as err:
        print(err, file=sys.stderr)
        return 2
    print("built" if build(wheelhouse, marker, local, pip_download) else "cached")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
