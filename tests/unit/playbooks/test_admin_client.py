"""The operations playbooks' admin client is defined once, in playbooks/vars/kafka_client.yml.

Every task that runs one of the collection's Kafka modules gets its connection
from module_defaults (kafka_client_defaults) and runs in kafka_client_python,
set on the play or a block; the host's other tasks keep the host's Python. The
file's values are the kafka_topic role's (the role that installs the client),
so the role, kafka_access and the playbooks connect the same way, and each
playbook's older names for the venv and the bootstrap list still apply.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.support.ansible_templates import _trusted, evaluate, host_variables, role_defaults
from tests.support.kraft_scenarios import _inventory, _three

REPO = Path(__file__).resolve().parents[3]
PLAYBOOKS = REPO / "playbooks"
CLIENT_VARS = PLAYBOOKS / "vars" / "kafka_client.yml"
PYTHON = "{{ kafka_client_python }}"
KAFKA_MODULES = {
    f"kafkaops.kraft.{name}"
    for name in yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())["action_groups"]["kafka"]
}
CONNECTION = {
    "bootstrap_servers",
    "security_protocol",
    "sasl_mechanism",
    "sasl_username",
    "sasl_password",
    "ssl_cafile",
    "ssl_certfile",
    "ssl_keyfile",
}
# Actions that run on the controller only: the interpreter of the task's host does not matter to them.
CONTROLLER_ONLY = {
    "ansible.builtin.assert",
    "ansible.builtin.debug",
    "ansible.builtin.fail",
    "ansible.builtin.set_fact",
    "ansible.builtin.include_tasks",
}
TASK_KEYWORDS = {
    "name", "vars", "when", "register", "loop", "loop_control", "tags", "delegate_to", "run_once", "become",
    "changed_when", "failed_when", "check_mode", "until", "retries", "delay", "no_log", "args", "notify",
    "ignore_errors", "any_errors_fatal", "environment", "module_defaults",
}  # fmt: skip


def _load(path: Path):
    return yaml.safe_load(path.read_text())


def _plays():
    for path in sorted(PLAYBOOKS.glob("*.yml")):
        for play in _load(path):
            if "hosts" in play:
                yield path, play


def _action(task: dict) -> str:
    (action,) = [key for key in task if key not in TASK_KEYWORDS]
    return action


def _tasks(items, base: Path, python, inherited_defaults):
    """(task, its interpreter, the module_defaults it sees) for every task, through blocks and include_tasks."""
    for item in items or []:
        own = (item.get("vars") or {}).get("ansible_python_interpreter", python)
        defaults = item.get("module_defaults", inherited_defaults)
        if "block" in item:
            for key in ("block", "rescue", "always"):
                yield from _tasks(item.get(key), base, own, defaults)
            continue
        yield item, own, defaults
        if _action(item) == "ansible.builtin.include_tasks":
            yield from _tasks(_load(base / item["ansible.builtin.include_tasks"]), base, own, defaults)


def _all_tasks():
    for path, play in _plays():
        python = (play.get("vars") or {}).get("ansible_python_interpreter")
        for key in ("pre_tasks", "tasks", "post_tasks"):
            for task, interpreter, defaults in _tasks(play.get(key), path.parent, python, play.get("module_defaults")):
                yield path, play, task, interpreter, defaults


def test_the_scan_finds_the_kafka_module_tasks():
    found = {(path.name, task["name"]) for path, _play, task, *_rest in _all_tasks() if _action(task) in KAFKA_MODULES}
    assert ("reassign.yml", "Submit the next wave and read the progress") not in found  # named by its includer
    assert ("rebalance.yml", "Submit the next wave and read the progress") in found
    assert ("decommission.yml", "Submit the next wave and read the progress") in found
    assert len(found) >= 25


def test_kafka_modules_run_with_the_admin_client():
    wrong = []
    for path, play, task, interpreter, defaults in _all_tasks():
        if _action(task) not in KAFKA_MODULES:
            continue
        problems = [
            "vars/kafka_client.yml not loaded" if "vars/kafka_client.yml" not in play.get("vars_files", []) else "",
            f"interpreter {interpreter!r}" if interpreter != PYTHON else "",
            f"module_defaults {defaults!r}"
            if defaults != {"group/kafkaops.kraft.kafka": "{{ kafka_client_defaults }}"}
            else "",
            f"connection options {sorted(CONNECTION & set(task[_action(task)]))}"
            if CONNECTION & set(task[_action(task)])
            else "",
        ]
        if any(problems):
            wrong.append((path.name, task["name"], [p for p in problems if p]))
    assert not wrong


def test_only_kafka_modules_and_controller_actions_run_in_the_admin_python():
    in_admin = {
        (path.name, task["name"], _action(task))
        for path, _play, task, interpreter, _defaults in _all_tasks()
        if interpreter == PYTHON and _action(task) not in KAFKA_MODULES
    }
    assert {action for *_where, action in in_admin} <= CONTROLLER_ONLY, in_admin
    # The host's own Python keeps what it ran: installs, files, copies, archives.
    others = {
        (path.name, task["name"]): interpreter
        for path, _play, task, interpreter, _defaults in _all_tasks()
        if interpreter not in (None, PYTHON)
    }
    assert set(others.values()) == {"{{ ansible_playbook_python }}"}, others


def test_no_playbook_names_the_venv_or_the_cluster_group_itself():
    sources = [*REPO.glob("*.yml"), *PLAYBOOKS.rglob("*.yml")]
    named = {
        str(p.relative_to(REPO)): text.count("admin-venv") for p in sources if "admin-venv" in (text := p.read_text())
    }
    assert named == {"playbooks/vars/kafka_client.yml": 1}  # the kafka_topic default, restated once
    literal = re.compile(r"groups\[\s*['\"]kafka['\"]\s*\]")
    assert [str(p.relative_to(REPO)) for p in sources if literal.search(p.read_text())] == []


# --- what kafka_client.yml evaluates to -------------------------------------------------------------------


def _client(inventory: dict, play_vars: dict | None = None, extra: dict | None = None, host: str = "k1") -> dict:
    """The variables a play that loads kafka_client.yml sees: inventory < play vars < vars_files < -e."""
    variables = host_variables(inventory, host, roles=())
    return {**variables, **_trusted(play_vars or {}), **_trusted(_load(CLIENT_VARS)), **_trusted(extra or {})}


def _role(role: str, inventory: dict, host: str = "k1") -> dict:
    """The variables the role's tasks see (its defaults and vars, the inventory)."""
    return host_variables(inventory, host, roles=(role,))


