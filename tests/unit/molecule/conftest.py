"""molecule/shared holds the scenarios' test helpers, not a package: import them from their directory."""

import sys
from pathlib import Path

SHARED = Path(__file__).resolve().parents[3] / "molecule" / "shared"
if str(SHARED) not in sys.path:
    sys.path.insert(0, str(SHARED))
