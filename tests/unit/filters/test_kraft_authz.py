"""Authorization helpers (plugins/filter/kraft_authz.py): super users, the switch phase, the apps' grants."""

import base64
import importlib.util
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError

ROOT = Path(__file__).resolve().parents[3]
_spec = importlib.util.spec_from_file_location("kraft_authz", ROOT / "plugins" / "filter" / "kraft_authz.py")
authz = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(authz)

SECURE = {
    "inter_broker_protocol": "SASL_SSL",
    "inter_broker_user": "kafka-broker",
    "controller_protocol": "SSL",
    "client_auth": "none",
    "controller_client_auth": "required",
    "tls_source": "generate",
    "hosts": ["kafka1", "kafka2", "kafka3"],
    "node_principals": [],
    "custom_properties": {},
    "admin_user": "admin",
    "extra": [],
    "allow_anonymous": False,
}


def test_secure_profile_super_users():
    assert authz.kraft_super_users(SECURE) == [
        "User:kafka-broker",
        "User:CN=kafka1",
        "User:CN=kafka2",
        "User:CN=kafka3",
        "User:admin",
    ]


def test_extra_and_duplicates_keep_order_once():
    cfg = {**SECURE, "admin_user": "kafka-broker", "extra": ["User:ops", "User:admin", "User:ops"]}
    assert authz.kraft_super_users(cfg) == [
        "User:kafka-broker",
        "User:CN=kafka1",
        "User:CN=kafka2",
        "User:CN=kafka3",
        "User:ops",
        "User:admin",
    ]


def test_no_admin_user_adds_none():
    assert authz.kraft_super_users({**SECURE, "admin_user": ""})[-1] == "User:CN=kafka3"


@pytest.mark.parametrize("extra", ["ops", "User:", "Group:ops", "User:a;User:b"])
def test_bad_extra_is_refused(extra):
    with pytest.raises(AnsibleFilterError, match="super_users_extra"):
        authz.kraft_super_users({**SECURE, "extra": [extra]})


@pytest.mark.parametrize(
    ("change", "listener"),
    [
        ({"controller_protocol": "PLAINTEXT"}, "controller listener is PLAINTEXT"),
        ({"controller_client_auth": "none"}, "controller listener is SSL without client certificates"),
        ({"inter_broker_protocol": "PLAINTEXT"}, "inter-broker listener is PLAINTEXT"),
        ({"inter_broker_protocol": "SSL"}, "inter-broker listener is SSL without client certificates"),
    ],
)
def test_anonymous_nodes_are_refused_unless_allowed(change, listener):
    cfg = {**SECURE, **change}
    with pytest.raises(AnsibleFilterError, match=listener) as err:
        authz.kraft_super_users(cfg)
    assert "kafka_kraft_authorizer_allow_anonymous_nodes" in str(err.value)
    assert "User:ANONYMOUS" in authz.kraft_super_users({**cfg, "allow_anonymous": True})


def test_sasl_plaintext_lab_with_anonymous_allowed():
    cfg = {**SECURE, "inter_broker_protocol": "SASL_PLAINTEXT", "controller_protocol": "PLAINTEXT"}
    cfg["allow_anonymous"] = True
    assert authz.kraft_super_users(cfg) == ["User:kafka-broker", "User:ANONYMOUS", "User:admin"]


def test_mtls_inter_broker_uses_certificates():
    cfg = {**SECURE, "inter_broker_protocol": "SSL", "client_auth": "required"}
    assert authz.kraft_super_users(cfg)[:3] == ["User:CN=kafka1", "User:CN=kafka2", "User:CN=kafka3"]


def test_provided_certificates_need_explicit_principals():
    cfg = {**SECURE, "tls_source": "provided"}
    with pytest.raises(AnsibleFilterError, match="kafka_kraft_authorizer_node_principals"):
        authz.kraft_super_users(cfg)
    cfg["node_principals"] = ["User:CN=node,O=Example"]
    assert authz.kraft_super_users(cfg) == ["User:kafka-broker", "User:CN=node,O=Example", "User:admin"]


