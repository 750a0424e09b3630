"""With the default variables, optional features stay off."""

from kraft_testlib import hosts

KAFKA = hosts("kafka1")["kafka1"]


def test_only_plaintext_listeners():
    props = KAFKA.file("/etc/kafka/node1/server.properties").content_string
    protocols = set()
    for line in props.splitlines():
        if line.startswith("listener.security.protocol.map="):
            protocols = {pair.split(":")[1] for pair in line.split("=", 1)[1].split(",")}
    assert protocols == {"PLAINTEXT"}


def test_no_jmx_port():
    assert not KAFKA.socket("tcp://0.0.0.0:9999").is_listening
    assert "jmxremote" not in KAFKA.file("/etc/systemd/system/kafka-node1.service").content_string
