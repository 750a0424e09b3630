# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0
"""Network checks for the firewall playbooks: source ranges and the cluster's ports.

A firewall rule's source range must be a valid network no broader than a
configured prefix length; the whole address space (0.0.0.0/0, ::/0) is never
accepted, whatever the limits. Cluster ports come from the topology
(plugins/filter/kraft.py), so a rule opens exactly what the inventory uses.
"""

from __future__ import annotations

import ipaddress

from ansible.errors import AnsibleFilterError
from ansible_collections.kafkaops.kraft.plugins.filter.kraft import derived_port
from ansible_collections.kafkaops.kraft.plugins.plugin_utils.role_defaults import role_default


def kraft_source_range_problems(ranges, min_prefix_v4=16, min_prefix_v6=48):
    """Why each source range is refused; [] when every range is acceptable."""
    if isinstance(ranges, str) or not isinstance(ranges, (list, tuple)):
        return ["source ranges must be a list of CIDR ranges, got %r" % (ranges,)]
    if not ranges:
        return ["no source range given"]
    limits = {4: int(min_prefix_v4), 6: int(min_prefix_v6)}
    problems = []
    for entry in ranges:
        text = str(entry).strip()
        try:
            network = ipaddress.ip_network(text)
        except ValueError:
            try:
                loose = ipaddress.ip_network(text, strict=False)
            except ValueError:
                problems.append("%r is not an IPv4 or IPv6 range" % (entry,))
            else:
                problems.append("%s has host bits set; write %s" % (text, loose))
            continue
        if network.prefixlen == 0:
            problems.append("%s is the whole IPv%d Internet" % (text, network.version))
        elif network.prefixlen < limits[network.version]:
            problems.append(
                "%s (/%d) is broader than the /%d allowed for IPv%d"
                % (text, network.prefixlen, limits[network.version], network.version)
            )
    return problems


def _port_ranges(ports):
    """Port numbers as firewall port strings, consecutive ones joined: [9092, 9093, 9192] -> ["9092-9093", "9192"]."""
    try:
        numbers = sorted({int(p) for p in ports})
    except (TypeError, ValueError):
        raise AnsibleFilterError("ports must be integers, got %r" % (ports,)) from None
    bad = [p for p in numbers if not 1 <= p <= 65535]
    if bad:
        raise AnsibleFilterError("ports out of range: %s" % bad)
    ranges, start = [], None
    for index, port in enumerate(numbers):
        if start is None:
            start = port
        if index + 1 == len(numbers) or numbers[index + 1] != port + 1:
            ranges.append(str(start) if start == port else "%d-%d" % (start, port))
            start = None
    return ranges


def kraft_cluster_ports(nodes, internal_port_offset=None):
    """Ports cluster members use between themselves: client, INTERNAL and controller.

    A node from kraft_nodes carries its INTERNAL port; ``internal_port_offset``
    (default 100) serves only nodes made without one.
    """
    offset = (
        role_default("kafka_kraft", "kafka_kraft_internal_port_offset")
        if internal_port_offset is None
        else internal_port_offset
    )
    ports = set()
    for node in nodes:
        ports.add(node["controller_port"])
        if node["broker"]:
            ports.update((node["client_port"], derived_port(node, "internal_port", offset)))
    return _port_ranges(ports)


class FilterModule:
    def filters(self):
        return {
            "kraft_source_range_problems": kraft_source_range_problems,
            "kraft_cluster_ports": kraft_cluster_ports,
        }
