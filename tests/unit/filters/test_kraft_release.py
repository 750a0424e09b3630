"""What the role does differently per Kafka release family (plugins/filter/kraft_release.py)."""

import importlib.util
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

REPO = Path(__file__).resolve().parents[3]
_spec = importlib.util.spec_from_file_location("kraft_release", REPO / "plugins" / "filter" / "kraft_release.py")
release = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(release)

# The 3.9 tool map as the role had it before the 4.x family existed.
TOOLS_39 = {
    "kafka-acls": "kafka.admin.AclCommand",
    "kafka-broker-api-versions": "kafka.admin.BrokerApiVersionsCommand",
    "kafka-broker-info": "kafka.admin.BrokerApiVersionsCommand",
    "kafka-configs": "kafka.admin.ConfigCommand",
    "kafka-console-producer": "kafka.tools.ConsoleProducer",
    "kafka-dump-log": "kafka.tools.DumpLogSegments",
}


def test_3x_keeps_reload4j_java_11_and_the_scala_tools():
    settings = release.kraft_release("3.9.1")
    assert settings["family"] == 3 and settings["java_min"] == 11
    assert settings["log4j_file"] == "log4j.properties" and settings["log4j_template"] == "log4j.properties.j2"
    assert settings["log4j_option"] == "-Dlog4j.configuration=file:"
    assert settings["tools_log4j_file"] == "tools-log4j.properties"
    assert {k: settings["tools"][k] for k in TOOLS_39} == TOOLS_39
    assert len(settings["tools"]) == 22
    assert release.kraft_release("3.9.0") == settings


def test_4x_needs_java_17_and_logs_through_log4j2():
    settings = release.kraft_release("4.4.0")
    assert settings["family"] == 4 and settings["java_min"] == 17
    assert settings["log4j_file"] == "log4j2.yaml" and settings["log4j_template"] == "log4j2.yaml.j2"
    assert settings["log4j_option"] == "-Dlog4j2.configurationFile="
    assert settings["tools_log4j_file"] == "tools-log4j2.yaml"


@pytest.mark.parametrize(
    ("version", "moved"),
    [
        ("4.0.0", {"kafka-acls", "kafka-broker-api-versions", "kafka-broker-info", "kafka-console-producer"}),
        ("4.2.1", {"kafka-acls", "kafka-broker-api-versions", "kafka-broker-info", "kafka-console-producer"}),
        (
            "4.3.0",
            {
                "kafka-acls",
                "kafka-broker-api-versions",
                "kafka-broker-info",
                "kafka-console-producer",
                "kafka-dump-log",
            },
        ),
        ("4.4.0", set(TOOLS_39)),
    ],
)
def test_tools_move_to_the_java_module_release_by_release(version, moved):
    tools = release.kraft_release(version)["tools"]
    assert {k for k in TOOLS_39 if tools[k].startswith("org.apache.kafka.tools.")} == moved
    assert {tools[k] for k in moved} <= {"org.apache.kafka.tools." + TOOLS_39[k].rsplit(".", 1)[1] for k in moved}
    assert tools["kafka-server-start"] == "kafka.Kafka" and tools["kafka-storage"] == "kafka.tools.StorageTool"


@pytest.mark.parametrize("version", ["2.8.2", "5.0.0", "4.4", "latest", ""])
def test_unknown_lines_and_malformed_versions_fail_clearly(version):
    with pytest.raises(AnsibleFilterError, match="kafka_kraft"):
        release.kraft_release(version)


@pytest.mark.parametrize(
    ("text", "major"),
    [
        ('openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment', 17),
        ('openjdk version "11.0.25" 2024-10-15', 11),
        ('openjdk version "21" 2023-09-19', 21),
        ('java version "1.8.0_402"', 8),
        ("", 0),
        ("bash: java: command not found", 0),
    ],
)
def test_java_major(text, major):
    assert release.kraft_java_major(text) == major
