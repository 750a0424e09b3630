# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0
"""Offline stand-in for the get-pip.py that ansible-test bootstraps its venvs with.

ansible-test downloads get-pip.py from its own CI file host, which this machine
cannot reach; tools/sanity.sh puts this file in ansible-test's cache instead.
It takes get-pip's arguments: pip install options and packages (pip==X), plus
--no-setuptools / --no-wheel. The bundled pip comes from ensurepip, then pip
installs the requested packages from the configured index.
"""

from __future__ import annotations

import subprocess
import sys

GET_PIP_ONLY = ("--no-setuptools", "--no-wheel")


def main() -> None:
    args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
    pip = [sys.executable, "-m", "pip"]
    subprocess.run([sys.executable, "-m", "ensurepip", "--default-pip"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run([*pip, "install", "--quiet", *args], check=True)  # noqa: S603 - ansible-test's own arguments
    # ensurepip also installs setuptools on Python < 3.12; get-pip would not have.
    if "--no-setuptools" in sys.argv:
        subprocess.run([*pip, "uninstall", "--yes", "--quiet", "setuptools"], check=True)  # noqa: S603


if __name__ == "__main__":
    main()
