# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0
"""Prometheus scrape configuration derived from the inventory (the prometheus role).

Every Kafka node's JMX exporter (its port from kraft_nodes, as kafka_kraft
starts it), every app instance's
/metrics (the producer's port, the consumer's base port + instance), the lag
exporter and the monitoring host's own Prometheus and Alertmanager. Nothing is
listed by hand.

kraft_jmx_exporter_http: the exporter's own ``httpServer`` settings (HTTPS with
the node keystore, basic auth against a salted PBKDF2 hash), which
kraft_scrape_configs mirrors with ``scheme: https``, ``tls_config`` and
``basic_auth``.
"""

from __future__ import annotations

import hashlib

from ansible.errors import AnsibleFilterError
from ansible_collections.kafkaops.kraft.plugins.filter.kraft import kraft_nodes
from ansible_collections.kafkaops.kraft.plugins.filter.kraft_apps import kraft_instance_ports
from ansible_collections.kafkaops.kraft.plugins.plugin_utils.role_defaults import host_setting, role_default

# Which role owns each app setting the scrape targets read: a host whose
# inventory does not set one gets that role's default (hostvars hold no role defaults).
APP_SETTING_ROLES = {
    "fastapi_producer_port": "fastapi_producer",
    "fastapi_producer_api_auth": "fastapi_producer",
    "fastapi_consumer_base_port": "fastapi_consumer",
    "fastapi_consumer_instances": "fastapi_consumer",
    "fastapi_consumer_api_auth": "fastapi_consumer",
    "fastapi_app_behind_proxy": "fastapi_app",
}
# jmx_exporter 1.0.x checks basic auth against PBKDF2 (javax.crypto): the salt is
# taken as UTF-8 text, keyLength counts bytes, the hash is lower-case hex.
EXPORTER_HASH_ALGORITHM = "PBKDF2WithHmacSHA256"
EXPORTER_HASH_ITERATIONS = 600_000
EXPORTER_HASH_BYTES = 32
PLACEHOLDER = "CHANGE-ME"
FALSE = ("0", "false", "no", "off", "")


def _flag(value):
    return str(value).strip().lower() not in FALSE if value is not None else False


def _app(hv, name):
    return host_setting(hv, APP_SETTING_ROLES[name], name)


def _kraft(hv, name):
    return host_setting(hv, "kafka_kraft", name)


def _exporter_on(hv):
    return _flag(_kraft(hv, "kafka_kraft_jmx_exporter_enabled"))


def _address(host, hv):
    return str(hv.get("ansible_host") or host)


def _metrics_auth(hv, app):
    """Whether the app's /metrics needs a bearer token: API_AUTH, unless METRICS_AUTH is turned off."""
    if not _flag(_app(hv, f"fastapi_{app}_api_auth")):
        return False
    return _flag((hv.get(f"fastapi_{app}_extra_env") or {}).get("METRICS_AUTH", True))


def _placeholder(value):
    return not value or str(value).startswith(PLACEHOLDER)


def kraft_jmx_exporter_http(settings):
    """The JMX exporter's ``httpServer`` settings; empty when it serves plain HTTP without auth.

    ``settings`` keys: ``tls`` (serve HTTPS from ``keystore``, a PKCS12 file
    opened with ``keystore_password``, certificate ``alias``), ``required``
    (the cluster's security is on: refuse to go without a password),
    ``username``, ``password`` (empty: no auth), ``salt_seed`` (host name: the
    salt derives from it, so re-runs render the same file, and never from the
    password), ``iterations``. Only the salted hash reaches the host.
    """
    password = settings.get("password") or ""
    if _placeholder(password):
        if settings.get("required"):
            # Never echo the password, not even a placeholder that may hold one.
            raise AnsibleFilterError(
                "the cluster's security is on, so the JMX exporter must require basic auth: "
                "set kafka_kraft_jmx_exporter_password (from the vault) for the Kafka hosts and the monitoring host"
            )
        password = ""
    http = {}
    if _flag(settings.get("tls")):
        missing = [key for key in ("keystore", "keystore_password", "alias") if not settings.get(key)]
        if missing:
            raise AnsibleFilterError("the JMX exporter's HTTPS needs the node keystore: no " + ", ".join(missing))
        http["ssl"] = {
            "keyStore": {"filename": str(settings["keystore"]), "password": str(settings["keystore_password"])},
            "certificate": {"alias": str(settings["alias"])},
        }
    if password:
        username = str(settings.get("username") or "")
        if not username or ":" in username or username != username.strip():
            raise AnsibleFilterError(
                "kafka_kraft_jmx_exporter_username must be a non-empty name without ':' or surrounding blanks"
            )
        if not str(settings.get("salt_seed") or ""):
            raise AnsibleFilterError("kraft_jmx_exporter_http needs a salt_seed")
        iterations = int(settings.get("iterations") or EXPORTER_HASH_ITERATIONS)
        salt = hashlib.sha256(f"kafkaops-jmx-exporter-salt|{settings['salt_seed']}".encode()).hexdigest()[:32]
        digest = hashlib.pbkdf2_hmac("sha256", str(password).encode(), salt.encode(), iterations, EXPORTER_HASH_BYTES)
        http["authentication"] = {
            "basic": {
                "username": username,
                "passwordHash": digest.hex(),
                "algorithm": EXPORTER_HASH_ALGORITHM,
                "salt": salt,
                "iterations": iterations,
                "keyLength": EXPORTER_HASH_BYTES,
            }
        }
    return http


