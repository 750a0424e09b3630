import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared"))
# The repository root, for tests.support (the dashboards' PromQL, the headless browser, the figures).
sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

# pytest finds the fixture and the hook by name.
from tests.support.figures import figure, pytest_terminal_summary  # noqa: F401  # pylint: disable=unused-import
