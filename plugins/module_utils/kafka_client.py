# -*- coding: utf-8 -*-
# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0
"""The one connection layer shared by the collection's Kafka modules.

Modules merge KAFKA_CONNECTION_SPEC into their argument spec, validate with
connection_errors() and obtain a KafkaAdminClient from connect(). Only this file
knows how kafka-python 3.x spells its connection settings.

The lag exporter app imports it too, through a link in apps/kafkaops_apps/lag_exporter,
without Ansible installed: Ansible is imported inside the functions that need it only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import traceback
from contextlib import contextmanager

try:
    import kafka.errors as kafka_errors
    from kafka import KafkaAdminClient

    HAS_KAFKA = True
    KAFKA_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - exercised through missing_required_lib
    HAS_KAFKA = False
    KAFKA_IMPORT_ERROR = traceback.format_exc()
    KafkaAdminClient = None
    kafka_errors = None

SECURITY_PROTOCOLS = ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SASL_MECHANISMS = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]

# Merged into every module's argument_spec; documented by the
# kafkaops.kraft.kafka_connection doc fragment (keep both in step).
KAFKA_CONNECTION_SPEC = dict(
    bootstrap_servers=dict(type="list", elements="str", default=["localhost:9092"]),
    security_protocol=dict(type="str", default="PLAINTEXT", choices=SECURITY_PROTOCOLS),
    sasl_mechanism=dict(type="str", choices=SASL_MECHANISMS),
    sasl_username=dict(type="str"),
    sasl_password=dict(type="str", no_log=True),
    ssl_cafile=dict(type="path"),
    ssl_certfile=dict(type="path"),
    ssl_keyfile=dict(type="path"),
    ssl_key_password=dict(type="str", no_log=True),
    ssl_check_hostname=dict(type="bool", default=True),
    request_timeout_ms=dict(type="int", default=30000),
    connect_timeout_ms=dict(type="int", default=10000),
    client_id=dict(type="str", default="kafkaops-kraft"),
)


class KafkaModuleError(Exception):
    """A failure with a message fit for the user; modules turn it into fail_json."""

    def __init__(self, msg, **details):
        super(KafkaModuleError, self).__init__(msg)
        self.msg = msg
        self.details = details


def connection_errors(params):
    """Return a list of problems with the connection options (pure, no I/O)."""
    errors = []
    servers = params.get("bootstrap_servers") or []
    if not servers:
        errors.append("bootstrap_servers must name at least one host:port")
    for server in servers:
        host, sep, port = server.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            errors.append("bootstrap server %r is not host:port" % server)
    protocol = params.get("security_protocol") or "PLAINTEXT"
    mechanism = params.get("sasl_mechanism")
    if protocol.startswith("SASL_"):
        if not mechanism:
            errors.append("security_protocol %s needs sasl_mechanism" % protocol)
        if not params.get("sasl_username") or params.get("sasl_password") is None:
            errors.append("security_protocol %s needs sasl_username and sasl_password" % protocol)
    elif mechanism:
        errors.append("sasl_mechanism is only used with SASL_PLAINTEXT or SASL_SSL")
    if not protocol.endswith("SSL"):
        for key in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
            if params.get(key):
                errors.append("%s is only used with SSL or SASL_SSL" % key)
    if params.get("ssl_keyfile") and not params.get("ssl_certfile"):
        errors.append("ssl_keyfile needs ssl_certfile")
    for key in ("request_timeout_ms", "connect_timeout_ms"):
        if params.get(key) is not None and params[key] <= 0:
            errors.append("%s must be positive" % key)
    return errors


def client_config(params):
    """Translate module options into KafkaAdminClient keyword arguments (pure)."""
    protocol = params.get("security_protocol") or "PLAINTEXT"
    config = dict(
        bootstrap_servers=list(params["bootstrap_servers"]),
        client_id=params.get("client_id") or "kafkaops-kraft",
        security_protocol=protocol,
        request_timeout_ms=params["request_timeout_ms"],
        # bootstrap_timeout_ms bounds the eager bootstrap in __init__, so an
        # unreachable cluster fails after connect_timeout_ms, not after 30 s.
        bootstrap_timeout_ms=params["connect_timeout_ms"],
        # Short reconnect backoff: a dead broker in the list should not stall
        # the others for the 30 s maximum default.
        reconnect_backoff_max_ms=min(1000, params["connect_timeout_ms"]),
    )
    if protocol.startswith("SASL_"):
        config.update(
            sasl_mechanism=params["sasl_mechanism"],
            sasl_plain_username=params["sasl_username"],
            sasl_plain_password=params["sasl_password"],
        )
    if protocol.endswith("SSL"):
        config.update(
            ssl_cafile=params.get("ssl_cafile"),
            ssl_certfile=params.get("ssl_certfile"),
            ssl_keyfile=params.get("ssl_keyfile"),
            ssl_password=params.get("ssl_key_password"),
            ssl_check_hostname=params.get("ssl_check_hostname", True),
        )
    return config


def unreachable_errors():
    """Exception types meaning "no bootstrap server answered" (names differ across 2.x/3.x)."""
    names = ("KafkaTimeoutError", "NoBrokersAvailable", "KafkaConnectionError")
    return tuple(getattr(kafka_errors, n) for n in names if hasattr(kafka_errors, n))


def kafka_error_types():
    """Base class of kafka-python's errors, for turning them into clean failures."""
    return kafka_errors.KafkaError if HAS_KAFKA else ()


