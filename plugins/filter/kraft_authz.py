# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0
"""Authorization helpers: the authorizer's super users, its switch-on phase, the apps' principals.

- ``kraft_super_users``: the principals that must be super users for the
  cluster to keep working once ``StandardAuthorizer`` runs on every node: the
  principal of inter-broker traffic, the principal of the controller listener
  (brokers and controllers reach it), the admin the playbooks connect as, and
  the user's additions. Only what the role configures can be derived; anything
  else is refused with a message that says what to set.
- ``kraft_authorizer_open``: whether the cluster still runs (partly) without an
  enforcing authorizer, read from the nodes' current server.properties. While
  it does, the authorizer goes on with ``allow.everyone.if.no.acl.found=true``
  and enforcement waits until the ACLs exist (docs/authorization.md: Turning the authorizer on).
- ``kraft_app_principals`` and ``kraft_app_access``: the seed apps' SASL users
  and their least-privilege ACL bindings, from the apps' role variables.
- ``kraft_monitoring_access``: the lag exporter's SASL user and its read-only
  ACL bindings, from the prometheus role's variables on the monitoring hosts.
"""

from __future__ import annotations

import base64
import re

from ansible.errors import AnsibleFilterError

AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
ANONYMOUS = "User:ANONYMOUS"
SAFE_NAME = re.compile(r"^[A-Za-z0-9._@-]+$")
SAFE_HOST = re.compile(r"^[A-Za-z0-9._-]+$")
CERT_AUTH = ("required", "requested")
MAPPING_RULES = re.compile(r"(^|\.)ssl\.principal\.mapping\.rules$")
PLACEHOLDER = "CHANGE-ME"

# The apps' role defaults (roles/fastapi_producer, roles/fastapi_consumer; a unit test keeps them equal).
APP_DEFAULTS = {
    "producer": {"user": "kafkaops-producer", "topic": "test-topic"},
    "consumer": {"user": "kafkaops-consumer", "topic": "test-topic", "group": "test-group"},
}

# The prometheus role's default lag-exporter user (a unit test keeps them equal).
LAG_EXPORTER_USER = "kafkaops-lag-exporter"


def _node_principals(cfg, listener):
    """Principals of the nodes' certificates, as Kafka's default principal builder names them."""
    explicit = list(cfg.get("node_principals") or [])
    if explicit:
        return explicit
    if cfg.get("tls_source", "generate") != "generate":
        raise AnsibleFilterError(
            f"the {listener} listener authenticates nodes by certificate, and with kafka_kraft_tls_source="
            f"{cfg.get('tls_source')} the role cannot tell which principal Kafka derives from your certificates: "
            "list them in kafka_kraft_authorizer_node_principals (User:<subject DN as Kafka prints it>)"
        )
    if any(MAPPING_RULES.search(str(key)) for key in cfg.get("custom_properties") or {}):
        raise AnsibleFilterError(
            "kafka_kraft_custom_properties sets ssl.principal.mapping.rules, so the nodes' certificate principals "
            "are not their subject DNs: list them in kafka_kraft_authorizer_node_principals"
        )
    hosts = list(cfg.get("hosts") or [])
    bad = [h for h in hosts if not SAFE_HOST.match(str(h))]
    if bad:
        raise AnsibleFilterError(
            f"hosts {bad} make certificate subjects the role does not derive; list the nodes' principals in "
            "kafka_kraft_authorizer_node_principals"
        )
    # The role's certificates have the subject CN=<inventory hostname> and nothing else.
    return [f"User:CN={h}" for h in hosts]


def _listener_principals(cfg, listener, protocol, client_auth):
    if protocol.startswith("SASL_"):
        user = str(cfg.get("inter_broker_user") or "")
        if not SAFE_NAME.match(user):
            raise AnsibleFilterError(f"the inter-broker SASL user {user!r} is not a valid user name")
        return [f"User:{user}"]
    if protocol == "SSL" and client_auth in CERT_AUTH:
        return _node_principals(cfg, listener)
    if not cfg.get("allow_anonymous"):
        how = protocol if protocol == "PLAINTEXT" else f"{protocol} without client certificates"
        raise AnsibleFilterError(
            f"the {listener} listener is {how}: nodes reach it as {ANONYMOUS}, which would have to be a super user, "
            "so anyone who can connect to that port could do anything. Use SASL for inter-broker traffic and TLS "
            "with client authentication for the controller listener (kafka_kraft_tls_enabled: true; "
            "kafka_kraft_tls_controller_client_auth: required), or set kafka_kraft_authorizer_allow_anonymous_nodes: "
            "true and keep those ports firewalled to the cluster's nodes"
        )
    return [ANONYMOUS]


