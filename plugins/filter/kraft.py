# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0
"""Derive the KRaft cluster topology from the inventory alone.

A host in group ``kafka_controllers`` and/or ``kafka_brokers`` runs one node by
default (``kafka_kraft_node_id``). A host may instead list several nodes in
``kafka_kraft_nodes`` (the seed's several-nodes-on-one-VM layout); their ports
and log dirs then default to the seed's scheme (9092+i, 10092+i,
/var/kafka/logs/broker<i+1>).

Each node also carries the ports derived from its host's settings (INTERNAL
listener, JMX, JMX exporter), so the role's templates, the firewall and the
monitoring read one value instead of each repeating the arithmetic.
"""

from __future__ import annotations

import base64
import json
import uuid

from ansible.errors import AnsibleFilterError
from ansible_collections.kafkaops.kraft.plugins.plugin_utils.role_defaults import host_setting

# Where a node listens when neither kafka_kraft_nodes nor the host says: no role
# default exists for it, the node model is its only home.
LISTEN_ADDRESS = "0.0.0.0"  # noqa: S104 - brokers serve remote clients


def _setting(hv, key):
    """kafka_kraft_<key> of a host: its inventory's value, else kafka_kraft's role default."""
    if key == "listen_address":
        return hv.get("kafka_kraft_listen_address", LISTEN_ADDRESS)
    return host_setting(hv, "kafka_kraft", "kafka_kraft_" + key)


def internal_port(client_port, offset):
    """The INTERNAL listener's port (a broker opens it when the inter-broker protocol differs from the client's)."""
    return int(client_port) + int(offset)


def host_port(base, position):
    """A per-node port of a host-wide setting (JMX, JMX exporter): consecutive ports for the nodes of one host.

    ``position`` is the node's index among its host's nodes ordered by id.
    """
    return int(base) + int(position)


def derived_port(node, field, value, position=0):
    """``node[field]`` (internal_port, jmx_port, jmx_exporter_port) as kraft_nodes sets it.

    A node made without it (not by kraft_nodes) gets it by the same rule from
    ``value``: the INTERNAL offset, or the JMX or exporter base with the node's
    ``position`` on its host.
    """
    if field in node:
        return node[field]
    if field == "internal_port":
        return internal_port(node["client_port"], value)
    return host_port(value, position)


def _add_derived_ports(nodes, hostvars):
    """Give each node (sorted by id) its INTERNAL, JMX and JMX exporter ports from its host's settings."""
    ids_by_host = {}
    for node in nodes:
        ids_by_host.setdefault(node["host"], []).append(node["id"])
    for node in nodes:
        host, hv = node["host"], hostvars[node["host"]]
        bases = {
            key: _as_int(_setting(hv, key), "kafka_kraft_" + key, host)
            for key in ("internal_port_offset", "jmx_port", "jmx_exporter_port")
        }
        position = ids_by_host[host].index(node["id"])
        node["internal_port"] = internal_port(node["client_port"], bases["internal_port_offset"])
        node["jmx_port"] = host_port(bases["jmx_port"], position)
        node["jmx_exporter_port"] = host_port(bases["jmx_exporter_port"], position)


def _roles_from_groups(host, hv):
    groups = hv.get("group_names", [])
    roles = []
    if _setting(hv, "brokers_group") in groups:
        roles.append("broker")
    if _setting(hv, "controllers_group") in groups:
        roles.append("controller")
    return roles


def _as_int(value, what, host):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise AnsibleFilterError(f"{host}: {what} must be an integer, got {value!r}") from None


def _host_nodes(host, hv):
    explicit = hv.get("kafka_kraft_nodes")
    group_roles = _roles_from_groups(host, hv)
    if explicit:
        specs, several = explicit, len(explicit) > 1
    else:
        if "kafka_kraft_node_id" not in hv:
            raise AnsibleFilterError(f"{host}: set kafka_kraft_node_id (or kafka_kraft_nodes) in the inventory")
        specs, several = [{"id": hv["kafka_kraft_node_id"]}], False
    nodes = []
    for index, spec in enumerate(specs):
        if "id" not in spec:
            raise AnsibleFilterError(f"{host}: every entry of kafka_kraft_nodes needs an id")
        node_id = _as_int(spec["id"], "node id", host)
        roles = list(spec.get("roles") or group_roles)
        if not roles or set(roles) - {"broker", "controller"}:
            raise AnsibleFilterError(
                f"{host}: node {node_id} has roles {roles!r}; put the host in "
                f"{_setting(hv, 'brokers_group')} and/or {_setting(hv, 'controllers_group')}, "
                "or give roles: [broker, controller]"
            )
        offset = index if several else 0
        data_root = _setting(hv, "data_root")
        nodes.append(
            {
                "host": host,
                "id": node_id,
                "roles": sorted(roles),
                "broker": "broker" in roles,
                "controller": "controller" in roles,
                "client_port": _as_int(spec.get("client_port", _setting(hv, "client_port") + offset), "port", host),
                "controller_port": _as_int(
                    spec.get("controller_port", _setting(hv, "controller_port") + offset), "port", host
                ),
                "advertised_host": spec.get("advertised_host", hv.get("kafka_kraft_advertised_host", host)),
                "listen_address": spec.get("listen_address", _setting(hv, "listen_address")),
                "log_dir": spec.get("log_dir", f"{data_root}/broker{index + 1}" if several else data_root),
                "name": f"node{node_id}",
                "service": f"kafka-node{node_id}",
            }
        )
    return nodes


