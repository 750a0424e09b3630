# -*- coding: utf-8 -*-
# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0
"""Connection options shared by the collection's Kafka modules (kafka_client.py), and their action group."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  bootstrap_servers:
    description:
      - Kafka brokers to bootstrap from, as C(host:port).
      - One reachable broker is enough; the client discovers the rest.
    type: list
    elements: str
    default: [localhost:9092]
  security_protocol:
    description: Protocol of the listener named in O(bootstrap_servers).
    type: str
    default: PLAINTEXT
    choices: [PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL]
  sasl_mechanism:
    description: SASL mechanism; required with V(SASL_PLAINTEXT) and V(SASL_SSL).
    type: str
    choices: [PLAIN, SCRAM-SHA-256, SCRAM-SHA-512]
  sasl_username:
    description: SASL user name for PLAIN and SCRAM.
    type: str
  sasl_password:
    description: SASL password for PLAIN and SCRAM. Never logged.
    type: str
  ssl_cafile:
    description: PEM file of the CA that signed the brokers' certificates.
    type: path
  ssl_certfile:
    description: PEM client certificate, for brokers that require client authentication.
    type: path
  ssl_keyfile:
    description: PEM private key of O(ssl_certfile).
    type: path
  ssl_key_password:
    description: Password of O(ssl_keyfile), if it is encrypted. Never logged.
    type: str
  ssl_check_hostname:
    description: Verify that broker certificates match the broker host names.
    type: bool
    default: true
  request_timeout_ms:
    description: Time limit for each admin request, and for waiting until changes are visible.
    type: int
    default: 30000
  connect_timeout_ms:
    description:
      - Time limit for reaching the cluster.
      - When no bootstrap server answers within it the task fails and names the servers it tried.
    type: int
    default: 10000
  client_id:
    description: Client id shown in broker logs and quotas.
    type: str
    default: kafkaops-kraft
requirements:
  - kafka-python >= 3.0, < 4 in the Python interpreter that runs the module
attributes:
  action_group:
    description: Use C(group/kafkaops.kraft.kafka) in C(module_defaults) to set the connection of every Kafka module.
    support: full
    membership:
      - kafkaops.kraft.kafka
"""
