"""Make the apps importable without installing them: the lag exporter's metrics are kafkaops_apps'."""

import sys
from pathlib import Path

APPS = Path(__file__).resolve().parents[3] / "apps"
if str(APPS) not in sys.path:
    sys.path.insert(0, str(APPS))
