"""The applied-config fingerprint of each node (kraft_fingerprints in plugins/filter/kraft.py).

A fingerprint that changed restarts the node, so the same files must give the
same string the nodes' applied-config markers already hold.
"""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "kraft_filter", Path(__file__).resolve().parents[3] / "plugins" / "filter" / "kraft.py"
)
kraft = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(kraft)

NODES = [{"id": 1}, {"id": 2}]


def loop(*checksums):
    """A registered template loop over NODES; None: a result without a checksum."""
    return {"results": [{} if c is None else {"checksum": c} for c in checksums]}


def test_each_node_joins_the_checksums_of_its_own_files():
    prints = kraft.kraft_fingerprints(NODES, [loop("p1", "p2"), loop("l1", "l2"), loop("u1", None)])
    assert prints == {1: "p1:l1:u1", 2: "p2:l2:"}


def test_host_wide_checksums_end_every_fingerprint():
    prints = kraft.kraft_fingerprints(NODES, [loop("p1", "p2")], ["ks", "ts", "jmx"])
    assert prints == {1: "p1:ks/ts/jmx", 2: "p2:ks/ts/jmx"}


def test_host_wide_files_that_are_switched_on_count_even_without_a_checksum():
    # The TLS facts of a check-mode run that has no keystore yet.
    assert kraft.kraft_fingerprints(NODES, [loop("p1", "p2")], ["", ""]) == {1: "p1:/", 2: "p2:/"}


def test_no_host_wide_files_add_nothing():
    assert kraft.kraft_fingerprints(NODES, [loop("p1", "p2")], []) == {1: "p1", 2: "p2"}
    assert kraft.kraft_fingerprints(NODES, [loop("p1", "p2")]) == {1: "p1", 2: "p2"}