def _exporter_security(hosts, hostvars):
    """(https, username or None) of the cluster's exporters, the same on every host, from each host's inventory."""
    found = {}
    for host in sorted(set(hosts)):
        hv = hostvars[host]
        # kafka_kraft_jmx_exporter_tls defaults to kafka_kraft_tls_enabled.
        tls = _flag(hv.get("kafka_kraft_jmx_exporter_tls", _kraft(hv, "kafka_kraft_tls_enabled")))
        auth = not _placeholder(hv.get("kafka_kraft_jmx_exporter_password"))
        username = hv.get("kafka_kraft_jmx_exporter_username") or role_default(
            "kafka_kraft", "kafka_kraft_jmx_exporter_username"
        )
        username = str(username) if auth else None
        found.setdefault((tls, username), []).append(host)
    if len(found) > 1:
        raise AnsibleFilterError(
            "the Kafka hosts' JMX exporters differ in HTTPS or basic auth ("
            + "; ".join(
                f"{', '.join(h)}: {'https' if tls else 'http'}{', user ' + user if user else ', no auth'}"
                for (tls, user), h in sorted(found.items(), key=lambda item: item[1])
            )
            + "): set kafka_kraft_tls_enabled, kafka_kraft_jmx_exporter_tls and kafka_kraft_jmx_exporter_username/"
            "password the same for the whole cluster (group_vars), so one scrape job reaches them all"
        )
    return next(iter(found)) if found else (False, None)


def kraft_jmx_targets(hosts, hostvars):
    """One target per Kafka node: its exporter address and labels; fails naming hosts without the exporter."""
    nodes = kraft_nodes(hosts, hostvars)
    off = sorted({n["host"] for n in nodes if not _exporter_on(hostvars[n["host"]])})
    if off:
        raise AnsibleFilterError(
            "monitoring scrapes every Kafka node's JMX exporter, but it is off on "
            + ", ".join(off)
            + ": set kafka_kraft_jmx_exporter_enabled=true for the Kafka hosts (and deploy them), "
            "or turn monitoring off"
        )
    targets = []
    for host in sorted({n["host"] for n in nodes}):
        for node in (n for n in nodes if n["host"] == host):
            targets.append(
                {
                    "targets": [f"{node['advertised_host']}:{node['jmx_exporter_port']}"],
                    "labels": {"host": host, "node_id": str(node["id"]), "kafka_roles": ",".join(node["roles"])},
                }
            )
    return targets