def require_kafka(module):
    """Fail with Ansible's standard message when kafka-python is missing."""
    if not HAS_KAFKA:
        from ansible.module_utils.basic import missing_required_lib

        module.fail_json(
            msg=missing_required_lib(
                "kafka-python>=3.0,<4",
                reason="to talk to Kafka (install it into the interpreter that runs this module)",
            ),
            exception=KAFKA_IMPORT_ERROR,
        )


def connect(module):
    """Return a connected KafkaAdminClient or fail the module clearly."""
    require_kafka(module)
    errors = connection_errors(module.params)
    if errors:
        module.fail_json(msg="Invalid connection options: " + "; ".join(errors))
    config = client_config(module.params)
    servers = ", ".join(config["bootstrap_servers"])
    try:
        return KafkaAdminClient(**config)
    except Exception as exc:  # noqa: BLE001 - auth/TLS errors come in many types
        # isinstance, not an except clause: the tuple is built at run time, which pylint cannot check.
        if isinstance(exc, unreachable_errors()):
            module.fail_json(
                msg="Could not reach the Kafka cluster within %d ms; tried bootstrap servers: %s (%s)"
                % (config["bootstrap_timeout_ms"], servers, exc),
                bootstrap_servers=config["bootstrap_servers"],
            )
        else:
            module.fail_json(
                msg="Could not connect to the Kafka cluster at %s: %s: %s" % (servers, type(exc).__name__, exc),
                bootstrap_servers=config["bootstrap_servers"],
                exception=traceback.format_exc(),
            )


def live_broker_ids(admin):
    """Broker ids currently registered (unfenced) in the cluster."""
    cluster = admin.describe_cluster()
    return sorted(b["broker_id"] for b in cluster["brokers"] if not b.get("is_fenced"))


def close_quietly(admin):
    if admin is None:
        return
    try:
        admin.close()
    except Exception:  # noqa: BLE001, S110 - closing must never mask the result
        pass


@contextmanager
def admin_session(module, subject):
    """A connected admin client for the ``with`` block; a Kafka failure inside it ends the
    module with a clean message about ``subject``. A KafkaModuleError's ``changed`` detail
    says whether anything was applied before it."""
    admin = connect(module)
    try:
        yield admin
    except KafkaModuleError as exc:
        details = dict(exc.details)
        module.fail_json(msg=exc.msg, changed=bool(details.pop("changed", False)), **details)
    except kafka_error_types() as exc:
        module.fail_json(msg="Kafka error on %s: %s: %s" % (subject, type(exc).__name__, exc), changed=False)
    finally:
        close_quietly(admin)
