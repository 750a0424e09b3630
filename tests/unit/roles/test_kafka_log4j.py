"""Kafka's log4j configuration keeps its files bounded (roles/kafka_kraft/templates/log4j.properties.j2)."""

from __future__ import annotations

import pytest
import yaml

from tests.support.ansible_templates import REPO, host_variables, render, role_defaults
from tests.support.kraft_scenarios import SCENARIOS

FILE_APPENDERS = ("kafkaAppender", "stateChangeAppender", "controllerAppender")


def log4j_properties(**settings) -> str:
    """log4j.properties as the role writes it on the single-node inventory, with ``settings`` as extra vars."""
    inventory, extra = SCENARIOS["single_node"]
    return render("log4j.properties.j2", host_variables(inventory, "k1", {**extra, **settings}))


def properties(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines() if line.strip() and not line.startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


def assert_bounded(props: dict[str, str], size: str, index: str) -> None:
    for name in FILE_APPENDERS:
        prefix = f"log4j.appender.{name}"
        assert props[prefix] == "org.apache.log4j.RollingFileAppender", name
        assert props[f"{prefix}.MaxFileSize"] == size, name
        assert props[f"{prefix}.MaxBackupIndex"] == index, name
    assert "DailyRollingFileAppender" not in "".join(props.values())


def test_role_defaults_roll_by_size_and_keep_a_bounded_count():
    defaults = role_defaults()
    assert defaults["kafka_kraft_log4j_max_file_size"] == "100MB"
    assert defaults["kafka_kraft_log4j_max_backup_index"] == 5
    assert_bounded(properties(log4j_properties()), "100MB", "5")


def test_size_and_count_are_variables():
    text = log4j_properties(kafka_kraft_log4j_max_file_size="20MB", kafka_kraft_log4j_max_backup_index=3)
    assert_bounded(properties(text), "20MB", "3")


def test_logrotate_keeps_plain_files():
    props = properties(log4j_properties(kafka_kraft_logrotate_enabled=True))
    for name in FILE_APPENDERS:
        assert props[f"log4j.appender.{name}"] == "org.apache.log4j.FileAppender"
        assert f"log4j.appender.{name}.MaxBackupIndex" not in props


@pytest.mark.parametrize("path", ["tools/kafka-dist/log4j.properties"])
def test_the_assembled_archives_config_is_bounded_too(path):
    assert_bounded(properties((REPO / path).read_text()), "100MB", "5")


def test_the_assembled_4x_archives_log4j2_config_is_bounded_too():
    appenders = yaml.safe_load((REPO / "tools/kafka-dist/log4j2.yaml").read_text())["Configuration"]["Appenders"]
    files = appenders["RollingFile"]
    assert [a["name"] for a in files] == ["KafkaAppender", "StateChangeAppender", "ControllerAppender"]
    for appender in files:
        assert appender["SizeBasedTriggeringPolicy"] == {"size": "100MB"}
        assert appender["DefaultRolloverStrategy"] == {"max": 5}
