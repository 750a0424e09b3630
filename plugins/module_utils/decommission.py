# -*- coding: utf-8 -*-
# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0
"""Scale-in decisions for the decommission playbook, as pure functions over plain data.

retirement() splits the inventory's nodes into those that retire and those
that stay and says which inventory entries to remove afterwards (the
kraft_decommission filter). refusals() is every reason not to start a
decommission, decided before anything changes (the kafka_decommission module
reads the cluster and applies it). The cluster health rule is the
collection's one (health.py), with the retiring nodes left out.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.kafkaops.kraft.plugins.module_utils.health import (
    health_problems,
    partition_health,
    read_cluster_state,
)
from ansible_collections.kafkaops.kraft.plugins.module_utils.kafka_client import KafkaModuleError
from ansible_collections.kafkaops.kraft.plugins.module_utils.topic import is_internal

MIN_ISR = "min.insync.replicas"


def _ids(values):
    return ", ".join(str(v) for v in sorted(values)) or "none"


def node_ids(value):
    """The ids to retire, as a sorted list of distinct ints; a clear error for anything else.

    `-e kafka_decommission_node_ids=[4]` passes the string "[4]": "[4, 5]", "4,5" and "4" are read as lists.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        value = [value]
    elif isinstance(value, str):
        text = value.strip()
        if text.startswith("[") and text.endswith("]"):
            text = text[1:-1]
        value = [v.strip() for v in text.split(",") if v.strip()]
    if not isinstance(value, (list, tuple)):
        raise KafkaModuleError(
            "kafka_decommission_node_ids must be a list of node ids, e.g. -e kafka_decommission_node_ids=[4] "
            "(got %r)" % (value,)
        )
    ids = []
    for item in value:
        try:
            if isinstance(item, bool):
                raise ValueError(item)
            ids.append(int(item))
        except (TypeError, ValueError):
            raise KafkaModuleError("kafka_decommission_node_ids must hold whole numbers, got %r" % (item,)) from None
    if not ids:
        raise KafkaModuleError("kafka_decommission_node_ids is empty: name the node ids to retire, e.g. [4]")
    return sorted(set(ids))


def retirement(nodes, ids):
    """Split kraft_nodes output by the ids to retire.

    Returns retiring and staying nodes, the brokers and hosts that stay, the
    host to run admin calls on (the first staying broker's), and the inventory
    edits to make once the nodes are retired.
    """
    ids = node_ids(ids)
    known = dict((n["id"], n) for n in nodes)
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise KafkaModuleError(
            "node id(s) %s are not in the inventory (kafka_kraft_node_id or kafka_kraft_nodes of a host in the "
            "kafka group); the playbook needs the inventory entry to find the host. Inventory nodes: %s"
            % (_ids(unknown), _ids(known))
        )
    retiring = [known[i] for i in ids]
    staying = [n for n in nodes if n["id"] not in ids]
    brokers_after = sorted(n["id"] for n in staying if n["broker"])
    hosts = []
    for node in nodes:
        if node["host"] not in hosts:
            hosts.append(node["host"])
    staying_hosts = [h for h in hosts if any(n["host"] == h for n in staying)]
    edits = []
    for host in hosts:
        gone = [n for n in retiring if n["host"] == host]
        if not gone:
            continue
        if host in staying_hosts:
            edits.append("%s: remove node(s) %s from its kafka_kraft_nodes" % (host, _ids(n["id"] for n in gone)))
        else:
            edits.append("%s: remove the host from the kafka, kafka_brokers and kafka_controllers groups" % host)
    admin = next((n["host"] for n in staying if n["broker"]), None)
    controller_host = next((n["host"] for n in staying if n["controller"]), None)
    return dict(
        node_ids=ids,
        retiring=retiring,
        retiring_hosts=sorted(set(n["host"] for n in retiring)),
        retiring_brokers=[n["id"] for n in retiring if n["broker"]],
        retiring_controllers=[n["id"] for n in retiring if n["controller"]],
        brokers_after=brokers_after,
        staying_hosts=staying_hosts,
        admin_host=admin,
        controller_host=controller_host,
        inventory_edits=edits,
    )


def topic_limits(topics, configs):
    """[{name, rf, min_isr}] from parse_topic() results and {name: effective configs}."""
    limits = []
    for topic in topics:
        rf = max([len(p["replicas"]) for p in topic["partitions"]] or [0])
        value = (configs.get(topic["name"]) or {}).get(MIN_ISR)
        try:
            min_isr = int(value) if value is not None else 1
        except (TypeError, ValueError):
            min_isr = 1
        limits.append(dict(name=topic["name"], rf=rf, min_isr=min_isr))
    return sorted(limits, key=lambda t: t["name"])


def replicas_on(topics, ids):
    """{node id: replicas it holds} over every partition of `topics` (parse_topic() results)."""
    counts = dict((i, 0) for i in ids)
    for topic in topics:
        for p in topic["partitions"]:
            for broker in p["replicas"]:
                if broker in counts:
                    counts[broker] += 1
    return counts