def kraft_super_users(cfg):
    """The super users of an authorizer on this cluster, in a stable order without duplicates.

    ``cfg`` keys: inter_broker_protocol, inter_broker_user, controller_protocol,
    client_auth (``ssl.client.auth``), controller_client_auth, tls_source,
    hosts (the cluster's inventory hostnames), node_principals (overrides the
    derived certificate principals), custom_properties (a principal mapping
    there makes certificate principals underivable), admin_user, extra,
    allow_anonymous.
    """
    principals = []
    principals += _listener_principals(
        cfg, "inter-broker", str(cfg.get("inter_broker_protocol", "PLAINTEXT")), cfg.get("client_auth", "none")
    )
    principals += _listener_principals(
        cfg, "controller", str(cfg.get("controller_protocol", "PLAINTEXT")), cfg.get("controller_client_auth", "none")
    )
    admin = str(cfg.get("admin_user") or "")
    if admin:
        if not SAFE_NAME.match(admin):
            raise AnsibleFilterError(f"the admin user {admin!r} is not a valid user name")
        principals.append(f"User:{admin}")
    for extra in cfg.get("extra") or []:
        text = str(extra)
        if not text.startswith("User:") or len(text) <= len("User:") or ";" in text:
            raise AnsibleFilterError(f"kafka_kraft_super_users_extra: {text!r} is not User:<name> (no ';')")
        principals.append(text)
    unique = []
    for principal in principals:
        if principal not in unique:
            unique.append(principal)
    return unique


def kraft_authorizer_properties(enabled, super_users, allow_everyone=False):
    """The broker/controller properties of the authorizer toggle ({} when off)."""
    if not enabled:
        return {}
    if not super_users:
        raise AnsibleFilterError("an authorizer without super users would lock the nodes out of each other")
    return {
        "authorizer.class.name": AUTHORIZER,
        "allow.everyone.if.no.acl.found": "true" if allow_everyone else "false",
        "super.users": ";".join(super_users),
    }


def _properties(text):
    props = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#!" or "=" not in line:
            continue
        key, _sep, value = line.partition("=")
        props[key.strip()] = value.strip()
    return props


def _enforcing(props):
    return (
        props.get("authorizer.class.name") == AUTHORIZER
        and props.get("allow.everyone.if.no.acl.found", "false").lower() != "true"
    )


def kraft_authorizer_open(slurps):
    """True when a configured node of the cluster runs without an enforcing authorizer.

    ``slurps`` are the registered results (one per host) of slurping each
    node's server.properties. Nodes without the file (a new cluster, a node
    being added) are not counted: nothing runs there yet.
    """
    for registered in slurps or []:
        if not isinstance(registered, dict):
            continue
        for result in registered.get("results") or []:
            if result.get("skipped") or "content" not in result:
                continue
            text = base64.b64decode(result["content"]).decode(errors="replace")
            if not _enforcing(_properties(text)):
                return True
    return False


def _first(hv, *keys, default=""):
    for key in keys:
        value = hv.get(key) if hasattr(hv, "get") else None
        if value not in (None, ""):
            return value
    return default


def kraft_app_principals(hosts, hostvars):
    """Per app (producer, consumer) and apps host: the SASL user, password, topic and group it uses.

    Per-app users (fastapi_producer_sasl_*, fastapi_consumer_sasl_*) win over the
    shared fastapi_app_sasl_* pair, which wins over the role defaults. Only apps
    that log in with SASL are listed: other principals are not users.
    """
    apps = []
    for host in hosts or []:
        hv = hostvars[host]
        protocol = str(_first(hv, "fastapi_app_security_protocol", default="PLAINTEXT"))
        if not protocol.startswith("SASL_"):
            continue
        for app, defaults in APP_DEFAULTS.items():
            entry = {
                "app": app,
                "host": host,
                "user": str(
                    _first(hv, f"fastapi_{app}_sasl_username", "fastapi_app_sasl_username", default=defaults["user"])
                ),
                "password": str(_first(hv, f"fastapi_{app}_sasl_password", "fastapi_app_sasl_password")),
                "topic": str(_first(hv, f"fastapi_{app}_topic", default=defaults["topic"])),
            }
            if "group" in defaults:
                entry["group"] = str(_first(hv, f"fastapi_{app}_group", default=defaults["group"]))
            apps.append(entry)
    return apps


def _acl(user, operation, resource_type, resource_name=None):
    binding = {"principal": f"User:{user}", "operation": operation, "resource_type": resource_type}
    if resource_name is not None:
        binding["resource_name"] = resource_name
    return binding