def _topic_connection(inventory: dict) -> dict:
    """The connection options of the kafka_topic role's own module call (tasks/topics.yml)."""
    task = _load(REPO / "roles" / "kafka_topic" / "tasks" / "topics.yml")[0]
    args = {k: v for k, v in task["kafkaops.kraft.kafka_topic"].items() if k in CONNECTION}
    return evaluate({**_role("kafka_topic", inventory), "_args": _trusted(args)}, "_args")


def _access_connection(inventory: dict) -> dict:
    variables = _role("kafka_access", inventory)
    connection = evaluate(variables, "_kafka_access_connection")
    return {k: v for k, v in connection.items() if k in CONNECTION}


SECURED = {
    "kafka_topic_security_protocol": "SASL_SSL",
    "kafka_topic_sasl_mechanism": "SCRAM-SHA-512",
    "kafka_topic_sasl_username": "admin",
    "kafka_topic_sasl_password": "admin-Secret-91c2",
    "kafka_topic_ssl_cafile": "/etc/kafka/tls/ca.crt",
}
CONNECTIONS = {
    "plaintext": {},
    "secured": SECURED,
    "ca_src": {"kafka_topic_security_protocol": "SSL", "kafka_topic_ssl_ca_src": "files/ca.crt"},
    "ca_src_and_cafile": {"kafka_topic_ssl_ca_src": "files/ca.crt", "kafka_topic_ssl_cafile": "/srv/ca.pem"},
    "client_certificate": {"kafka_topic_ssl_certfile": "/srv/c.pem", "kafka_topic_ssl_keyfile": "/srv/k.pem"},
}


@pytest.mark.parametrize("group_vars", CONNECTIONS.values(), ids=CONNECTIONS)
def test_playbooks_kafka_topic_and_kafka_access_connect_the_same_way(group_vars):
    inventory = _three(group_vars)
    playbooks = evaluate(_client(inventory), "kafka_client_defaults")
    assert playbooks == _topic_connection(inventory)
    # kafka_access passes its optional settings as omit too, and bootstrap_servers from its own default.
    assert playbooks == _access_connection(inventory)