def kraft_nodes(hosts, hostvars):
    nodes = []
    for host in hosts:
        nodes.extend(_host_nodes(host, hostvars[host]))
    nodes = sorted(nodes, key=lambda n: n["id"])
    _add_derived_ports(nodes, hostvars)
    return nodes


def kraft_problems(nodes):
    """Topology errors that must stop a deployment before anything changes."""
    problems = []
    seen_ids = {}
    for node in nodes:
        if node["id"] in seen_ids:
            problems.append(f"duplicate node id {node['id']} on {seen_ids[node['id']]} and {node['host']}")
        seen_ids.setdefault(node["id"], node["host"])
        if node["id"] < 0:
            problems.append(f"node id {node['id']} on {node['host']} is negative")
    ports = {}
    for node in nodes:
        for kind in ("client_port", "controller_port"):
            key = (node["host"], node[kind])
            if key in ports:
                problems.append(
                    f"port {node[kind]} on {node['host']} is used by node {ports[key]} and node {node['id']}"
                )
            ports.setdefault(key, node["id"])
            if not 1 <= node[kind] <= 65535:
                problems.append(f"{kind} {node[kind]} of node {node['id']} is out of range")
    logdirs = {}
    for node in nodes:
        key = (node["host"], node["log_dir"])
        if key in logdirs:
            problems.append(
                f"log dir {node['log_dir']} on {node['host']} is shared by nodes {logdirs[key]} and {node['id']}"
            )
        logdirs.setdefault(key, node["id"])
    if not any(n["controller"] for n in nodes):
        problems.append("no controller: put at least one host in the controllers group")
    if not any(n["broker"] for n in nodes):
        problems.append("no broker: put at least one host in the brokers group")
    return problems


def kraft_quorum_voters(nodes):
    return ",".join(f"{n['id']}@{n['advertised_host']}:{n['controller_port']}" for n in nodes if n["controller"])


def _kafka_uuid():
    """A random Kafka Uuid string (url-safe base64, no padding), as kafka-storage random-uuid makes."""
    while True:
        raw = uuid.uuid4().bytes
        text = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        # Kafka reserves the all-zero and one-valued ids; ids starting with "-" break CLI parsing.
        if not text.startswith("-") and int.from_bytes(raw, "big") > 1:
            return text


def kraft_initial_controllers(nodes):
    """A new dynamic quorum's --initial-controllers value: id@host:port:directory-id per controller."""
    return ",".join(
        f"{n['id']}@{n['advertised_host']}:{n['controller_port']}:{_kafka_uuid()}" for n in nodes if n["controller"]
    )


def _initial_controller_ids(initial_controllers):
    return [int(entry.split("@", 1)[0]) for entry in initial_controllers.split(",") if "@" in entry]


def kraft_initial_bootstrap(initial_controllers):
    """controller.quorum.bootstrap.servers from an --initial-controllers value (host:port of each)."""
    servers = []
    for entry in initial_controllers.split(","):
        if "@" in entry:
            host_port_dir = entry.split("@", 1)[1]
            servers.append(host_port_dir.rsplit(":", 1)[0])
    return ",".join(servers)


def kraft_quorum_status(status_output):
    """`kafka-metadata-quorum describe --status` as leader_id, voters and observers (node ids)."""
    fields = {}
    for line in status_output.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip()

    def ids(name):
        try:
            entries = json.loads(fields.get(name, "[]"))
        except ValueError:
            return []
        return sorted(e["id"] if isinstance(e, dict) else int(e) for e in entries)

    leader = fields.get("LeaderId", "")
    return {
        "leader_id": int(leader) if leader.lstrip("-").isdigit() else None,
        "voters": ids("CurrentVoters"),
        "observers": ids("CurrentObservers"),
    }


def kraft_bootstrap_servers(hosts, hostvars):
    """Client bootstrap list, e.g. for the apps' KAFKA_BOOTSTRAP_SERVERS."""
    return ",".join(f"{n['advertised_host']}:{n['client_port']}" for n in kraft_nodes(hosts, hostvars) if n["broker"])


def kraft_properties(text):
    """A Java properties file's key=value lines as a dict (comments and blanks skipped)."""
    props = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _sep, value = line.partition("=")
            props[key.strip()] = value.strip()
    return props


def kraft_meta_properties(text):
    """Parse a log dir's meta.properties into cluster_id, node_id, directory_id."""
    props = kraft_properties(text)
    node_id = props.get("node.id")
    return {
        "cluster_id": props.get("cluster.id"),
        "node_id": int(node_id) if node_id is not None and node_id.lstrip("-").isdigit() else None,
        "directory_id": props.get("directory.id"),
        "version": props.get("version"),
    }


