"""Consumer-group lag and log-dir usage as Prometheus metrics (the kafkaops-lag-exporter unit).

It reads what kafkaops.kraft.kafka_consumer_lag reads (GroupLagReader), from
committed offsets in __consumer_offsets, so a group's lag keeps being reported
while its consumers are down, which is when it matters. It also reports each
broker's log-dir size and free space (DescribeLogDirs v4), which the JMX
exporter has no bean for.

It talks to Kafka with kafka-python, like the module whose lag code it runs:
aiokafka has no DescribeLogDirs, and its admin client no ListOffsets.

samples() is the pure part (unit-tested); LagCollector reads Kafka on each
scrape; main() serves /metrics: ``python -m kafkaops_apps.lag_exporter CONFIG.json``.
"""

from __future__ import annotations

import json
import sys
import time

from kafkaops_apps.lag_exporter.kafka_client import (
    KAFKA_CONNECTION_SPEC,
    client_config,
    connection_errors,
    live_broker_ids,
)
from kafkaops_apps.lag_exporter.lag import GroupLagReader

MODULE = "kafkaops_apps.lag_exporter"
PREFIX = "kafkaops_"
# name: (type, help, label names); samples() yields values for these only.
METRICS = {
    "consumergroup_lag": (
        "gauge",
        "Records between a partition's log end and the group's committed offset",
        ("group", "topic", "partition"),
    ),
    "consumergroup_committed_offset": (
        "gauge",
        "The group's committed offset (-1: nothing committed)",
        ("group", "topic", "partition"),
    ),
    "consumergroup_members": ("gauge", "Members of the group (0 while its consumers are down)", ("group",)),
    "consumergroup_state": ("gauge", "1 for the group's current state", ("group", "state")),
    "partition_log_end_offset": ("gauge", "Log end offset of a partition a group reads", ("topic", "partition")),
    "log_dir_total_bytes": ("gauge", "Size of the file system of a broker's log dir", ("broker", "log_dir")),
    "log_dir_usable_bytes": ("gauge", "Free space left to Kafka in a broker's log dir", ("broker", "log_dir")),
    "lag_exporter_kafka_up": ("gauge", "1 when the last scrape could read the cluster", ()),
    "lag_exporter_scrape_seconds": ("gauge", "Time the last scrape spent reading the cluster", ()),
}
CONFIG_KEYS = set(KAFKA_CONNECTION_SPEC) | {"groups", "listen_address", "listen_port", "uncommitted"}


def samples(group_reads, log_dirs):
    """[(metric name without prefix, {label: value}, value)] for one scrape (pure).

    group_reads: GroupLagReader.read() results; log_dirs: describe_log_dirs()
    entries ({broker, log_dirs: [{log_dir, total_bytes, usable_bytes, error_code}]}).
    A log dir that reports an error or no size (Kafka before 3.3) is left out.
    """
    out = []
    ends = {}
    for read in group_reads:
        group = read["group"]
        out.append(("consumergroup_members", {"group": group}, read["members"]))
        out.append(("consumergroup_state", {"group": group, "state": read["state"] or "Unknown"}, 1))
        for row in read["partitions"]:
            labels = {"group": group, "topic": row["topic"], "partition": str(row["partition"])}
            out.append(("consumergroup_lag", labels, row["lag"]))
            committed = row["committed_offset"]
            out.append(("consumergroup_committed_offset", labels, -1 if committed is None else committed))
            ends[(row["topic"], row["partition"])] = row["log_end_offset"]
    for (topic, partition), end in sorted(ends.items()):
        out.append(("partition_log_end_offset", {"topic": topic, "partition": str(partition)}, end))
    for entry in log_dirs:
        for log_dir in entry.get("log_dirs") or []:
            total, usable = log_dir.get("total_bytes", -1), log_dir.get("usable_bytes", -1)
            if log_dir.get("error_code") or total is None or total < 0 or usable is None or usable < 0:
                continue
            labels = {"broker": str(entry["broker"]), "log_dir": log_dir["log_dir"]}
            out.append(("log_dir_total_bytes", labels, total))
            out.append(("log_dir_usable_bytes", labels, usable))
    return out