def kraft_app_access(apps):
    """``{"users": [...], "acls": [...]}`` for kafka_user and kafka_acl, least privilege per app.

    producer: Write and Describe on its topic, IdempotentWrite on the cluster.
    consumer: Read and Describe on its topic, Read on its group.
    Apps sharing one user get the union. Passwords never appear in an error.
    """
    users, acls = {}, []
    for app in apps or []:
        user = app["user"]
        if not SAFE_NAME.match(user):
            raise AnsibleFilterError(f"{app['app']} on {app['host']}: SASL user {user!r} is not a valid user name")
        password = app.get("password", "")
        if not password or password.startswith(PLACEHOLDER):
            raise AnsibleFilterError(
                f"{app['app']} on {app['host']}: the SASL password of {user} is missing or still the inventory's "
                f"{PLACEHOLDER} placeholder (set the vault variable it names)"
            )
        if user in users and users[user] != password:
            raise AnsibleFilterError(f"SASL user {user} is given two different passwords by the apps")
        users[user] = password
        if app["app"] == "producer":
            wanted = [
                _acl(user, "Write", "TOPIC", app["topic"]),
                _acl(user, "Describe", "TOPIC", app["topic"]),
                _acl(user, "IdempotentWrite", "CLUSTER"),
            ]
        else:
            wanted = [
                _acl(user, "Read", "TOPIC", app["topic"]),
                _acl(user, "Describe", "TOPIC", app["topic"]),
                _acl(user, "Read", "GROUP", app["group"]),
            ]
        acls += [binding for binding in wanted if binding not in acls]
    return {"users": [{"name": name, "password": pw} for name, pw in users.items()], "acls": acls}


def _flag(value, default=False):
    if value is None:
        return default
    return str(value).strip().lower() not in ("0", "false", "no", "off", "")


def kraft_monitoring_access(hosts, hostvars):
    """``{"users": [...], "acls": [...]}`` for the lag exporter of each monitoring host that runs one over SASL.

    It reads groups, their committed offsets, topic metadata and log end
    offsets, and each broker's log dirs (ListGroups, DescribeGroups,
    OffsetFetch, Metadata, ListOffsets, DescribeLogDirs): Describe on its
    groups (every group, or prometheus_lag_groups), on every topic and on the
    cluster, nothing that reads records, writes or changes anything.
    """
    users, acls = {}, []
    for host in hosts or []:
        hv = hostvars[host]
        if not _flag(hv.get("kafkaops_monitoring")) or not _flag(hv.get("prometheus_lag_exporter_enabled"), True):
            continue
        protocol = str(
            _first(hv, "prometheus_lag_security_protocol", "kafka_topic_security_protocol", default="PLAINTEXT")
        )
        if not protocol.startswith("SASL_"):
            continue
        user = str(_first(hv, "prometheus_lag_sasl_username", default=LAG_EXPORTER_USER))
        if not SAFE_NAME.match(user):
            raise AnsibleFilterError(f"the lag exporter on {host}: SASL user {user!r} is not a valid user name")
        password = str(_first(hv, "prometheus_lag_sasl_password", default="") or "")
        if not password or password.startswith(PLACEHOLDER):
            raise AnsibleFilterError(
                f"the lag exporter on {host} logs in as {user}: set prometheus_lag_sasl_password (from the vault) "
                "for the monitoring hosts"
            )
        if user in users and users[user] != password:
            raise AnsibleFilterError(f"SASL user {user} is given two different passwords by the monitoring hosts")
        users[user] = password
        groups = [str(g) for g in (_first(hv, "prometheus_lag_groups", default=None) or [])] or ["*"]
        wanted = [_acl(user, "Describe", "GROUP", group) for group in groups]
        wanted += [_acl(user, "Describe", "TOPIC", "*"), _acl(user, "Describe", "CLUSTER")]
        acls += [binding for binding in wanted if binding not in acls]
    return {"users": [{"name": name, "password": pw} for name, pw in users.items()], "acls": acls}


def kraft_access_user_problems(users):
    """Problems with kafka_user entries, never naming a password."""
    problems, seen = [], set()
    for user in users or []:
        name = str(user.get("name", ""))
        if not SAFE_NAME.match(name):
            problems.append(f"user name {name!r} must be 1+ of [A-Za-z0-9._@-]")
            continue
        password = str(user.get("password") or "")
        if user.get("state", "present") == "present" and (not password or password.startswith(PLACEHOLDER)):
            problems.append(f"the password of {name} is missing or still the inventory's {PLACEHOLDER} placeholder")
        key = (name, str(user.get("mechanism", "")), str(user.get("mechanisms", "")))
        if key in seen:
            problems.append(f"user {name} is listed twice")
        seen.add(key)
    return problems


def kraft_placeholders(entries, what):
    """``"<what> <name>"`` for every entry whose password is still an inventory CHANGE-ME placeholder.

    Only names are returned, so the result can be printed.
    """
    return [
        f"{what} {entry.get('name', '?')}"
        for entry in entries or []
        if str(entry.get("password") or "").startswith(PLACEHOLDER)
    ]


class FilterModule:
    def filters(self):
        return {
            "kraft_super_users": kraft_super_users,
            "kraft_authorizer_properties": kraft_authorizer_properties,
            "kraft_authorizer_open": kraft_authorizer_open,
            "kraft_app_principals": kraft_app_principals,
            "kraft_app_access": kraft_app_access,
            "kraft_monitoring_access": kraft_monitoring_access,
            "kraft_access_user_problems": kraft_access_user_problems,
            "kraft_placeholders": kraft_placeholders,
        }