@pytest.mark.parametrize("group_vars", CONNECTIONS.values(), ids=CONNECTIONS)
def test_the_ca_file_is_where_kafka_topic_installs_it(group_vars):
    inventory = _three(group_vars)
    installed = evaluate(_role("kafka_topic", inventory), "_kafka_topic_ssl_cafile")
    assert evaluate(_client(inventory), "kafka_client_ssl_cafile") == installed
    assert evaluate(_role("kafka_access", inventory), "kafka_access_ssl_cafile") == installed


def test_the_defaults_are_the_kafka_topic_roles():
    inventory = _three()
    client = _client(inventory)
    topic = _role("kafka_topic", inventory)
    assert evaluate(client, "kafka_client_venv") == role_defaults("kafka_topic")["kafka_topic_admin_venv"]
    assert evaluate(client, "kafka_client_python") == "/opt/kafkaops/admin-venv/bin/python"
    assert evaluate(client, "kafka_client_bootstrap_servers") == evaluate(topic, "kafka_topic_bootstrap_servers")
    assert evaluate(client, "kafka_client_bootstrap_servers") == ["k1:9092", "k2:9092", "k3:9092"]
    assert evaluate(client, "kafkaops_cluster_group") == role_defaults("kafka_kraft")["kafka_kraft_cluster_group"]
    assert evaluate(client, "kafka_client_controllers") == []


def test_the_inventory_sets_them_through_the_kafka_topic_variables():
    inventory = _three(
        {"kafka_topic_admin_venv": "/srv/admin", "kafka_topic_bootstrap_servers": ["lb:9092"], **SECURED}
    )
    client = _client(inventory)
    assert evaluate(client, "kafka_client_python") == "/srv/admin/bin/python"
    assert evaluate(client, "kafka_client_defaults")["bootstrap_servers"] == ["lb:9092"]
    assert evaluate(client, "kafka_client_defaults")["security_protocol"] == "SASL_SSL"
    # -e of the file's own names beats both.
    client = _client(inventory, extra={"kafka_client_venv": "/e", "kafka_client_bootstrap_servers": ["e:1"]})
    assert evaluate(client, "kafka_client_python") == "/e/bin/python"
    assert evaluate(client, "kafka_client_defaults")["bootstrap_servers"] == ["e:1"]


def test_the_cluster_group_follows_kafka_kraft_cluster_group():
    hosts = {f"k{i}": {"kafka_kraft_node_id": i} for i in (1, 2, 3, 4)}
    groups = {"kafka": ["k1", "k2", "k3"], "blue": ["k4"], "kafka_brokers": ["k1", "k2", "k3", "k4"]}
    inventory = _inventory(hosts, groups, {"kafka_kraft_cluster_group": "blue"})
    client = _client(inventory)
    assert evaluate(client, "kafka_client_bootstrap_servers") == ["k4:9092"]
    assert evaluate(client, "kafka_client_bootstrap_servers") == evaluate(
        _role("kafka_topic", inventory), "kafka_topic_bootstrap_servers"
    )


def test_the_controller_listener_of_dedicated_controllers():
    hosts = {f"k{i}": {"kafka_kraft_node_id": i} for i in (1, 2, 3, 4)}
    groups = {"kafka": ["k1", "k2", "k3", "k4"], "kafka_controllers": ["k1", "k2", "k3"], "kafka_brokers": ["k4"]}
    client = _client(_inventory(hosts, groups))
    assert evaluate(client, "kafka_client_controllers") == ["k1:10092", "k2:10092", "k3:10092"]
    assert evaluate(client, "kafka_client_bootstrap_servers") == ["k4:9092"]


# --- the deprecated per-playbook names ---------------------------------------------------------------------


def _play(playbook: str, name: str) -> dict:
    (play,) = [p for p in _load(PLAYBOOKS / playbook) if p.get("name") == name]
    return play


def _play_vars(play: dict) -> dict:
    """A play's vars with its vars_files other than kafka_client.yml (vars/rebalance.yml)."""
    files = [f for f in play.get("vars_files", []) if f != "vars/kafka_client.yml"]
    return {**(play.get("vars") or {}), **{k: v for f in files for k, v in _load(PLAYBOOKS / f).items()}}


