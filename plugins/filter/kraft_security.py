"""Security helpers for the kafka_kraft role: SASL users and SCRAM credentials.

Passwords never reach a process argument list: SCRAM users added at format
time are passed to ``kafka-storage format --add-scram`` as salt and salted
password, and PLAIN users live only in the listener's JAAS configuration.
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


def _check(user):
    name, password = user.get("name", ""), user.get("password", "")
    if not SAFE_NAME.match(str(name)):
        raise AnsibleFilterError(f"SASL user name {name!r} must be 1+ of [A-Za-z0-9._@-]")
    if not SAFE_SECRET.match(str(password)):
        # Never echo the password itself.
        raise AnsibleFilterError(f"SASL password of {name!r} is empty or has a quote, backslash or newline")
    return str(name), str(password)


def kraft_plain_user(user):
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


def kraft_sasl_problems(users):
    """Problems with a list of SASL users, without ever naming a password."""
    problems = []
    seen = set()
    for user in users or []:
        try:
            name, _ = _check(user)
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
            "kraft_plain_user": kraft_plain_user,
            "kraft_scram_credential": kraft_scram_credential,
            "kraft_sasl_problems": kraft_sasl_problems,
        }
