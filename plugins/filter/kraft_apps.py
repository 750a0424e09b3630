# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0
"""Filters for the FastAPI apps' settings file (roles/fastapi_app/templates/app.env.j2).

kraft_dotenv_value: one value as python-dotenv reads it back unchanged. The apps read
`.env` with dotenv_values(..., interpolate=False); inside double quotes python-dotenv
decodes exactly \\\\ \\' \\" \\a \\b \\f \\n \\r \\t \\v and keeps every other character as it
stands, so escaping the backslash, the double quote and the line-breaking controls is
enough for any text: `$`, `#`, single quotes and non-ASCII characters stay literal.

_token_hash: the apps' API token hash (kafkaops_apps.auth.hash_token, same format),
computed on the controller so the clear token never reaches the host.
"""

from __future__ import annotations

import base64
import hashlib

from ansible.errors import AnsibleFilterError

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v", "\f": "\\f"}
SCHEME = "pbkdf2_sha256"
DEFAULT_ITERATIONS = 600_000
MIN_TOKEN_CHARS = 16


def kraft_dotenv_value(value):
    """A double-quoted .env value; booleans as true/false, None as empty."""
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "true" if value else "false"
    else:
        text = str(value)
    return '"' + "".join(_ESCAPES.get(char, char) for char in text) + '"'


def _b64(data):
    return base64.b64encode(data).decode().rstrip("=")


def _token_hash(token, salt_seed, iterations=DEFAULT_ITERATIONS):
    """pbkdf2_sha256$<iterations>$<salt>$<hash> of an API token.

    The salt comes from `salt_seed` (host, app and position), not from a random source, so
    the same token renders the same .env line on every run and the play stays idempotent;
    it still differs between hosts, apps and tokens, so no two hash strings can be attacked
    together. It never depends on the token: a salt is stored in the clear.
    """
    token = "" if token is None else str(token)
    if len(token) < MIN_TOKEN_CHARS or token != token.strip() or "," in token:
        # Never echo the token.
        raise AnsibleFilterError(
            f"an API token is shorter than {MIN_TOKEN_CHARS} characters, has surrounding blanks or a comma"
        )
    if not str(salt_seed):
        raise AnsibleFilterError("_token_hash needs a salt_seed")
    salt = hashlib.sha256(f"kafkaops-token-salt|{salt_seed}".encode()).digest()[:16]
    digest = hashlib.pbkdf2_hmac("sha256", token.encode(), salt, int(iterations))
    return f"{SCHEME}${int(iterations)}${_b64(salt)}${_b64(digest)}"


def kraft_instance_ports(base_port, instances):
    """The ports of an app's instances: consecutive from ``base_port`` (the consumer's rule, one place)."""
    try:
        base, count = int(base_port), int(instances)
    except (TypeError, ValueError):
        raise AnsibleFilterError(
            f"an app's base port and instance count must be integers, got {base_port!r} and {instances!r}"
        ) from None
    if count < 1 or not 1 <= base <= 65535 or base + count - 1 > 65535:
        raise AnsibleFilterError(f"{count} instances from port {base} do not fit in 1-65535 (at least 1 instance)")
    return list(range(base, base + count))


def kraft_token_hashes(tokens, salt_seed, iterations=DEFAULT_ITERATIONS):
    """_token_hash of each token, each with its own salt (seed and position)."""
    return [_token_hash(token, f"{salt_seed}|{index}", iterations) for index, token in enumerate(tokens or [])]


class FilterModule:
    def filters(self):
        return {
            "kraft_dotenv_value": kraft_dotenv_value,
            "kraft_instance_ports": kraft_instance_ports,
            "kraft_token_hashes": kraft_token_hashes,
        }