VENV_ALIASES = [
    ("backup.yml", "Back up topics", "backup_admin_venv"),
    ("check_lag.yml", "Check consumer group lag", "check_lag_admin_venv"),
    ("health.yml", "Cluster health report", "health_admin_venv"),
    ("restore.yml", "Restore a topic from JSON lines", "restore_admin_venv"),
    ("upgrade.yml", "Check the cluster before upgrading", "upgrade_admin_venv"),
    ("upgrade.yml", "Verify and finalize", "upgrade_admin_venv"),
    ("rebalance.yml", "Rebalance partitions over every broker", "rebalance_admin_venv"),
    ("decommission.yml", "Preflight and drain the retiring brokers", "rebalance_admin_venv"),
]
BOOTSTRAP_ALIASES = [
    ("backup.yml", "Back up topics", "backup_bootstrap_servers"),
    ("check_lag.yml", "Check consumer group lag", "check_lag_bootstrap_servers"),
    ("health.yml", "Cluster health report", "health_bootstrap_servers"),
    ("restore.yml", "Restore a topic from JSON lines", "restore_bootstrap_servers"),
    ("rebalance.yml", "Rebalance partitions over every broker", "rebalance_bootstrap_servers"),
    ("decommission.yml", "Preflight and drain the retiring brokers", "kafka_decommission_bootstrap_servers"),
]
DECOMMISSION = {"staying_hosts": ["k1", "k2"]}


@pytest.mark.parametrize(("playbook", "play", "alias"), VENV_ALIASES)
def test_a_playbooks_old_venv_name_still_applies(playbook, play, alias):
    play_vars = _play_vars(_play(playbook, play))
    extra = {"kafka_decommission": DECOMMISSION}
    assert evaluate(_client(_three(), play_vars, extra), "kafka_client_python") == "/opt/kafkaops/admin-venv/bin/python"
    assert evaluate(_client(_three(), play_vars, {**extra, alias: "/old"}), "kafka_client_python") == "/old/bin/python"
    # Set in the inventory, as the playbooks' default() allowed.
    assert evaluate(_client(_three({alias: "/inv"}), play_vars, extra), "kafka_client_venv") == "/inv"


@pytest.mark.parametrize(("playbook", "play", "alias"), BOOTSTRAP_ALIASES)
def test_a_playbooks_old_bootstrap_name_still_applies(playbook, play, alias):
    play_vars = _play_vars(_play(playbook, play))
    extra = {"kafka_decommission": DECOMMISSION}
    client = _client(_three(), play_vars, {**extra, alias: ["old:9092"]})
    assert evaluate(client, "kafka_client_defaults")["bootstrap_servers"] == ["old:9092"]


def test_decommission_bootstraps_from_the_brokers_that_stay():
    play_vars = _play_vars(_play("decommission.yml", "Preflight and drain the retiring brokers"))
    client = _client(_three(), play_vars, {"kafka_decommission": DECOMMISSION})
    assert evaluate(client, "kafka_client_defaults")["bootstrap_servers"] == ["k1:9092", "k2:9092"]


INSTALLING = [
    ("rebalance.yml", "Rebalance partitions over every broker"),
    ("decommission.yml", "Preflight and drain the retiring brokers"),
]
INSTALL_INTO = [
    ({}, {}, "/opt/kafkaops/admin-venv"),
    ({"kafka_topic_admin_venv": "/inv"}, {}, "/inv"),
    ({"kafka_topic_admin_venv": "/inv"}, {"rebalance_admin_venv": "/old"}, "/old"),
]


@pytest.mark.parametrize(("playbook", "play"), INSTALLING)
@pytest.mark.parametrize(("inventory_vars", "extra", "venv"), INSTALL_INTO)
def test_the_client_is_installed_where_the_modules_run(playbook, play, inventory_vars, extra, venv):
    """The kafka_topic install entry point gets kafka_client_venv, which must not then refer to itself."""
    spec = _play(playbook, play)
    (install,) = [t for t in spec["tasks"] if t["name"] == "Install the admin client"]
    inventory = _three(inventory_vars)
    variables = {
        **role_defaults("kafka_topic"),
        **_client(inventory, _play_vars(spec), {"kafka_decommission": DECOMMISSION, **extra}),
    }
    variables.update(_trusted(install["vars"]))
    assert evaluate(variables, "kafka_topic_admin_venv") == venv
    assert evaluate(variables, "kafka_client_python") == f"{venv}/bin/python"
