"""The kafka_kraft templates per release family: 3.x as before, 4.x with log4j2 and its tools.

Rendering goes through Ansible's own templating (tests/support/ansible_templates.py)
on the combined, dedicated-controller and several-nodes-per-VM inventories of
tests/support/kraft_scenarios.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.support.ansible_templates import evaluate, host_variables, render
from tests.support.kraft_scenarios import SCENARIOS

GOLDEN = Path(__file__).parent / "golden"
# Combined nodes, dedicated controllers with a dynamic quorum, two nodes on one VM, everything secured.
TOPOLOGIES = ("default", "dynamic_dedicated", "single_vm", "secure")


def _nodes(version: str):
    for scenario in TOPOLOGIES:
        inventory, extra = SCENARIOS[scenario]
        for host in sorted(inventory["groups"]["kafka"]):
            variables = host_variables(inventory, host, {**extra, "kafka_kraft_version": version})
            for node in evaluate(variables, "_kafka_kraft_local_nodes"):
                yield scenario, host, node, variables


@pytest.mark.parametrize("version", ["3.9.1", "4.4.0"])
def test_server_properties_differ_only_in_the_version_comment(version):
    """No property the role writes is gone in 4.x; the 3.9.1 golden files hold for both families."""
    checked = 0
    for scenario, host, node, variables in _nodes(version):
        for part in ("public", "secret"):
            rendered = render("server.properties.j2", {**variables, "item": node, "_kafka_kraft_properties_part": part})
            golden = (GOLDEN / f"{scenario}.{host}.{node['name']}.{part}.properties").read_text()
            assert rendered == golden.replace("# Kafka 3.9.1 ", f"# Kafka {version} ", 1), (scenario, node["name"])
            checked += 1
    assert checked >= 20


@pytest.mark.parametrize(
    ("version", "option"),
    [
        ("3.9.1", "-Dlog4j.configuration=file:{conf}/log4j.properties"),
        ("4.4.0", "-Dlog4j2.configurationFile={conf}/log4j2.yaml"),
    ],
)
def test_units_point_the_jvm_at_the_familys_logging_file(version, option):
    for _scenario, _host, node, variables in _nodes(version):
        unit = render("kafka-node.service.j2", {**variables, "item": node})
        conf = f"/etc/kafka/{node['name']}"
        assert f"-Dkafka.logs.dir=/var/log/kafka/{node['name']} {option.format(conf=conf)} \\\n" in unit
        assert f"Apache Kafka {version} KRaft node {node['id']}" in unit
        assert ("log4j2" in unit) is version.startswith("4.")


@pytest.mark.parametrize(
    ("version", "opts"),
    [
        ("3.9.1", "-Dlog4j.configuration=file:${base_dir}/config/tools-log4j.properties"),
        ("4.4.0", "-Dlog4j2.configurationFile=${base_dir}/config/tools-log4j2.yaml"),
    ],
)
def test_tools_default_to_the_familys_tools_logging(version, opts):
    inventory, extra = SCENARIOS["single_node"]
    variables = host_variables(inventory, "k1", {**extra, "kafka_kraft_version": version})
    script = render("kafka-run-class.sh.j2", variables)
    assert f': "${{KAFKA_LOG4J_OPTS:={opts}}}"' in script
    assert f'base_dir="/opt/kafka-{version}"' in script
    dispatcher = render("kafka-tool.sh.j2", variables)
    configs = "kafka.admin.ConfigCommand" if version.startswith("3.") else "org.apache.kafka.tools.ConfigCommand"
    assert f"  kafka-configs) main_class={configs} ;;" in dispatcher


def _appenders(text: str) -> tuple[str, list[dict]]:
    appenders = yaml.safe_load(text)["Configuration"]["Appenders"]
    (kind,) = [k for k in appenders if k != "Console"]
    return kind, appenders[kind]


@pytest.mark.parametrize(("size", "count"), [("100MB", 5), ("20MB", 3)])
def test_log4j2_rolls_each_file_at_the_same_size_and_count(size, count):
    inventory, extra = SCENARIOS["single_node"]
    variables = host_variables(
        inventory,
        "k1",
        {
            **extra,
            "kafka_kraft_version": "4.4.0",
            "kafka_kraft_log4j_max_file_size": size,
            "kafka_kraft_log4j_max_backup_index": count,
        },
    )
    assert evaluate(variables, "_kafka_kraft_release.log4j_template") == "log4j2.yaml.j2"
    kind, files = _appenders(render("log4j2.yaml.j2", variables))
    assert kind == "RollingFile"
    assert {a["fileName"] for a in files} == {
        "${sys:kafka.logs.dir}/server.log",
        "${sys:kafka.logs.dir}/state-change.log",
        "${sys:kafka.logs.dir}/controller.log",
    }
    for appender in files:
        assert appender["filePattern"] == appender["fileName"] + ".%i"
        assert appender["SizeBasedTriggeringPolicy"] == {"size": size}
        assert appender["DefaultRolloverStrategy"] == {"max": count}


def test_log4j2_leaves_rotation_to_logrotate_when_asked():
    inventory, extra = SCENARIOS["single_node"]
    variables = host_variables(
        inventory, "k1", {**extra, "kafka_kraft_version": "4.4.0", "kafka_kraft_logrotate_enabled": True}
    )
    kind, files = _appenders(render("log4j2.yaml.j2", variables))
    assert kind == "File"
    assert all(a["append"] is True and "filePattern" not in a for a in files)


def test_log4j2_routes_controller_and_state_change_loggers_like_3x():
    inventory, extra = SCENARIOS["single_node"]
    variables = host_variables(inventory, "k1", {**extra, "kafka_kraft_version": "4.4.0"})
    loggers = yaml.safe_load(render("log4j2.yaml.j2", variables))["Configuration"]["Loggers"]
    routed = {lg["name"]: lg["AppenderRef"]["ref"] for lg in loggers["Logger"] if "AppenderRef" in lg}
    assert routed == {
        "kafka.controller": "ControllerAppender",
        "org.apache.kafka.controller": "ControllerAppender",
        "state.change.logger": "StateChangeAppender",
    }
    assert all(lg["additivity"] is False for lg in loggers["Logger"] if "AppenderRef" in lg)
    assert [ref["ref"] for ref in loggers["Root"]["AppenderRef"]] == ["STDOUT", "KafkaAppender"]