@pytest.mark.parametrize("key", ["ssl.principal.mapping.rules", "listener.name.controller.ssl.principal.mapping.rules"])
def test_principal_mapping_needs_explicit_principals(key):
    with pytest.raises(AnsibleFilterError, match="mapping"):
        authz.kraft_super_users({**SECURE, "custom_properties": {key: "RULE:^CN=(.*)$/$1/"}})


def test_unusual_host_names_are_not_guessed():
    with pytest.raises(AnsibleFilterError, match="certificate subjects"):
        authz.kraft_super_users({**SECURE, "hosts": ["kafka,1"]})


def test_bad_user_names_are_refused():
    with pytest.raises(AnsibleFilterError, match="inter-broker"):
        authz.kraft_super_users({**SECURE, "inter_broker_user": "a b"})
    with pytest.raises(AnsibleFilterError, match="admin user"):
        authz.kraft_super_users({**SECURE, "admin_user": "a;b"})


def test_authorizer_properties():
    assert authz.kraft_authorizer_properties(False, ["User:x"]) == {}
    assert authz.kraft_authorizer_properties(True, ["User:a", "User:CN=b"]) == {
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        "allow.everyone.if.no.acl.found": "false",
        "super.users": "User:a;User:CN=b",
    }
    assert authz.kraft_authorizer_properties(True, ["User:a"], True)["allow.everyone.if.no.acl.found"] == "true"
    with pytest.raises(AnsibleFilterError):
        authz.kraft_authorizer_properties(True, [])


def slurp(*texts):
    """A host's registered slurp loop: a text per node, None for a missing file."""
    results = []
    for text in texts:
        if text is None:
            results.append({"failed": True, "msg": "file not found"})
        else:
            results.append({"content": base64.b64encode(text.encode()).decode()})
    return {"results": results}


ENFORCING = (
    "# managed\nauthorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer\n"
    "allow.everyone.if.no.acl.found=false\nsuper.users=User:a\n"
)
OPEN = ENFORCING.replace("found=false", "found=true")
PLAIN = "node.id=1\nprocess.roles=broker,controller\n"


@pytest.mark.parametrize(
    ("hosts", "expected"),
    [
        ([slurp(None), slurp(None)], False),  # a new cluster enforces from its first start
        ([slurp(ENFORCING), slurp(ENFORCING)], False),
        ([slurp(ENFORCING), slurp(None)], False),  # a node being added to an enforcing cluster
        ([slurp(PLAIN), slurp(PLAIN)], True),  # turning it on for a running cluster
        ([slurp(ENFORCING), slurp(PLAIN)], True),  # an interrupted first step
        ([slurp(OPEN), slurp(OPEN)], True),  # an interrupted run before the last step
        ([slurp(ENFORCING, OPEN)], True),  # several nodes on one host
        ([{"results": [{"skipped": True}]}, {"skipped": True, "results": []}], False),
        ([], False),
    ],
)
def test_authorizer_open(hosts, expected):
    assert authz.kraft_authorizer_open(hosts) is expected


def test_allow_everyone_defaults_to_false_when_absent():
    text = "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer\n"
    assert authz.kraft_authorizer_open([slurp(text)]) is False


def hostvars(**by_host):
    return dict(by_host)


def test_app_principals_per_app_users():
    hv = hostvars(
        apps1={
            "fastapi_app_security_protocol": "SASL_SSL",
            "fastapi_producer_sasl_password": "p-secret",
            "fastapi_consumer_sasl_password": "c-secret",
            "fastapi_consumer_group": "g",
        }
    )
    apps = authz.kraft_app_principals(["apps1"], hv)
    assert apps == [
        {
            "app": "producer",
            "host": "apps1",
            "user": "kafkaops-producer",
            "password": "p-secret",
            "topic": "test-topic",
        },
        {
            "app": "consumer",
            "host": "apps1",
            "user": "kafkaops-consumer",
            "password": "c-secret",
            "topic": "test-topic",
            "group": "g",
        },
    ]