def quorum_without(quorum, ids, live_brokers):
    """The quorum as the lag check sees it: without the retiring nodes' rows, and without observers that are no
    registered broker. The leader keeps listing a node that stopped fetching (a broker retired a moment ago, a
    removed voter) as an observer for 5 minutes, its lag growing: that node serves nothing."""
    ids, live = set(ids), set(live_brokers)
    return dict(
        quorum,
        voters=[r for r in quorum.get("voters") or [] if r["id"] not in ids],
        observers=[r for r in quorum.get("observers") or [] if r["id"] not in ids and r["id"] in live],
    )


def refusals(ids, quorum_mode, brokers_after, live_brokers, limits, quorum, urp, offline, max_lag):
    """Every reason to refuse retiring `ids`, as readable strings that say what to change (empty: go ahead).

    brokers_after: the inventory's brokers that stay; live_brokers: registered, unfenced brokers;
    limits: topic_limits(); quorum: health.quorum_state() dict; urp/offline: partition names.
    """
    problems = []
    ids = sorted(set(ids))
    remaining = sorted(set(brokers_after))
    if not remaining:
        problems.append(
            "no broker would remain: retiring %s leaves the cluster without brokers; keep at least one" % _ids(ids)
        )
    for topic in limits:
        if topic["rf"] > len(remaining):
            problems.append(
                "topic %s has replication factor %d, but only %d broker(s) would remain (%s): retire fewer "
                "brokers, add brokers first (rebalance.yml) or lower the topic's replication factor"
                % (topic["name"], topic["rf"], len(remaining), _ids(remaining))
            )
        cap = min(topic["rf"], len(remaining))
        if topic["min_isr"] > cap:
            problems.append(
                "topic %s needs min.insync.replicas=%d, but at most %d in-sync replica(s) would remain: producers "
                "with acks=all would fail; lower min.insync.replicas or keep more brokers"
                % (topic["name"], topic["min_isr"], cap)
            )
    voter_ids = sorted(v["id"] for v in quorum.get("voters") or [])
    leaving = [i for i in ids if i in voter_ids]
    if leaving and quorum_mode != "dynamic":
        problems.append(
            "node(s) %s vote in a static quorum (controller.quorum.voters): its voter set cannot change while the "
            "cluster runs, so retiring them needs a new cluster with kafka_kraft_quorum_mode: dynamic "
            "(docs/operations/controllers.md); retire broker-only nodes instead" % _ids(leaving)
        )
    elif leaving:
        staying = len(voter_ids) - len(leaving)
        majority = len(voter_ids) // 2 + 1
        if staying < majority:
            problems.append(
                "retiring voter(s) %s would leave %d of the %d voters %s running until they leave the voter set; a "
                "majority is %d: retire fewer controllers at a time, or add controllers first (add_controller.yml)"
                % (_ids(leaving), staying, len(voter_ids), _ids(v for v in voter_ids if v not in leaving), majority)
            )
    unhealthy = health_problems(
        remaining, live_brokers, quorum_without(quorum, ids, live_brokers), urp, offline, max_lag
    )
    problems.extend("cluster unhealthy: %s; fix it (health.yml) before retiring nodes" % p for p in unhealthy)
    return problems


def read_cluster(admin):
    """Everything refusals() and the playbook need, from a KafkaAdminClient: live brokers, the quorum,
    every topic (internal ones included) with its partitions and effective min.insync.replicas."""
    from kafka.admin import ConfigResource

    state = read_cluster_state(admin)
    topics = state["topics"]
    configs = {}
    if topics:
        described = admin.describe_configs([ConfigResource("TOPIC", t["name"]) for t in topics], config_filter="all")
        for name, entries in (described.get("topic") or {}).items():
            configs[name] = dict((k, v["value"]) for k, v in entries.items())
    urp, offline = partition_health(topics)
    return dict(
        brokers=state["brokers"],
        quorum=state["quorum"],
        topics=sorted(topics, key=lambda t: t["name"]),
        configs=configs,
        under_replicated=urp,
        offline=offline,
        ongoing=state["ongoing"],
    )


def summary(ids, cluster, quorum_mode, brokers_after, max_lag):
    """The module's result from read_cluster(): refusals plus what the playbook prints and checks."""
    topics = cluster["topics"]
    limits = topic_limits(topics, cluster["configs"])
    voters = sorted(v["id"] for v in cluster["quorum"].get("voters") or [])
    found = refusals(
        ids,
        quorum_mode,
        brokers_after,
        cluster["brokers"],
        limits,
        cluster["quorum"],
        cluster["under_replicated"],
        cluster["offline"],
        max_lag,
    )
    held = replicas_on(topics, ids)
    return dict(
        refusals=found,
        node_ids=sorted(set(ids)),
        brokers=cluster["brokers"],
        brokers_after=sorted(set(brokers_after)),
        registered=[i for i in sorted(set(ids)) if i in cluster["brokers"]],
        voters=voters,
        voters_after=[v for v in voters if v not in ids],
        leaving_voters=[v for v in voters if v in ids],
        quorum_leader=cluster["quorum"].get("leader"),
        topics=[t["name"] for t in topics],
        internal_topics=[t["name"] for t in topics if is_internal(t["name"], t.get("internal"))],
        limits=limits,
        replicas_on_nodes=dict((str(k), v) for k, v in sorted(held.items())),
        replicas_left=sum(held.values()),
        under_replicated=cluster["under_replicated"],
        offline=cluster["offline"],
    )
