# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0
"""What the kafka_kraft role does differently for each Kafka release family.

3.x and 4.x differ in the Java they need, their logging backend (reload4j with
log4j.properties; log4j2 with log4j2.yaml) and where some command-line tools'
main classes live. Everything keyed on the version is answered here, so the
role has one template per family and no version tests in Jinja.
"""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

# Main class of each generated bin/<tool>.sh, as in Kafka 3.9's own scripts.
_TOOLS_3 = {
    "kafka-acls": "kafka.admin.AclCommand",
    "kafka-broker-api-versions": "kafka.admin.BrokerApiVersionsCommand",
    "kafka-cluster": "org.apache.kafka.tools.ClusterTool",
    "kafka-configs": "kafka.admin.ConfigCommand",
    "kafka-console-consumer": "org.apache.kafka.tools.consumer.ConsoleConsumer",
    "kafka-console-producer": "kafka.tools.ConsoleProducer",
    "kafka-consumer-groups": "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
    "kafka-consumer-perf-test": "org.apache.kafka.tools.ConsumerPerformance",
    "kafka-delete-records": "org.apache.kafka.tools.DeleteRecordsCommand",
    "kafka-dump-log": "kafka.tools.DumpLogSegments",
    "kafka-e2e-latency": "org.apache.kafka.tools.EndToEndLatency",
    "kafka-features": "org.apache.kafka.tools.FeatureCommand",
    "kafka-get-offsets": "org.apache.kafka.tools.GetOffsetShell",
    "kafka-leader-election": "org.apache.kafka.tools.LeaderElectionCommand",
    "kafka-log-dirs": "org.apache.kafka.tools.LogDirsCommand",
    "kafka-metadata-quorum": "org.apache.kafka.tools.MetadataQuorumCommand",
    "kafka-producer-perf-test": "org.apache.kafka.tools.ProducerPerformance",
    "kafka-reassign-partitions": "org.apache.kafka.tools.reassign.ReassignPartitionsCommand",
    "kafka-server-start": "kafka.Kafka",
    "kafka-storage": "kafka.tools.StorageTool",
    "kafka-topics": "org.apache.kafka.tools.TopicCommand",
    # The seed's "kafka-broker-info.sh" is not a Kafka tool; this is its intent.
    "kafka-broker-info": "kafka.admin.BrokerApiVersionsCommand",
}
# Tools whose Scala main class moved to the Java tools module, by the release
# that moved it (checked against each release's kafka-tools and core jars).
_MOVED = (
    ((4, 0), ("kafka-acls", "kafka-broker-api-versions", "kafka-broker-info", "kafka-console-producer")),
    ((4, 3), ("kafka-dump-log",)),
    ((4, 4), ("kafka-configs",)),
)
_JAVA_TOOLS = "org.apache.kafka.tools."

_LOGGING = {
    3: {
        "java_min": 11,
        "log4j_template": "log4j.properties.j2",
        "log4j_file": "log4j.properties",
        "log4j_option": "-Dlog4j.configuration=file:",
        "tools_log4j_file": "tools-log4j.properties",
    },
    4: {
        "java_min": 17,
        "log4j_template": "log4j2.yaml.j2",
        "log4j_file": "log4j2.yaml",
        "log4j_option": "-Dlog4j2.configurationFile=",
        "tools_log4j_file": "tools-log4j2.yaml",
    },
}


def _parsed(version):
    match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", str(version).strip())
    if not match:
        raise AnsibleFilterError("kafka_kraft_version must be a release such as 3.9.1 or 4.4.0, got %r" % str(version))
    return tuple(int(part) for part in match.groups())


def kraft_release(version):
    """The family settings of Kafka ``version`` (see kraft_release.yml)."""
    parsed = _parsed(version)
    family = parsed[0]
    if family not in _LOGGING:
        raise AnsibleFilterError(
            "Kafka %s is not supported: kafka_kraft installs the 3.x and 4.x lines" % ".".join(map(str, parsed))
        )
    tools = dict(_TOOLS_3)
    for since, names in _MOVED:
        if parsed[:2] >= since:
            for name in names:
                tools[name] = _JAVA_TOOLS + tools[name].rsplit(".", 1)[1]
    return {"family": family, "tools": tools, **_LOGGING[family]}


def kraft_java_major(text):
    """The major version in ``java -version`` output (``1.8.0`` is 8), 0 when there is none."""
    match = re.search(r'version "(\d+)(?:\.(\d+))?', str(text or ""))
    if not match:
        return 0
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


class FilterModule:
    def filters(self):
        return {"kraft_release": kraft_release, "kraft_java_major": kraft_java_major}
