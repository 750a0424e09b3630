"""The collection's rebalance planner for P7, which planner and planner_baseline both run."""

from __future__ import annotations

import sys
from pathlib import Path

COLLECTIONS = Path(__file__).resolve().parents[2] / "build" / "collections"


def collection_planner():
    """The collection's module_utils/reassignment.py (`make collection` links build/collections)."""
    if str(COLLECTIONS) not in sys.path:
        sys.path.insert(0, str(COLLECTIONS))
    from ansible_collections.kafkaops.kraft.plugins.module_utils import reassignment

    return reassignment
