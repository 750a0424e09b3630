"""The filters take a host's missing settings from the owning role's defaults file, the one place they are written."""

from __future__ import annotations

import pytest
import yaml
from ansible.errors import AnsibleFilterError
from ansible_collections.kafkaops.kraft.plugins.filter import kraft
from ansible_collections.kafkaops.kraft.plugins.filter.kraft_monitoring import kraft_app_targets
from ansible_collections.kafkaops.kraft.plugins.plugin_utils import role_defaults

BOTH = ["kafka", "kafka_controllers", "kafka_brokers"]


@pytest.fixture
def roles(tmp_path, monkeypatch):
    """A roles directory whose kafka_kraft defaults differ from the shipped ones."""

    def write(role, values):
        (tmp_path / role / "defaults").mkdir(parents=True, exist_ok=True)
        (tmp_path / role / "defaults" / "main.yml").write_text(yaml.safe_dump(values))

    shipped = role_defaults.role_defaults("kafka_kraft")
    write("kafka_kraft", {**shipped, "kafka_kraft_client_port": 19092, "kafka_kraft_jmx_exporter_port": 17071})
    monkeypatch.setattr(role_defaults, "ROLES", tmp_path)
    role_defaults.role_defaults.cache_clear()
    yield write
    role_defaults.role_defaults.cache_clear()


def test_the_shipped_defaults_are_read_from_the_role():
    assert role_defaults.role_default("kafka_kraft", "kafka_kraft_client_port") == 9092
    assert role_defaults.role_default("fastapi_producer", "fastapi_producer_port") == 8001


def test_a_changed_role_default_reaches_the_node_model(roles):
    nodes = kraft.kraft_nodes(["k1"], {"k1": {"group_names": BOTH, "kafka_kraft_node_id": 1}})
    assert (nodes[0]["client_port"], nodes[0]["internal_port"], nodes[0]["jmx_exporter_port"]) == (19092, 19192, 17071)


def test_the_inventory_still_wins_over_the_role_default(roles):
    hostvars = {"k1": {"group_names": BOTH, "kafka_kraft_node_id": 1, "kafka_kraft_client_port": 9500}}
    assert kraft.kraft_nodes(["k1"], hostvars)[0]["client_port"] == 9500


def test_a_changed_app_port_reaches_the_scrape_targets(roles):
    roles("fastapi_producer", {"fastapi_producer_port": 18001, "fastapi_producer_api_auth": False})
    roles(
        "fastapi_consumer",
        {"fastapi_consumer_base_port": 18002, "fastapi_consumer_instances": 1, "fastapi_consumer_api_auth": False},
    )
    roles("fastapi_app", {"fastapi_app_behind_proxy": False})
    targets = str(kraft_app_targets(["a1"], {"a1": {"group_names": ["kafka_apps"]}}))
    assert "a1:18001" in targets and "a1:18002" in targets


def test_a_templated_default_is_refused_with_its_name(roles):
    roles("other", {"other_port": "{{ something }}"})
    with pytest.raises(AnsibleFilterError, match="role other's default other_port is a template"):
        role_defaults.role_default("other", "other_port")


def test_a_missing_default_names_the_role_and_the_setting():
    with pytest.raises(AnsibleFilterError, match="role kafka_kraft has no default kafka_kraft_nope"):
        role_defaults.role_default("kafka_kraft", "kafka_kraft_nope")


def test_every_default_the_filters_read_is_a_literal_of_its_role():
    from ansible_collections.kafkaops.kraft.plugins.filter.kraft_monitoring import APP_SETTING_ROLES

    for name, role in APP_SETTING_ROLES.items():
        role_defaults.role_default(role, name)
    for key in (
        "client_port",
        "controller_port",
        "data_root",
        "controllers_group",
        "brokers_group",
        "internal_port_offset",
        "jmx_port",
        "jmx_exporter_port",
        "jmx_exporter_enabled",
        "jmx_exporter_username",
        "tls_enabled",
    ):
        role_defaults.role_default("kafka_kraft", "kafka_kraft_" + key)
