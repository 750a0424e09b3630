"""server.properties and the nftables ruleset render what the filters compute, unchanged on every inventory.

The golden files hold what the templates rendered when they still built
these files in Jinja; tests/support/kraft_scenarios.py lists the inventories.
Rendering goes through Ansible's own templating (tests/support/ansible_templates.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.ansible_templates import evaluate, host_variables, render
from tests.support.kraft_scenarios import SCENARIOS

GOLDEN = Path(__file__).parent / "golden"
FIREWALL_INCLUDE_VARS = {
    # kafka_kraft's include of the firewall role (roles/kafka_kraft/tasks/main.yml).
    "firewall_kafka_internal_port_offset": (
        "{{ kafka_kraft_internal_port_offset if _kafka_kraft_internal_listener | bool else '' }}"
    ),
    "firewall_kafka_jmx_port": "{{ kafka_kraft_jmx_port if kafka_kraft_jmx_enabled else '' }}",
    "firewall_kafka_jmx_exporter_port": (
        "{{ kafka_kraft_jmx_exporter_port if kafka_kraft_jmx_exporter_enabled else '' }}"
    ),
}
# The firewall role's "Settle the cluster's addresses" task.
CLUSTER_ADDRESSES = (
    "firewall_cluster_addresses if firewall_cluster_addresses | length > 0"
    " else _firewall_cluster_hosts | kafkaops.kraft.kraft_cluster_addresses(hostvars)"
)


def _hosts():
    for name, (inventory, _extra) in SCENARIOS.items():
        for host in sorted(inventory["hosts"]):
            yield pytest.param(name, host, id=f"{name}-{host}")


@pytest.mark.parametrize(("scenario", "host"), list(_hosts()))
def test_server_properties_are_unchanged(scenario, host):
    inventory, extra = SCENARIOS[scenario]
    variables = host_variables(inventory, host, extra)
    for node in evaluate(variables, "_kafka_kraft_local_nodes"):
        for part in ("public", "secret"):
            rendered = render("server.properties.j2", {**variables, "item": node, "_kafka_kraft_properties_part": part})
            golden = GOLDEN / f"{scenario}.{host}.{node['name']}.{part}.properties"
            assert rendered == golden.read_text(), golden.name


@pytest.mark.parametrize(("scenario", "host"), list(_hosts()))
def test_firewall_ruleset_is_unchanged(scenario, host):
    inventory, extra = SCENARIOS[scenario]
    on_kafka_host = host in inventory["groups"]["kafka"]
    roles = ("kafka_kraft", "firewall") if on_kafka_host else ("firewall",)
    variables = host_variables(inventory, host, {**extra, **(FIREWALL_INCLUDE_VARS if on_kafka_host else {})}, roles)
    variables["_firewall_cluster"] = evaluate(variables, CLUSTER_ADDRESSES)
    rendered = render("kafkaops.nft.j2", variables, role="firewall")
    assert rendered == (GOLDEN / f"{scenario}.{host}.nft").read_text()


def test_scenarios_cover_every_listener_and_firewall_feature():
    text = "".join(p.read_text() for p in GOLDEN.iterdir())
    for needle in (
        "INTERNAL://",
        "controller.quorum.bootstrap.servers=",
        "PlainLoginModule",
        "ScramLoginModule",
        "listener.name.controller.ssl.client.auth=required",
        "super.users=",
        'comment "metrics"',
        'comment "apps"',
        "ip6 saddr",
        "process.roles=broker\n",
        "process.roles=controller\n",
    ):
        assert needle in text, needle
