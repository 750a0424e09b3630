"""A KRaft node's server.properties, computed from the node and the cluster's settings.

The template only renders the result (after kraft_split_secrets), so every
decision about listeners, TLS and SASL lives here, under unit test.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.kafkaops.kraft.plugins.filter.kraft import derived_port
from ansible_collections.kafkaops.kraft.plugins.filter.kraft_security import _plain_user
from ansible_collections.kafkaops.kraft.plugins.plugin_utils.role_defaults import role_default

PLAIN_MODULE = "org.apache.kafka.common.security.plain.PlainLoginModule"
SCRAM_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule"


def _listeners(node, client, offset, internal):
    """(listeners, advertised.listeners) of one node."""
    bound, advertised = [], []

    def add(name, port):
        bound.append(f"{name}://{node['listen_address']}:{port}")
        advertised.append(f"{name}://{node['advertised_host']}:{port}")

    if node["broker"]:
        add(client, node["client_port"])
        if internal:
            add("INTERNAL", derived_port(node, "internal_port", offset))
    # Controllers advertise their listener: a dynamic quorum learns voter
    # endpoints from it, and 3.9.0 refuses 0.0.0.0 there.
    if node["controller"]:
        add("CONTROLLER", node["controller_port"])
    return ",".join(bound), ",".join(advertised)


def _tls_properties(tls, controller_protocol):
    """One keystore and truststore per host serve every SSL listener."""
    props = {
        "ssl.keystore.type": "PKCS12",
        "ssl.keystore.location": tls["keystore"],
        "ssl.keystore.password": tls["keystore_password"],
        "ssl.key.password": tls["keystore_password"],
        "ssl.truststore.type": "PKCS12",
        "ssl.truststore.location": tls["truststore"],
        "ssl.truststore.password": tls["truststore_password"],
        "ssl.endpoint.identification.algorithm": "https",
        "ssl.client.auth": tls["client_auth"],
    }
    if controller_protocol == "SSL":
        props["listener.name.controller.ssl.client.auth"] = tls["controller_client_auth"]
    return props


def _sasl_properties(sasl, client, inter_broker, internal):
    """Listener-scoped JAAS; the broker logs in to other brokers as the inter-broker user."""
    user, password = sasl["inter_broker_user"], sasl["inter_broker_password"]
    props = {"sasl.enabled.mechanisms": ",".join(sasl["mechanisms"])}
    if inter_broker.startswith("SASL_"):
        props["sasl.mechanism.inter.broker.protocol"] = sasl["inter_broker_mechanism"]
    listeners = [client] if client.startswith("SASL_") else []
    if internal and inter_broker.startswith("SASL_"):
        listeners.append("INTERNAL")
    login = f'username="{user}" password="{password}"'
    for listener in listeners:
        for mechanism in sasl["mechanisms"]:
            if mechanism == "PLAIN":
                users = [{"name": user, "password": password}, *sasl.get("users", [])]
                jaas = f"{PLAIN_MODULE} required {login}{''.join(_plain_user(u) for u in users)};"
            else:
                jaas = f"{SCRAM_MODULE} required {login};"
            props[f"listener.name.{listener.lower()}.{mechanism.lower()}.sasl.jaas.config"] = jaas
    return props


# Cluster properties a dedicated controller needs too: the active KRaft controller,
# not a broker, fills in the partition count and replication factor of a topic
# created without them (CreateTopics with -1), and reads min.insync.replicas from
# its own configuration for eligible leader replicas. Without them a topic created
# while a dedicated controller leads would get Kafka's defaults (RF 1).
CONTROLLER_CLUSTER_PROPERTIES = ("num.partitions", "default.replication.factor", "min.insync.replicas")


def kraft_server_properties(node, settings):
    """Every server.properties setting of ``node`` (from kraft_nodes), secrets included.

    ``settings`` keys: ``client_protocol``, ``inter_broker_protocol``,
    ``controller_protocol``, ``internal_port_offset`` (only for a node without
    ``internal_port``), ``quorum`` (the
    controller.quorum.* property), ``tls`` and ``sasl`` (dicts, or empty when
    not used), ``cluster_properties`` (brokers; a dedicated controller gets
    CONTROLLER_CLUSTER_PROPERTIES of them), ``authorizer_properties``
    and ``custom_properties``. Later sources override earlier ones in that
    order, so a user's custom property always wins.
    """
    missing = {"client_protocol", "inter_broker_protocol", "controller_protocol", "quorum"} - set(settings)
    if missing:
        raise AnsibleFilterError(f"kraft_server_properties: settings lack {', '.join(sorted(missing))}")
    client = settings["client_protocol"]
    inter_broker = settings["inter_broker_protocol"]
    controller = settings["controller_protocol"]
    internal = inter_broker != client
    offset = settings.get("internal_port_offset", role_default("kafka_kraft", "kafka_kraft_internal_port_offset"))
    listeners, advertised = _listeners(node, client, offset, internal)
    protocol_map = [f"CONTROLLER:{controller}", f"{client}:{client}"]
    if internal:
        protocol_map.append(f"INTERNAL:{inter_broker}")
    own = {
        "process.roles": ",".join(node["roles"]),
        "node.id": node["id"],
        "controller.listener.names": "CONTROLLER",
        "listeners": listeners,
        "listener.security.protocol.map": ",".join(protocol_map),
        "log.dirs": node["log_dir"],
        "advertised.listeners": advertised,
        **settings["quorum"],
    }
    if node["broker"]:
        own["inter.broker.listener.name"] = "INTERNAL" if internal else client
    if settings.get("tls"):
        own.update(_tls_properties(settings["tls"], controller))
    if node["broker"] and settings.get("sasl"):
        own.update(_sasl_properties(settings["sasl"], client, inter_broker, internal))
    props = dict(settings.get("cluster_properties") or {})
    if not node["broker"]:
        props = {key: props[key] for key in CONTROLLER_CLUSTER_PROPERTIES if key in props}
    # The authorizer (if on) runs on every node, controllers included: they store and check the ACLs.
    for source in (own, settings.get("authorizer_properties"), settings.get("custom_properties")):
        props.update(source or {})
    return props


class FilterModule:
    def filters(self):
        return {"kraft_server_properties": kraft_server_properties}
