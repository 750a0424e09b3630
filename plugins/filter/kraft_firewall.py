# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0
"""Address logic of the kafka_kraft host firewall (nftables).

The rule set must be the same whatever ``--limit`` a run uses: cluster
addresses come from every cluster host in the inventory, never only from the
hosts whose facts this run happened to gather.
"""

from __future__ import annotations

import ipaddress

from ansible.errors import AnsibleFilterError
from ansible_collections.kafkaops.kraft.plugins.filter.kraft import derived_port, internal_port


def _host_addresses(hostvars: dict) -> list[str]:
    facts = hostvars.get("ansible_facts") or {}
    found = list(facts.get("all_ipv4_addresses") or [])
    found += [a for a in facts.get("all_ipv6_addresses") or [] if not a.lower().startswith("fe80:")]
    if not found:
        host = str(hostvars.get("ansible_host", ""))
        try:
            found = [str(ipaddress.ip_address(host))]
        except ValueError:
            found = []
    return found


def kraft_cluster_addresses(hosts, hostvars, extra=None):
    """Every address of every cluster host, plus ``extra``; fails naming hosts without one.

    A host's addresses are its gathered ``all_ipv4_addresses`` and global
    ``all_ipv6_addresses``; without facts, an ``ansible_host`` that is an IP
    address. A host with neither would silently vanish from the rule set and
    be cut off from the quorum, so it is an error instead.
    """
    addresses, missing = [], []
    for host in hosts or []:
        found = _host_addresses(hostvars.get(host) or {})
        if not found:
            missing.append(host)
        addresses += found
    if missing:
        raise AnsibleFilterError(
            "the host firewall needs every cluster host's addresses, but these have none: "
            + ", ".join(missing)
            + ". Their facts could not be gathered; make them reachable, give them an IP address as ansible_host, "
            "or list the cluster's addresses in kafka_kraft_firewall_cluster_addresses"
        )
    addresses += list(extra or [])
    return sorted({str(ipaddress.ip_network(a, strict=False)) if "/" in str(a) else str(a) for a in addresses})


def _nft_saddr(cidrs):
    """nftables source matches for a list of addresses or CIDRs, one per family present.

    ``["10.0.0.0/8", "2001:db8::/32"]`` -> ``["ip saddr { 10.0.0.0/8 }", "ip6 saddr { 2001:db8::/32 }"]``.
    """
    families = {4: [], 6: []}
    for item in cidrs or []:
        try:
            network = ipaddress.ip_network(str(item), strict=False)
        except ValueError as exc:
            raise AnsibleFilterError(f"{item!r} is not an IP address or CIDR: {exc}") from exc
        text = str(network) if "/" in str(item) else str(network.network_address)
        if text not in families[network.version]:
            families[network.version].append(text)
    matches = []
    for version, keyword in ((4, "ip"), (6, "ip6")):
        if families[version]:
            matches.append(f"{keyword} saddr {{ {', '.join(families[version])} }}")
    return matches


def _offset_ports(ports, offset):
    """Each port plus ``offset``: the internal listener's ports from the client ports."""
    return [internal_port(port, offset) for port in ports or []]


def _node_ports(nodes, field, value):
    """Each node's ``field`` port (kraft_nodes), or none when ``value`` is empty or none (that port is off).

    ``value`` (offset or base) gives the port only to a node made without it.
    """
    if value in (None, ""):
        return []
    return [derived_port(node, field, value, position) for position, node in enumerate(nodes)]


def _accept(ports, sources, comment):
    if not ports:
        return []
    return [
        f'tcp dport {{ {", ".join(str(p) for p in ports)} }} {match} accept comment "{comment}"'
        for match in _nft_saddr(sources)
    ]


def kraft_firewall_rules(nodes, settings):
    """The accept rules of one host's input chain, in order: ssh, clients, cluster, metrics, apps, monitoring.

    ``nodes`` are the Kafka nodes this host runs (none on an apps-only host).
    ``settings`` keys: ``ssh_port``, ``ssh_cidrs``, ``client_cidrs``,
    ``cluster_addresses``, ``internal_port_offset`` (empty or none without an
    internal listener), ``jmx_port`` and ``jmx_exporter_port`` (empty or none
    when off), ``metrics_cidrs``, ``app_ports`` (empty on a host without apps),
    ``app_cidrs``, ``monitoring_ports`` (Prometheus and Alertmanager; empty on
    a host without them) and ``monitoring_cidrs``.

    The INTERNAL, JMX and exporter ports are the nodes' own (kraft_nodes), so
    the rules open what the node runs; those three settings switch them on, and
    give a node made without them the offset or base (node i: base + i).
    """
    nodes = list(nodes or [])
    brokers = [n for n in nodes if n["broker"]]
    client_ports = [n["client_port"] for n in brokers]
    internal_ports = _node_ports(brokers, "internal_port", settings.get("internal_port_offset"))
    controller_ports = [n["controller_port"] for n in nodes if n["controller"]]
    metrics_ports = _node_ports(nodes, "jmx_port", settings.get("jmx_port"))
    metrics_ports += _node_ports(nodes, "jmx_exporter_port", settings.get("jmx_exporter_port"))
    rules = _accept([settings["ssh_port"]], settings.get("ssh_cidrs"), "ssh")
    rules += _accept(client_ports, settings.get("client_cidrs"), "Kafka clients")
    rules += _accept(
        client_ports + internal_ports + controller_ports, settings.get("cluster_addresses"), "cluster nodes"
    )
    rules += _accept(metrics_ports, settings.get("metrics_cidrs"), "metrics")
    rules += _accept(settings.get("app_ports"), settings.get("app_cidrs"), "apps")
    rules += _accept(settings.get("monitoring_ports"), settings.get("monitoring_cidrs"), "monitoring")
    return rules


class FilterModule:
    def filters(self):
        return {
            "kraft_cluster_addresses": kraft_cluster_addresses,
            "kraft_firewall_rules": kraft_firewall_rules,
        }
