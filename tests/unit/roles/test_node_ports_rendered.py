"""The JMX and exporter ports kafka_kraft starts a node on are the ones the firewall opens and Prometheus scrapes.

All three read the node's jmx_port and jmx_exporter_port (kraft_nodes), here
on a host with two nodes listed out of id order and bases of its own, beside
a host on the defaults.
"""

from __future__ import annotations

import re

from tests.support.ansible_templates import evaluate, host_variables, render
from tests.support.kraft_scenarios import COMBINED, _inventory
from tests.unit.roles.test_rendered_files import CLUSTER_ADDRESSES, FIREWALL_INCLUDE_VARS

INVENTORY = _inventory(
    {
        "vm1": {
            "kafka_kraft_nodes": [{"id": 2}, {"id": 1}],
            "kafka_kraft_jmx_port": 12000,
            "kafka_kraft_jmx_exporter_port": "17000",
        },
        "k3": {"kafka_kraft_node_id": 3},
    },
    {**{g: ["vm1", "k3"] for g in COMBINED}, "kafka_apps": [], "kafka_monitoring": ["apps1"]},
    {
        "kafka_kraft_jmx_enabled": True,
        "kafka_kraft_jmx_exporter_enabled": True,
        "kafka_kraft_firewall_metrics_cidrs": ["198.18.0.0/16"],
    },
)
INVENTORY["hosts"]["apps1"] = {"ansible_host": "10.0.0.21"}
# node id: (JMX port, exporter port)
EXPECTED = {1: (12000, 17000), 2: (12001, 17001), 3: (9999, 7071)}


def _started():
    """{node id: (JMX port, exporter port)} as the rendered unit and JMX agent file start each node."""
    found = {}
    for host in ("vm1", "k3"):
        variables = host_variables(INVENTORY, host)
        for node in evaluate(variables, "_kafka_kraft_local_nodes"):
            unit = render("kafka-node.service.j2", {**variables, "item": node})
            agent = render("jmx-management.properties.j2", {**variables, "item": node})
            exporter = re.search(r"-javaagent:\S+=0\.0\.0\.0:(\d+):", unit)[1]
            jmx = re.search(r"^com\.sun\.management\.jmxremote\.port=(\d+)$", agent, re.M)[1]
            assert f"jmxremote.rmi.port={jmx}\n" in agent
            found[node["id"]] = (int(jmx), int(exporter))
    return found


def test_nodes_start_on_their_ports():
    assert _started() == EXPECTED


def test_the_firewall_opens_exactly_those_ports():
    for host, ids in (("vm1", (1, 2)), ("k3", (3,))):
        variables = host_variables(INVENTORY, host, FIREWALL_INCLUDE_VARS, ("kafka_kraft", "firewall"))
        variables["_firewall_cluster"] = evaluate(variables, CLUSTER_ADDRESSES)
        ruleset = render("kafkaops.nft.j2", variables, role="firewall")
        metrics = re.search(r"tcp dport \{ ([\d, ]+) \} ip saddr \{ 198\.18\.0\.0/16 \} accept", ruleset)[1]
        expected = [EXPECTED[i][0] for i in ids] + [EXPECTED[i][1] for i in ids]
        assert [int(p) for p in metrics.split(", ")] == expected


def test_prometheus_scrapes_exactly_those_ports():
    variables = host_variables(INVENTORY, "apps1", roles=("prometheus",))
    kafka = next(job for job in evaluate(variables, "_prometheus_scrape_configs") if job["job_name"] == "kafka")
    scraped = {int(g["labels"]["node_id"]): int(g["targets"][0].rsplit(":", 1)[1]) for g in kafka["static_configs"]}
    assert scraped == {node_id: ports[1] for node_id, ports in EXPECTED.items()}
