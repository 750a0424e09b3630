"""Kafka's logging runtime keeps the role's rendered configuration's files bounded.

A small Java program loads the role's rendered log4j.properties with the
archive's reload4j jar (3.x), or its log4j2.yaml with the 4.x archive's log4j2,
and writes about 30 times the configured size into each of Kafka's three log
files; every file must stay within size and count.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.support.ansible_templates import host_variables, render
from tests.support.kafka_broker import KAFKA_NEXT_VERSION, dist, kafka_home
from tests.support.kraft_scenarios import SCENARIOS

FILL = """
import org.apache.log4j.Logger;
import org.apache.log4j.PropertyConfigurator;

public class Fill {
    public static void main(String[] args) {
        System.setProperty("kafka.logs.dir", args[1]);
        PropertyConfigurator.configure(args[0]);
        Logger[] loggers = {Logger.getLogger("kafka.server.KafkaServer"), Logger.getLogger("state.change.logger"),
                            Logger.getLogger("kafka.controller.KafkaController")};
        String line = "x".repeat(1000);
        for (int i = 0; i < Integer.parseInt(args[2]); i++) {
            for (Logger logger : loggers) {
                logger.info(line);
            }
        }
    }
}
"""


def bounded_config(template: str) -> str:
    """``template`` as the role writes it on the single-node inventory, each file at 64KB with 2 old copies."""
    inventory, extra = SCENARIOS["single_node"]
    settings = {"kafka_kraft_log4j_max_file_size": "64KB", "kafka_kraft_log4j_max_backup_index": 2}
    return render(template, host_variables(inventory, "k1", {**extra, **settings}))


@pytest.mark.integration
def test_reload4j_keeps_each_log_within_size_and_count(tmp_path):
    java = shutil.which("java")
    if not java:
        pytest.skip("no java")
    jars = sorted((kafka_home() / "libs").glob("reload4j-*.jar"))
    assert jars, "the Kafka archive has no reload4j jar"
    config = tmp_path / "log4j.properties"
    config.write_text(bounded_config("log4j.properties.j2"))
    (tmp_path / "Fill.java").write_text(FILL)
    logs = tmp_path / "logs"
    logs.mkdir()
    subprocess.run(
        [java, "-cp", str(jars[0]), str(tmp_path / "Fill.java"), str(config), str(logs), "2000"],
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=120,
    )
    for name in ("server.log", "state-change.log", "controller.log"):
        files = sorted(p.name for p in logs.glob(name + "*"))
        assert files == [name, f"{name}.1", f"{name}.2"], files
        # One record may go past the limit before the file rolls.
        assert all((logs / f).stat().st_size <= 64 * 1024 + 1100 for f in files), files


FILL_LOG4J2 = """
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

public class Fill {
    public static void main(String[] args) {
        System.setProperty("log4j2.configurationFile", args[0]);
        System.setProperty("kafka.logs.dir", args[1]);
        Logger[] loggers = {LogManager.getLogger("kafka.server.KafkaServer"),
                            LogManager.getLogger("state.change.logger"),
                            LogManager.getLogger("kafka.controller.KafkaController")};
        String line = "x".repeat(1000);
        for (int i = 0; i < Integer.parseInt(args[2]); i++) {
            for (Logger logger : loggers) {
                logger.info(line);
            }
        }
        LogManager.shutdown();
    }
}
"""


@pytest.mark.integration
def test_log4j2_keeps_each_log_within_size_and_count_on_4x(tmp_path):
    """The same bound with the 4.x family's log4j2.yaml and the 4.x archive's log4j2 (KAFKA_NEXT_VERSION)."""
    java = shutil.which("java")
    if not java:
        pytest.skip("no java")
    if not dist(KAFKA_NEXT_VERSION).is_file():
        pytest.skip(f"no Kafka {KAFKA_NEXT_VERSION} archive: run `make next-archive`")
    libs = kafka_home(version=KAFKA_NEXT_VERSION) / "libs"
    config = tmp_path / "log4j2.yaml"
    config.write_text(bounded_config("log4j2.yaml.j2"))
    (tmp_path / "Fill.java").write_text(FILL_LOG4J2)
    logs = tmp_path / "logs"
    logs.mkdir()
    subprocess.run(
        [java, "-cp", f"{libs}/*", str(tmp_path / "Fill.java"), str(config), str(logs), "2000"],
        check=True,
        stdout=subprocess.DEVNULL,
        timeout=120,
    )
    for name in ("server.log", "state-change.log", "controller.log"):
        files = sorted(p.name for p in logs.glob(name + "*"))
        assert files == [name, f"{name}.1", f"{name}.2"], files
        assert all((logs / f).stat().st_size <= 64 * 1024 + 1100 for f in files), files