def test_app_principals_shared_user_and_non_sasl_apps():
    hv = hostvars(
        a={"fastapi_app_security_protocol": "SASL_PLAINTEXT", "fastapi_app_sasl_username": "apps",
           "fastapi_app_sasl_password": "s"},
        b={"fastapi_app_security_protocol": "SSL"},
        c={},
    )  # fmt: skip
    apps = authz.kraft_app_principals(["a", "b", "c"], hv)
    assert [(a["app"], a["user"], a["password"]) for a in apps] == [
        ("producer", "apps", "s"),
        ("consumer", "apps", "s"),
    ]


def test_app_access_least_privilege():
    apps = [
        {"app": "producer", "host": "h", "user": "prod", "password": "p", "topic": "t"},
        {"app": "consumer", "host": "h", "user": "cons", "password": "c", "topic": "t", "group": "g"},
    ]
    grants = authz.kraft_app_access(apps)
    assert grants["users"] == [{"name": "prod", "password": "p"}, {"name": "cons", "password": "c"}]
    assert grants["acls"] == [
        {"principal": "User:prod", "operation": "Write", "resource_type": "TOPIC", "resource_name": "t"},
        {"principal": "User:prod", "operation": "Describe", "resource_type": "TOPIC", "resource_name": "t"},
        {"principal": "User:prod", "operation": "IdempotentWrite", "resource_type": "CLUSTER"},
        {"principal": "User:cons", "operation": "Read", "resource_type": "TOPIC", "resource_name": "t"},
        {"principal": "User:cons", "operation": "Describe", "resource_type": "TOPIC", "resource_name": "t"},
        {"principal": "User:cons", "operation": "Read", "resource_type": "GROUP", "resource_name": "g"},
    ]


def test_app_access_shared_user_gets_the_union_once():
    apps = [
        {"app": "producer", "host": "h1", "user": "apps", "password": "s", "topic": "t"},
        {"app": "consumer", "host": "h1", "user": "apps", "password": "s", "topic": "t", "group": "g"},
        {"app": "producer", "host": "h2", "user": "apps", "password": "s", "topic": "t"},
    ]
    grants = authz.kraft_app_access(apps)
    assert grants["users"] == [{"name": "apps", "password": "s"}]
    assert len(grants["acls"]) == 5  # Describe on the topic once


@pytest.mark.parametrize("password", ["", "CHANGE-ME: set vault_x"])
def test_app_access_needs_a_real_password(password):
    apps = [{"app": "producer", "host": "h", "user": "prod", "password": password, "topic": "t"}]
    with pytest.raises(AnsibleFilterError, match="CHANGE-ME"):
        authz.kraft_app_access(apps)


def test_app_access_conflicting_passwords_do_not_leak():
    apps = [
        {"app": "producer", "host": "h", "user": "apps", "password": "one-secret", "topic": "t"},
        {"app": "consumer", "host": "h", "user": "apps", "password": "two-secret", "topic": "t", "group": "g"},
    ]
    with pytest.raises(AnsibleFilterError) as err:
        authz.kraft_app_access(apps)
    assert "secret" not in str(err.value)


def test_app_access_bad_user_name():
    with pytest.raises(AnsibleFilterError, match="valid user name"):
        authz.kraft_app_access([{"app": "producer", "host": "h", "user": "a b", "password": "p", "topic": "t"}])


def test_access_user_problems():
    users = [
        {"name": "ok", "password": "secret-1"},
        {"name": "gone", "state": "absent"},
        {"name": "todo", "password": "CHANGE-ME: set vault_todo"},
        {"name": "bad name", "password": "x"},
        {"name": "ok", "password": "secret-1"},
    ]
    problems = authz.kraft_access_user_problems(users)
    assert problems == [
        "the password of todo is missing or still the inventory's CHANGE-ME placeholder",
        "user name 'bad name' must be 1+ of [A-Za-z0-9._@-]",
        "user ok is listed twice",
    ]
    assert not any("secret-1" in p for p in problems)


def test_placeholders_name_only():
    entries = [{"name": "a", "password": "CHANGE-ME: set vault_a"}, {"name": "b", "password": "real"}, {"name": "c"}]
    assert authz.kraft_placeholders(entries, "SASL user") == ["SASL user a"]


