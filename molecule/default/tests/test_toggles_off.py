"""With the default variables, every optional feature is really off.

Monitoring is the exception: this scenario turns it on (test_zx_monitoring.py), so the
nodes run the JMX exporter's agent, but remote JMX stays off.
"""

import pytest
from kraft_testlib import hosts

NODES = hosts("kafka1", "kafka2", "kafka3")


@pytest.mark.parametrize("name", sorted(NODES))
def test_plaintext_only_no_tls_or_sasl(name):
    node_id = name[-1]
    props = NODES[name].file(f"/etc/kafka/node{node_id}/server.properties").content_string
    assert "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT\n" in props
    assert not [line for line in props.splitlines() if line.startswith(("ssl.", "sasl.", "listener.name."))]


@pytest.mark.parametrize("name", sorted(NODES))
def test_no_remote_jmx_only_the_exporter(name):
    host = NODES[name]
    node_id = name[-1]
    assert not host.socket("tcp://9999").is_listening
    assert host.socket("tcp://0.0.0.0:7071").is_listening
    unit = host.file(f"/etc/systemd/system/kafka-node{node_id}.service").content_string
    assert "jmxremote" not in unit
    assert "com.sun.management.config.file" not in unit
    assert "-javaagent:" in unit


@pytest.mark.parametrize("name", sorted(NODES))
def test_no_logrotate_entry_or_firewall(name):
    host = NODES[name]
    assert not host.file("/etc/logrotate.d/kafka").exists
    assert not host.file("/etc/nftables.d/kafkaops.nft").exists
