# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0
"""Security helpers for the kafka_kraft role: SASL users, SCRAM credentials, secret properties.

Passwords never reach a process argument list: SCRAM users added at format
time reach ``kafka-storage format --add-scram`` as salt and salted password
through a root-only java argument file, and PLAIN users live only in the
listener's JAAS configuration. Secret broker settings live in a separate
file that server.properties references, so server.properties can be shown
in a diff.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re

from ansible.errors import AnsibleFilterError

SAFE_SECRET = re.compile(r'^[^"\\\r\n]+$')
SAFE_NAME = re.compile(r"^[A-Za-z0-9._@-]+$")
HASHES = {"SCRAM-SHA-256": "sha256", "SCRAM-SHA-512": "sha512"}
# Broker settings whose values are secrets (Kafka's PASSWORD-typed settings and
# JAAS lines, listener-prefixed or not).
SECRET_KEY = re.compile(r"(^|\.)(password|secret|secret\.key|sasl\.jaas\.config|ssl\.keystore\.key)$")
PROVIDER_ALIAS = "kafkaops"
FILE_PROVIDER = "org.apache.kafka.common.config.provider.FileConfigProvider"
REFERENCE = re.compile(r"^\$\{[^}]+\}$")


def _check(user):
    name, password = user.get("name", ""), user.get("password", "")
    if not SAFE_NAME.match(str(name)):
        raise AnsibleFilterError(f"SASL user name {name!r} must be 1+ of [A-Za-z0-9._@-]")
    if not SAFE_SECRET.match(str(password)):
        # Never echo the password itself.
        raise AnsibleFilterError(f"SASL password of {name!r} is empty or has a quote, backslash or newline")
    return str(name), str(password)


def _plain_user(user):
    """One ``user_NAME="PASSWORD"`` entry of a PlainLoginModule JAAS line (with a leading space)."""
    name, password = _check(user)
    return f' user_{name}="{password}"'


def kraft_scram_credential(user, mechanism="SCRAM-SHA-512", iterations=8192):
    """A ``--add-scram`` value with salt and salted password instead of the password."""
    if mechanism not in HASHES:
        raise AnsibleFilterError(f"{mechanism} is not a SCRAM mechanism")
    name, password = _check(user)
    salt = os.urandom(24)
    salted = hashlib.pbkdf2_hmac(HASHES[mechanism], password.encode(), salt, int(iterations))
    return (
        f"{mechanism}=[name={name},iterations={int(iterations)},"
        f'salt="{base64.b64encode(salt).decode()}",saltedpassword="{base64.b64encode(salted).decode()}"]'
    )


def kraft_split_secrets(properties, secrets_path):
    """Split broker properties into what server.properties shows and what stays secret.

    Returns ``{"public": ..., "secret": ...}``. In ``public`` every secret value
    is a ``${kafkaops:PATH:KEY}`` reference resolved by Kafka's FileConfigProvider
    from ``secrets_path``, and the provider is declared (after any provider the
    user declared). Values that already are references stay as they are.
    """
    public, secret = {}, {}
    for key, value in (properties or {}).items():
        if SECRET_KEY.search(str(key)) and not REFERENCE.match(str(value)):
            secret[key] = value
            public[key] = f"${{{PROVIDER_ALIAS}:{secrets_path}:{key}}}"
        else:
            public[key] = value
    if secret:
        declared = [alias for alias in str(public.get("config.providers", "")).split(",") if alias.strip()]
        if PROVIDER_ALIAS not in declared:
            declared.append(PROVIDER_ALIAS)
        public["config.providers"] = ",".join(alias.strip() for alias in declared)
        public[f"config.providers.{PROVIDER_ALIAS}.class"] = FILE_PROVIDER
    return {"public": public, "secret": secret}


def kraft_java_argfile(argv):
    """A java @argument file holding ``argv`` (main class first), one quoted argument per line.

    The java launcher expands ``@FILE`` in place of the main class, so what the
    file holds never shows in the process's argument list.
    """
    lines = []
    for arg in argv:
        text = str(arg)
        if "'" in text or "\n" in text or "\\" in text:
            raise AnsibleFilterError("a java argument file cannot hold a quote, newline or backslash here")
        lines.append(f"'{text}'")
    return "\n".join(lines) + "\n"


def kraft_sasl_problems(users):
    """Problems with a list of SASL users, without ever naming a password."""
    problems = []
    seen = set()
    for user in users or []:
        try:
            name, _password = _check(user)
        except AnsibleFilterError as exc:
            problems.append(str(exc))
            continue
        if name in seen:
            problems.append(f"SASL user {name} is listed twice")
        seen.add(name)
    return problems


class FilterModule:
    def filters(self):
        return {
            "kraft_scram_credential": kraft_scram_credential,
            "kraft_sasl_problems": kraft_sasl_problems,
            "kraft_split_secrets": kraft_split_secrets,
            "kraft_java_argfile": kraft_java_argfile,
        }
