# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0
"""The kafka_kraft role's storage safety rules: which cluster id wins, what may be formatted.

Storage is formatted only when a node has no meta.properties, and never again.
The tasks (cluster_id.yml, storage.yml) gather what the hosts hold and fail on
the problems these filters return; the decisions live here, where unit tests
reach every branch.
"""

from __future__ import annotations

import base64

from ansible.errors import AnsibleFilterError
from ansible_collections.kafkaops.kraft.plugins.filter.kraft import (
    _initial_controller_ids,
    kraft_meta_properties,
)


def _unique(values):
    """The first of each value, in order; letter case ignored, as Ansible's unique filter compares."""
    seen = set()
    kept = []
    for value in values:
        key = value.lower() if isinstance(value, str) else value
        if key not in seen:
            seen.add(key)
            kept.append(value)
    return kept


def kraft_cluster_id(meta_ids, cluster_id, persisted_ids, config_dir):
    """The cluster id, from the strongest source that has one.

    Sources, strongest first: the nodes' meta.properties (``meta_ids``, one per
    formatted log dir), ``kafka_kraft_cluster_id``, the id persisted on the
    hosts (``persisted_ids``, one per host, empty where none). A new id is
    generated only when none of them has one.
    """
    from_meta = _unique(meta_ids)
    inventory = cluster_id or ""
    from_hosts = _unique(i for i in persisted_ids if i)
    agree = (
        len(from_meta) <= 1
        and (not from_meta or not inventory or from_meta[0] == inventory)
        and (from_meta or len(from_hosts) <= 1)
    )
    problems = []
    if not agree:
        problems.append(
            f"Conflicting cluster ids: meta.properties say {from_meta}, kafka_kraft_cluster_id says '{inventory}', "
            f"{config_dir}/cluster.id says {from_hosts}. "
            "Storage is never reformatted; fix the inventory or the hosts by hand."
        )
    chosen = next((i for i in [*from_meta, inventory, *from_hosts] if i), "")
    return {
        "cluster_id": chosen,
        "generate": not (from_meta or inventory or from_hosts),
        "problems": problems,
    }


def _ids_with_content(slurp_results):
    """Node ids whose file a looped slurp over the nodes read."""
    return [r["item"]["id"] for r in slurp_results if "content" in r]


def kraft_storage_plan(nodes, meta_results, applied_results, cluster_id, reformat_node_ids, host, config_dir):
    """Which of a host's log dirs are refused and which nodes get formatted.

    ``meta_results`` and ``applied_results`` are looped slurps over ``nodes``
    of each log dir's meta.properties and each node's applied-config marker
    (written once the node ran). A formatted log dir must hold this cluster's
    id and its node's id. A node that ran before but has no meta.properties
    lost its data directory, or its disk is not mounted: formatting it would
    start it with an empty log, so it is refused unless its id is in
    ``reformat_node_ids``.
    """
    foreign = []
    for result in meta_results:
        if "content" not in result:
            continue
        node = result["item"]
        # Decoded as Ansible's b64decode filter does.
        meta = kraft_meta_properties(base64.b64decode(result["content"]).decode("utf-8", "surrogateescape"))
        if meta["cluster_id"] != cluster_id or meta["node_id"] != node["id"]:
            # A key the file lacks reads as nothing, as Jinja renders None.
            held_cluster, held_node = ("" if v is None else v for v in (meta["cluster_id"], meta["node_id"]))
            foreign.append(
                f"{node['log_dir']}/meta.properties on {host} holds cluster.id={held_cluster} "
                f"node.id={held_node}, but the inventory expects cluster {cluster_id} node {node['id']}. "
                "Refusing to touch it: storage is never reformatted. Fix kafka_kraft_node_id / kafka_kraft_cluster_id, "
                "or move the old data away by hand if it really is disposable."
            )
    try:
        allowed = [int(i) for i in reformat_node_ids or []]
    except (TypeError, ValueError):
        raise AnsibleFilterError(
            f"kafka_kraft_reformat_node_ids must list node ids, got {reformat_node_ids!r}"
        ) from None
    ran_before = _ids_with_content(applied_results)
    formatted = _ids_with_content(meta_results)
    lost = [n for n in nodes if n["id"] in ran_before and n["id"] not in formatted and n["id"] not in allowed]
    problems = []
    if lost:
        problems.append(
            "".join(
                f"Node {n['id']} on {host} ran before ({config_dir}/{n['name']}/applied-config exists) but "
                f"{n['log_dir']} has no meta.properties: its data directory is missing or its disk is not mounted. "
                for n in lost
            )
            + "Nothing was formatted and the node stays stopped. Mount or restore the data and run again; or, to "
            "give the node an empty log that re-replicates from the others, run once with "
            f"kafka_kraft_reformat_node_ids=[{', '.join(str(n['id']) for n in lost)}]."
        )
    return {
        "foreign": foreign,
        "lost": problems,
        "unformatted": [n for n in nodes if n["id"] not in formatted],
    }


def kraft_format_args(node, cluster_id, config_dir, dynamic, initial_controllers, scram):
    """kafka.tools.StorageTool's arguments that format ``node``'s log dir.

    A dynamic quorum's controller is formatted as one of its first voters when
    ``initial_controllers`` (id@host:port:directory-id, ...) lists it, else to
    join later. ``scram`` is the inter-broker user's --add-scram value, empty
    without SCRAM.
    """
    args = [
        "kafka.tools.StorageTool",
        "format",
        "--cluster-id",
        cluster_id,
        "--config",
        f"{config_dir}/{node['name']}/server.properties",
    ]
    if dynamic and node["controller"]:
        if node["id"] in _initial_controller_ids(initial_controllers or ""):
            args += ["--initial-controllers", initial_controllers]
        else:
            args.append("--no-initial-controllers")
    if scram:
        args += ["--add-scram", scram]
    return args


class FilterModule:
    def filters(self):
        return {
            "kraft_cluster_id": kraft_cluster_id,
            "kraft_storage_plan": kraft_storage_plan,
            "kraft_format_args": kraft_format_args,
        }
