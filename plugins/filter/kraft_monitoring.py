# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0
"""Prometheus scrape configuration derived from the inventory (the prometheus role).

Every Kafka node's JMX exporter (port kafka_kraft_jmx_exporter_port + the
node's index on its host, as kafka_kraft starts them), every app instance's
/metrics (the producer's port, the consumer's base port + instance), the lag
exporter and the monitoring host's own Prometheus and Alertmanager. Nothing is
listed by hand.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.kafkaops.kraft.plugins.filter.kraft import kraft_nodes

# The roles' defaults, for hosts whose inventory does not set them.
EXPORTER_PORT = 7071
PRODUCER_PORT = 8001
CONSUMER_BASE_PORT = 8002
FALSE = ("0", "false", "no", "off", "")


def _flag(value):
    return str(value).strip().lower() not in FALSE if value is not None else False


def _address(host, hv):
    return str(hv.get("ansible_host") or host)


def _metrics_auth(hv, app):
    """Whether the app's /metrics needs a bearer token: API_AUTH, unless METRICS_AUTH is turned off."""
    if not _flag(hv.get(f"fastapi_{app}_api_auth", False)):
        return False
    return _flag((hv.get(f"fastapi_{app}_extra_env") or {}).get("METRICS_AUTH", True))


def kraft_jmx_targets(hosts, hostvars):
    """One target per Kafka node: its exporter address and labels; fails naming hosts without the exporter."""
    nodes = kraft_nodes(hosts, hostvars)
    off = sorted({n["host"] for n in nodes if not _flag(hostvars[n["host"]].get("kafka_kraft_jmx_exporter_enabled"))})
    if off:
        raise AnsibleFilterError(
            "monitoring scrapes every Kafka node's JMX exporter, but it is off on "
            + ", ".join(off)
            + ": set kafka_kraft_jmx_exporter_enabled=true for the Kafka hosts (and deploy them), "
            "or turn monitoring off"
        )
    targets = []
    for host in sorted({n["host"] for n in nodes}):
        hv = hostvars[host]
        local = [n for n in nodes if n["host"] == host]
        base = int(hv.get("kafka_kraft_jmx_exporter_port", EXPORTER_PORT))
        for index, node in enumerate(local):
            targets.append(
                {
                    "targets": [f"{node['advertised_host']}:{base + index}"],
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
        if _flag(hv.get("fastapi_app_behind_proxy")) and host != monitoring_host:
            unreachable.append(host)
            continue
        address = "127.0.0.1" if _flag(hv.get("fastapi_app_behind_proxy")) else _address(host, hv)
        ports = {"producer": [int(hv.get("fastapi_producer_port", PRODUCER_PORT))]}
        base = int(hv.get("fastapi_consumer_base_port", CONSUMER_BASE_PORT))
        ports["consumer"] = [base + i for i in range(int(hv.get("fastapi_consumer_instances", 1)))]
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
    apps whose /metrics needs one).
    """
    hosts = groups.get(settings.get("cluster_group") or "kafka") or []
    if not hosts:
        raise AnsibleFilterError(
            f"the inventory has no Kafka hosts in group {settings.get('cluster_group') or 'kafka'!r} to monitor"
        )
    configs = [
        {"job_name": "prometheus", "static_configs": [{"targets": [settings["self_address"]]}]},
        {"job_name": "alertmanager", "static_configs": [{"targets": [settings["alertmanager_address"]]}]},
        {"job_name": "kafka", "static_configs": kraft_jmx_targets(hosts, hostvars)},
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
        return {"kraft_scrape_configs": kraft_scrape_configs}