def kraft_app_targets(hosts, hostvars, monitoring_host=None):
    """[(app, target group, metrics auth)] of every app instance on ``hosts``.

    An app that listens on loopback only (fastapi_app_behind_proxy) can only be
    scraped from its own host; elsewhere that is an error naming the host.
    """
    found, unreachable = [], []
    for host in sorted(hosts or []):
        hv = hostvars[host]
        behind_proxy = _flag(_app(hv, "fastapi_app_behind_proxy"))
        if behind_proxy and host != monitoring_host:
            unreachable.append(host)
            continue
        address = "127.0.0.1" if behind_proxy else _address(host, hv)
        ports = {"producer": [int(_app(hv, "fastapi_producer_port"))]}
        ports["consumer"] = kraft_instance_ports(
            _app(hv, "fastapi_consumer_base_port"), _app(hv, "fastapi_consumer_instances")
        )
        for app in ("producer", "consumer"):
            for port in ports[app]:
                group = {"targets": [f"{address}:{port}"], "labels": {"host": host, "app": app}}
                found.append((app, group, _metrics_auth(hv, app)))
    if unreachable:
        raise AnsibleFilterError(
            "the apps on "
            + ", ".join(unreachable)
            + " listen on loopback only (fastapi_app_behind_proxy), so Prometheus on another host cannot scrape "
            "them: run the prometheus role on that host (kafka_monitoring group) or turn fastapi_app_behind_proxy off"
        )
    return found


def kraft_scrape_configs(groups, hostvars, settings):
    """Prometheus ``scrape_configs`` for the cluster, its apps and the monitoring host.

    ``settings`` keys: ``cluster_group``, ``apps_group``, ``monitoring_host``
    (inventory name of the host Prometheus runs on), ``self_address``,
    ``alertmanager_address``, ``lag_exporter_address`` (empty: no lag job),
    ``app_token_files`` ({producer: path, consumer: path}: bearer tokens for
    apps whose /metrics needs one), ``jmx_ca_file`` (CA of the exporters'
    HTTPS) and ``jmx_password_file`` (their basic-auth password).
    """
    hosts = groups.get(settings.get("cluster_group") or "kafka") or []
    if not hosts:
        raise AnsibleFilterError(
            f"the inventory has no Kafka hosts in group {settings.get('cluster_group') or 'kafka'!r} to monitor"
        )
    kafka = {"job_name": "kafka", "static_configs": kraft_jmx_targets(hosts, hostvars)}
    https, username = _exporter_security(hosts, hostvars)
    if https:
        if not settings.get("jmx_ca_file"):
            raise AnsibleFilterError(
                "the JMX exporters serve HTTPS (kafka_kraft_tls_enabled): set prometheus_kafka_ca_src to the "
                "controller path of the cluster's CA certificate (default: kafka_kraft_tls_ca_dir/ca.crt)"
            )
        kafka["scheme"] = "https"
        kafka["tls_config"] = {"ca_file": settings["jmx_ca_file"]}
    if username:
        if not settings.get("jmx_password_file"):
            raise AnsibleFilterError(
                "the JMX exporters require basic auth (kafka_kraft_jmx_exporter_password): set "
                "prometheus_jmx_exporter_password on the monitoring host (default: kafka_kraft_jmx_exporter_password)"
            )
        kafka["basic_auth"] = {"username": username, "password_file": settings["jmx_password_file"]}
    configs = [
        {"job_name": "prometheus", "static_configs": [{"targets": [settings["self_address"]]}]},
        {"job_name": "alertmanager", "static_configs": [{"targets": [settings["alertmanager_address"]]}]},
        kafka,
    ]
    if settings.get("lag_exporter_address"):
        configs.append({"job_name": "kafka-lag", "static_configs": [{"targets": [settings["lag_exporter_address"]]}]})
    apps = kraft_app_targets(
        groups.get(settings.get("apps_group") or "kafka_apps") or [], hostvars, settings.get("monitoring_host")
    )
    token_files = settings.get("app_token_files") or {}
    for app in ("producer", "consumer"):
        static = [group for kind, group, _auth in apps if kind == app]
        if not static:
            continue
        job = {"job_name": f"kafkaops-{app}", "static_configs": static}
        # An open /metrics ignores the header, so one job serves hosts with and without auth.
        if any(auth for kind, _group, auth in apps if kind == app):
            if not token_files.get(app):
                raise AnsibleFilterError(
                    f"the {app}'s /metrics needs a bearer token (fastapi_{app}_api_auth): "
                    f"set prometheus_{app}_token to one of fastapi_{app}_api_tokens"
                )
            job["authorization"] = {"type": "Bearer", "credentials_file": token_files[app]}
        configs.append(job)
    return configs


class FilterModule:
    def filters(self):
        return {"kraft_scrape_configs": kraft_scrape_configs, "kraft_jmx_exporter_http": kraft_jmx_exporter_http}