def config_errors(config):
    """Problems with the exporter's JSON settings (pure): unknown keys, then the connection's."""
    errors = [f"unknown setting {key!r}" for key in sorted(set(config) - CONFIG_KEYS)]
    if not isinstance(config.get("groups", []), list):
        errors.append("groups must be a list of group ids (empty: every consumer group)")
    if config.get("uncommitted", "earliest") not in ("earliest", "latest"):
        errors.append("uncommitted must be earliest or latest")
    return errors + connection_errors(connection_params(config))


def connection_params(config):
    """The connection options of the config, with the modules' defaults filled in."""
    params = {key: spec.get("default") for key, spec in KAFKA_CONNECTION_SPEC.items()}
    params.update((key, value) for key, value in config.items() if key in KAFKA_CONNECTION_SPEC)
    return params


class LagCollector:
    """A prometheus_client collector that reads the cluster on every scrape."""

    def __init__(self, config, admin_factory=None):
        self.config = config
        self.admin_factory = admin_factory or self._connect
        self.admin = None

    def _connect(self):
        from kafka import KafkaAdminClient

        params = connection_params(self.config)
        params["client_id"] = self.config.get("client_id") or "kafkaops-lag-exporter"
        return KafkaAdminClient(**client_config(params))

    def group_ids(self):
        wanted = self.config.get("groups") or []
        if wanted:
            return sorted(wanted)
        listed = self.admin.list_groups()
        return sorted({g["group_id"] for g in listed if g.get("protocol_type") in ("consumer", "")})

    def log_dirs(self):
        """Every live broker's log dirs without partitions; a broker that fails is left out."""
        found = []
        for broker in live_broker_ids(self.admin):
            try:
                found.extend(self.admin.describe_log_dirs(topic_partitions={}, brokers=[broker]))
            except Exception as exc:  # noqa: BLE001 - one broker going away must not hide the others
                sys.stderr.write(f"kafkaops-lag-exporter: broker {broker}: no log dirs: {exc}\n")
        return found

    def read(self):
        if self.admin is None:
            self.admin = self.admin_factory()
        reader = GroupLagReader(self.admin, int(self.config.get("request_timeout_ms") or 30000))
        uncommitted = self.config.get("uncommitted", "earliest")
        reads = [reader.read(group, uncommitted=uncommitted) for group in self.group_ids()]
        return samples(reads, self.log_dirs())

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily

        started = time.monotonic()
        try:
            found, up = self.read(), 1
        except Exception as exc:  # noqa: BLE001 - a scrape reports the failure as kafka_up 0
            sys.stderr.write(f"kafkaops-lag-exporter: reading the cluster failed: {type(exc).__name__}: {exc}\n")
            found, up = [], 0
        finally:
            # A client per scrape: a long-lived one keeps the broker list of its last metadata refresh
            # (up to 5 minutes old), and until then misses the groups and log dirs of a restarted broker.
            self._reset()
        found.append(("lag_exporter_kafka_up", {}, up))
        found.append(("lag_exporter_scrape_seconds", {}, time.monotonic() - started))
        families = {}
        for name, (_kind, text, labels) in METRICS.items():
            families[name] = GaugeMetricFamily(PREFIX + name, text, labels=list(labels))
        for name, labels, value in found:
            families[name].add_metric([labels[key] for key in METRICS[name][2]], value)
        return list(families.values())

    def _reset(self):
        admin, self.admin = self.admin, None
        if admin is not None:
            try:
                admin.close()
            except Exception:  # noqa: BLE001, S110 - a broken client is dropped either way
                pass


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.stderr.write(f"usage: python -m {MODULE} CONFIG.json\n")
        return 2
    with open(args[0]) as handle:
        config = json.load(handle)
    errors = config_errors(config)
    if errors:
        sys.stderr.write(f"kafkaops-lag-exporter: {args[0]}: {'; '.join(errors)}\n")
        return 2
    from prometheus_client import start_http_server
    from prometheus_client.core import REGISTRY

    REGISTRY.register(LagCollector(config))
    start_http_server(int(config.get("listen_port", 9308)), addr=config.get("listen_address", "127.0.0.1"))
    while True:
        time.sleep(3600)
