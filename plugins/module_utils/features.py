# -*- coding: utf-8 -*-
# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0
"""Feature finalization for kafkaops.kraft.kafka_feature (KIP-584, KIP-778).

Pure functions decide which finalized feature levels to raise, one feature at a
time, and refuse when a node cannot run the target level or when a release is
too old for the cluster's finalized metadata.version; they are unit-tested
without Kafka. FeatureService reads each node's supported ranges from its own
ApiVersions answer (brokers by node id, controllers by endpoint) and sends
UpdateFeatures through kafka-python.

kraft.version is never raised unless asked for by its own option: raising it
turns a static quorum dynamic, and that cannot be undone (KAFKA-21426; Kafka's
own ``upgrade --release-version`` raises it).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
import time

from ansible_collections.kafkaops.kraft.plugins.module_utils.kafka_client import KafkaModuleError

METADATA = "metadata.version"
KRAFT = "kraft.version"
# metadata.version levels by name (Kafka's MetadataVersion; levels never change
# meaning). Earlier levels (3.0-IV1 to 3.3-IV2) are older than any KRaft release
# the collection runs.
METADATA_VERSIONS = (
    (7, "3.3-IV3"),
    (8, "3.4-IV0"),
    (9, "3.5-IV0"),
    (10, "3.5-IV1"),
    (11, "3.5-IV2"),
    (12, "3.6-IV0"),
    (13, "3.6-IV1"),
    (14, "3.6-IV2"),
    (15, "3.7-IV0"),
    (16, "3.7-IV1"),
    (17, "3.7-IV2"),
    (18, "3.7-IV3"),
    (19, "3.7-IV4"),
    (20, "3.8-IV0"),
    (21, "3.9-IV0"),
    (22, "4.0-IV0"),
    (23, "4.0-IV1"),
    (24, "4.0-IV2"),
    (25, "4.0-IV3"),
    (26, "4.1-IV0"),
    (27, "4.1-IV1"),
    (28, "4.2-IV0"),
    (29, "4.2-IV1"),
    (30, "4.3-IV0"),
    (31, "4.4-IV0"),
    (32, "4.4-IV1"),
    (33, "4.4-IV2"),
)
_NAMES = dict(METADATA_VERSIONS)
_LEVELS = dict((name, level) for level, name in METADATA_VERSIONS)


def _minor(text):
    """(major, minor) of "4.4", "4.4.0" or "4.4-IV2"; None when it is none of those."""
    match = re.match(r"^(\d+)\.(\d+)(?:\.\d+|-IV\d+)?$", str(text).strip())
    return (int(match.group(1)), int(match.group(2))) if match else None


def level_label(feature, level):
    """How results and the diff show a level: metadata.version levels with their name."""
    if feature == METADATA and level in _NAMES:
        return "%d (%s)" % (level, _NAMES[level])
    return str(level)


def release_metadata_level(release):
    """The highest metadata.version a release (X.Y or X.Y.Z) runs with; None when the release is newer than
    every level known here, which means it runs every known level."""
    minor = _minor(release)
    if minor is None or "-IV" in str(release):
        raise ValueError("%r is not a Kafka release such as 3.9 or 4.4.0" % (release,))
    levels = [level for level, name in METADATA_VERSIONS if _minor(name) <= minor]
    newest = _minor(METADATA_VERSIONS[-1][1])
    if minor > newest:
        return None
    if not levels:
        raise ValueError("Kafka %s is older than the KRaft releases this collection runs" % release)
    return max(levels)


def metadata_level(value):
    """A metadata.version level from a number, a name (4.4-IV2) or a release (4.4, 4.4.0: its newest level)."""
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    if text in _LEVELS:
        return _LEVELS[text]
    if "-IV" in text:
        raise ValueError("metadata.version %r is not known here: give its level (a number)" % text)
    level = release_metadata_level(text)
    if level is None:
        raise ValueError("metadata.version of release %s is not known here: give its level (a number)" % text)
    return level


def parse_version_mapping(text):
    """{feature: level} from ``kafka-features.sh version-mapping`` output (Kafka 4.x).

    Lines look like ``metadata.version=33 (4.4-IV2)`` or ``group.version=1``;
    log lines and blank lines around them are skipped.
    """
    levels = {}
    for line in str(text or "").splitlines():
        match = re.match(r"^\s*([a-z][a-z0-9_.-]*\.version)\s*=\s*(\d+)\b", line)
        if match:
            levels[match.group(1)] = int(match.group(2))
    if METADATA not in levels:
        raise ValueError("no metadata.version line in the version-mapping output: %r" % str(text or "")[:200])
    return levels


def parse_api_versions(response):
    """{"supported": {feature: (min, max)}, "finalized": {feature: level}} from an ApiVersions v3+ answer (dict)."""
    supported = dict(
        (f["name"], (int(f["min_version"]), int(f["max_version"]))) for f in response.get("supported_features") or []
    )
    finalized = dict((f["name"], int(f["max_version_level"])) for f in response.get("finalized_features") or [])
    return {"supported": supported, "finalized": finalized}


def _order(feature):
    # metadata.version first: the other features' levels depend on it; kraft.version last.
    return (0 if feature == METADATA else 2 if feature == KRAFT else 1, feature)


def downgrade_problem(finalized, release):
    """Why nodes cannot move to ``release`` (X.Y.Z) with this finalized metadata.version, or None."""
    current = finalized.get(METADATA, 0)
    limit = release_metadata_level(release)
    if limit is None or current <= limit:
        return None
    return (
        "The cluster's finalized metadata.version is %s and Kafka %s runs at most %s. metadata.version cannot be "
        "lowered once finalized, so the nodes cannot go back to Kafka %s: choose a release of %s or later."
        % (
            level_label(METADATA, current),
            release,
            level_label(METADATA, limit),
            release,
            _NAMES.get(current, "level %d" % current).split("-")[0],
        )
    )


def plan_features(finalized, nodes, levels, kraft_version=None, expected_brokers=None):
    """Decide the finalization.

    finalized: {feature: level} now finalized (absent means 0).
    nodes: {label: {feature: (min, max)}}, each node's own supported ranges (absent means only 0).
    levels: {feature: level} to reach; kraft.version in it is never applied (see kraft_version).
    expected_brokers: labels that must be among ``nodes``.

    Returns a dict: steps [(feature, before, after)] in the order to apply them, kept [text] (levels left as they
    are, with why), problems [text] (refusals: nothing is applied when there is one), before and after
    {feature: level}.
    """
    targets = dict((str(k), int(v)) for k, v in (levels or {}).items())
    kept, problems, steps = [], [], []
    listed_kraft = targets.pop(KRAFT, None)
    if kraft_version is not None:
        targets[KRAFT] = int(kraft_version)
    elif listed_kraft is not None and listed_kraft > finalized.get(KRAFT, 0):
        kept.append(
            "kraft.version stays %d (the target lists %d): raising it turns a static quorum dynamic and cannot be "
            "undone (KAFKA-21426); it changes only when kraft_version asks for it"
            % (finalized.get(KRAFT, 0), listed_kraft)
        )
    missing = sorted(set(str(b) for b in expected_brokers or []) - set(str(n) for n in nodes))
    if missing:
        problems.append(
            "node(s) %s did not answer: every node must run the new release and be up before finalizing"
            % ", ".join(missing)
        )
    if not nodes:
        problems.append("no node answered, so no node's supported feature levels are known")
    for feature in sorted(targets, key=_order):
        target, current = targets[feature], finalized.get(feature, 0)
        if target < current:
            kept.append(
                "%s stays %s, above the target %s (finalized levels are never lowered here)"
                % (feature, level_label(feature, current), level_label(feature, target))
            )
            continue
        if target == current:
            continue
        for label in sorted(nodes, key=str):
            low, high = nodes[label].get(feature, (0, 0))
            if not low <= target <= high:
                problems.append(
                    "node %s supports %s %s to %s, not %s: it runs an older release or is not upgraded yet"
                    % (
                        label,
                        feature,
                        level_label(feature, low),
                        level_label(feature, high),
                        level_label(feature, target),
                    )
                )
        steps.append((feature, current, target))
    after = dict(finalized)
    for feature, _before, target in steps:
        after[feature] = target
    return {"steps": steps, "kept": kept, "problems": problems, "before": dict(finalized), "after": after}


def change_lines(plan):
    """One line per raised feature: ``~ metadata.version 21 (3.9-IV0) -> 33 (4.4-IV2)``."""
    return [
        "~ %s %s -> %s" % (feature, level_label(feature, before), level_label(feature, after))
        for feature, before, after in plan["steps"]
    ]


def diff_text(plan):
    lines = change_lines(plan) or ["(no feature level changes)"]
    lines += ["  " + text for text in plan["kept"]]
    if plan["steps"]:
        lines.append("  finalized levels cannot be lowered again: nodes cannot return to an older release afterwards")
    return "\n".join(lines) + "\n"


def labelled(levels):
    """{feature: "33 (4.4-IV2)"} for results."""
    return dict(
        (feature, level_label(feature, level)) for feature, level in sorted(levels.items(), key=lambda i: _order(i[0]))
    )


class FeatureService:
    """ApiVersions per node and UpdateFeatures over a KafkaAdminClient's connections."""

    def __init__(self, admin, timeout_ms, client_config=None):
        self.admin = admin
        self.timeout_ms = timeout_ms
        self.client_config = client_config or {}

    @staticmethod
    def _request():
        from kafka.protocol.metadata import ApiVersionsRequest

        # v3+ carries SupportedFeatures and FinalizedFeatures.
        return ApiVersionsRequest(client_software_name="kafkaops-kraft", client_software_version="1", min_version=3)

    def _answer(self, response, where):
        data = response.to_dict()
        if data.get("error_code"):
            raise KafkaModuleError("ApiVersions to %s failed with error code %d" % (where, data["error_code"]))
        return parse_api_versions(data)

    def brokers(self):
        """{broker id: parsed ApiVersions} of every registered broker, each asked directly."""
        manager = self.admin._manager
        ids = sorted(b["broker_id"] for b in self.admin.describe_cluster()["brokers"])
        request = self._request()

        async def ask(node_id):
            return await manager.wait_for(manager.send(request, node_id=node_id), self.timeout_ms)

        return dict((node_id, self._answer(manager.run(ask, node_id), "broker %d" % node_id)) for node_id in ids)

    def controller(self, endpoint):
        """Parsed ApiVersions of the controller listening at ``endpoint`` (host:port).

        Controllers answer ApiVersions but no Metadata, so kafka-python's admin
        client cannot bootstrap from them: this opens one connection (with the
        module's security settings) to the endpoint itself.
        """
        from kafka.net.manager import KafkaConnectionManager
        from kafka.net.selector import NetworkSelector

        config = dict(self.client_config, bootstrap_servers=[endpoint])
        net = NetworkSelector(**config)
        manager = KafkaConnectionManager(net, **config)
        node = manager.cluster.bootstrap_brokers()[0]
        request = self._request()

        async def ask():
            conn = manager.get_connection(node.node_id, timeout_ms=self.timeout_ms)
            await manager.wait_for(conn.init_future, self.timeout_ms)
            return await manager.wait_for(conn.send_request(request), self.timeout_ms)

        try:
            return self._answer(net.run(ask), "controller " + endpoint)
        finally:
            manager.close()
            net.close()

    def finalized(self):
        return self.brokers_finalized(self.brokers())

    @staticmethod
    def brokers_finalized(brokers):
        """The finalized levels as the brokers report them; the highest epoch is the newest, so take the maximum."""
        levels = {}
        for answer in brokers.values():
            for feature, level in answer["finalized"].items():
                levels[feature] = max(level, levels.get(feature, 0))
        return levels

    def update(self, feature, level):
        try:
            result = self.admin.update_features({feature: level}, timeout_ms=self.timeout_ms)
        except Exception as exc:  # kafka-python raises the controller's refusal as its error type
            raise KafkaModuleError("Kafka refused %s=%d: %s: %s" % (feature, level, type(exc).__name__, exc)) from exc
        if result.get(feature) != "OK":
            raise KafkaModuleError("Kafka refused %s=%d: %s" % (feature, level, result.get(feature)))

    def validate(self, steps):
        """Ask the active controller to validate every step in one request (check mode)."""
        if not steps:
            return
        updates = dict((feature, after) for feature, _before, after in steps)
        try:
            result = self.admin.update_features(updates, validate_only=True, timeout_ms=self.timeout_ms)
        except Exception as exc:  # as in update()
            raise KafkaModuleError("Kafka would refuse the finalization: %s: %s" % (type(exc).__name__, exc)) from exc
        refused = ["%s: %s" % (f, r) for f, r in sorted(result.items()) if r != "OK"]
        if refused:
            raise KafkaModuleError("Kafka would refuse the finalization: " + "; ".join(refused))

    def wait_visible(self, expected):
        """Until every broker reports the expected finalized levels, or the request timeout passes."""
        deadline = time.monotonic() + self.timeout_ms / 1000.0
        while True:
            brokers = self.brokers()
            behind = [
                node_id
                for node_id, answer in brokers.items()
                if any(answer["finalized"].get(f, 0) != level for f, level in expected.items())
            ]
            if not behind:
                return
            if time.monotonic() > deadline:
                raise KafkaModuleError(
                    "The features were finalized but broker(s) %s do not show them yet" % behind, changed=True
                )
            time.sleep(0.5)