def test_app_defaults_match_the_app_roles():
    producer = yaml.safe_load((ROOT / "roles/fastapi_producer/defaults/main.yml").read_text())
    consumer = yaml.safe_load((ROOT / "roles/fastapi_consumer/defaults/main.yml").read_text())
    assert producer["fastapi_producer_topic"] == authz.APP_DEFAULTS["producer"]["topic"]
    assert consumer["fastapi_consumer_topic"] == authz.APP_DEFAULTS["consumer"]["topic"]
    assert consumer["fastapi_consumer_group"] == authz.APP_DEFAULTS["consumer"]["group"]
    assert f"default('{authz.APP_DEFAULTS['producer']['user']}', true)" in producer["fastapi_producer_sasl_username"]
    assert f"default('{authz.APP_DEFAULTS['consumer']['user']}', true)" in consumer["fastapi_consumer_sasl_username"]


# --- The lag exporter's user (kraft_monitoring_access) ------------------------
MONITOR = {
    "kafkaops_monitoring": True,
    "kafka_topic_security_protocol": "SASL_SSL",
    "prometheus_lag_sasl_password": "lag-Secret-8e2b",
}


def test_the_lag_exporter_gets_its_own_user_with_describe_only():
    access = authz.kraft_monitoring_access(["mon1"], {"mon1": MONITOR})
    assert access["users"] == [{"name": "kafkaops-lag-exporter", "password": "lag-Secret-8e2b"}]
    principal = "User:kafkaops-lag-exporter"
    assert access["acls"] == [
        {"principal": principal, "operation": "Describe", "resource_type": "GROUP", "resource_name": "*"},
        {"principal": principal, "operation": "Describe", "resource_type": "TOPIC", "resource_name": "*"},
        {"principal": principal, "operation": "Describe", "resource_type": "CLUSTER"},
    ]
    # Nothing that reads records, writes or changes anything.
    assert {a["operation"] for a in access["acls"]} == {"Describe"}


def test_listed_groups_narrow_the_group_acls_and_the_user_name_is_configurable():
    hv = {**MONITOR, "prometheus_lag_groups": ["g1", "g2"], "prometheus_lag_sasl_username": "lagger"}
    access = authz.kraft_monitoring_access(["mon1"], {"mon1": hv})
    assert access["users"][0]["name"] == "lagger"
    assert [a["resource_name"] for a in access["acls"] if a["resource_type"] == "GROUP"] == ["g1", "g2"]


@pytest.mark.parametrize(
    "hv",
    [
        {**MONITOR, "kafkaops_monitoring": False},
        {**MONITOR, "prometheus_lag_exporter_enabled": False},
        {**MONITOR, "kafka_topic_security_protocol": "SSL"},
        {**MONITOR, "prometheus_lag_security_protocol": "PLAINTEXT"},
    ],
)
def test_no_user_without_monitoring_a_lag_exporter_or_sasl(hv):
    assert authz.kraft_monitoring_access(["mon1"], {"mon1": hv}) == {"users": [], "acls": []}


@pytest.mark.parametrize(
    ("hv", "message"),
    [
        ({**MONITOR, "prometheus_lag_sasl_password": ""}, "set prometheus_lag_sasl_password"),
        ({**MONITOR, "prometheus_lag_sasl_password": "CHANGE-ME: set vault_x"}, "set prometheus_lag_sasl_password"),
        ({**MONITOR, "prometheus_lag_sasl_username": "bad name"}, "not a valid user name"),
    ],
)
def test_a_missing_password_or_bad_name_fails_without_naming_a_password(hv, message):
    with pytest.raises(AnsibleFilterError, match=message) as error:
        authz.kraft_monitoring_access(["mon1"], {"mon1": hv})
    assert "lag-Secret" not in str(error.value)


def test_lag_exporter_user_matches_the_prometheus_role():
    defaults = yaml.safe_load((ROOT / "roles/prometheus/defaults/main.yml").read_text())
    assert defaults["prometheus_lag_sasl_username"] == authz.LAG_EXPORTER_USER