def kraft_node_writable_dirs(node, app_log_root):
    """What a node's process writes: its log dir and its dir of Kafka's own logs.

    The role creates exactly these Kafka-owned, and the unit points Kafka at
    them and opens only them for writing, so the two cannot drift apart.
    """
    return {"log_dir": node["log_dir"], "app_log_dir": f"{app_log_root}/{node['name']}"}


def kraft_node_dirs(nodes, config_dir, app_log_root, user, group):
    """Directories each local node needs: config (root-owned), data and logs (Kafka-owned)."""
    dirs = []
    for node in nodes:
        dirs.append({"path": f"{config_dir}/{node['name']}", "owner": "root", "group": group, "mode": "0750"})
        for path in kraft_node_writable_dirs(node, app_log_root).values():
            dirs.append({"path": path, "owner": user, "group": group, "mode": "0750"})
    return dirs


def _was_active(started, service):
    """From the results of the "Enable and start" loop: systemd's state before the task acted."""
    for result in (started or {}).get("results") or []:
        if (result.get("item") or {}).get("service") == service:
            return (result.get("status") or {}).get("ActiveState") == "active"
    return False


def _restart_rank(node, leader):
    """Where a node goes in any restart: broker-only nodes, then controllers, the active controller last.

    The quorum is disturbed last, and its leadership moves once rather than
    once per restarted controller.
    """
    return (node["id"] == leader, node["controller"], node["id"])


def kraft_restart_order(nodes, leader=-1):
    """``nodes`` in the order they restart; ``leader`` is the active controller's id (-1: unknown)."""
    leader = _as_int(leader, "active controller id", "restart order")
    return sorted(nodes, key=lambda n: _restart_rank(n, leader))


def kraft_restart_hosts(nodes, hosts, leader=-1):
    """``hosts`` in the order a host-by-host rolling restart visits them.

    A host ranks as its last node to restart (so a host with the active
    controller goes last of all), then by its lowest node id.
    """
    leader = _as_int(leader, "active controller id", "restart order")

    def rank(host):
        mine = [n for n in nodes if n["host"] == host]
        if not mine:
            raise AnsibleFilterError(f"{host}: runs no Kafka node, so it has no place in a rolling restart")
        return (max(_restart_rank(n, leader)[:2] for n in mine), min(n["id"] for n in mine), host)

    return sorted(hosts, key=rank)


def kraft_restart_queue(nodes, hostvars, play_hosts, leader=-1):
    """Nodes that were running before this run and whose config changed, in restart order."""
    queue = []
    for node in nodes:
        if node["host"] not in play_hosts:
            continue
        hv = hostvars[node["host"]]
        if _was_active(hv.get("_kafka_kraft_started"), node["service"]) and node["id"] in (
            hv.get("_kafka_kraft_changed_nodes") or []
        ):
            queue.append(node)
    return kraft_restart_order(queue, leader)


def kraft_fingerprints(nodes, template_results, extra_checksums=None):
    """Per node id, the joined checksums of every file its process reads at start.

    ``template_results`` are registered template loops over ``nodes``, each
    giving every node its own file. ``extra_checksums`` are of the host-wide
    files every node reads (key material, JMX files, secret settings): when
    there are any, joined with "/", they end each node's fingerprint.
    """
    prints = {}
    for index, node in enumerate(nodes):
        sums = [str(r["results"][index].get("checksum", "")) for r in template_results]
        if extra_checksums:
            sums.append("/".join(str(c) for c in extra_checksums))
        prints[node["id"]] = ":".join(sums)
    return prints


def kraft_stale_nodes(fingerprints, applied_results):
    """Node ids whose running configuration differs from the files on disk.

    ``applied_results`` are slurp results of each node's applied-config marker,
    written only after the node (re)started healthy. Comparing against it,
    not against "changed", keeps a restart pending across interrupted runs.
    """
    stale = []
    for result in applied_results:
        node_id = result["item"]["id"]
        applied = base64.b64decode(result["content"]).decode().strip() if "content" in result else ""
        if applied != fingerprints.get(node_id):
            stale.append(node_id)
    return stale


class FilterModule:
    def filters(self):
        return {
            "kraft_nodes": kraft_nodes,
            "kraft_problems": kraft_problems,
            "kraft_quorum_voters": kraft_quorum_voters,
            "kraft_bootstrap_servers": kraft_bootstrap_servers,
            "kraft_initial_controllers": kraft_initial_controllers,
            "kraft_initial_bootstrap": kraft_initial_bootstrap,
            "kraft_quorum_status": kraft_quorum_status,
            "kraft_meta_properties": kraft_meta_properties,
            "kraft_properties": kraft_properties,
            "kraft_node_dirs": kraft_node_dirs,
            "kraft_node_writable_dirs": kraft_node_writable_dirs,
            "kraft_restart_queue": kraft_restart_queue,
            "kraft_restart_order": kraft_restart_order,
            "kraft_restart_hosts": kraft_restart_hosts,
            "kraft_fingerprints": kraft_fingerprints,
            "kraft_stale_nodes": kraft_stale_nodes,
        }
