# -*- coding: utf-8 -*-
# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0
"""Check a detached OpenPGP signature with gpg against a given set of keys only.

gpg runs in a throwaway home directory, so neither the host's keyrings nor its
trust settings take part: a signature is good only when it verifies with a key
from the keys file handed in (Apache projects publish theirs as KEYS).
gpg's machine-readable status lines (--status-fd) decide, never its prose.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import shutil
import tempfile

# Status keywords that mean the signature must not be trusted, with the reason shown.
_REFUSALS = {
    "BADSIG": "the signature does not match the file (the file or the signature was altered)",
    "REVKEYSIG": "the signing key has been revoked",
    "ERRSIG": "the signature could not be checked (its key is not in the keys file, or the algorithm is unknown)",
    "NO_PUBKEY": "the signing key is not in the keys file",
}


class SignatureError(Exception):
    """The signature does not prove the file came from a trusted key."""


def parse_status(status_text):
    """Read gpg --status-fd output: the signing key and its primary key, or SignatureError.

    VALIDSIG carries the signing (sub)key's fingerprint first and the primary key's
    fingerprint last. A key that has expired since it signed (EXPKEYSIG) still
    proves the origin, as a release manager's old key does for old releases.
    """
    fields_by_keyword = {}
    for line in status_text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] == "[GNUPG:]":
            fields_by_keyword.setdefault(parts[1], parts[2:])
    for keyword, reason in _REFUSALS.items():
        if keyword in fields_by_keyword:
            raise SignatureError(reason)
    valid = fields_by_keyword.get("VALIDSIG")
    good = "GOODSIG" in fields_by_keyword or "EXPKEYSIG" in fields_by_keyword
    if not valid or not good:
        raise SignatureError("gpg reported no valid signature")
    return {"fingerprint": valid[0].upper(), "primary_fingerprint": valid[-1].upper()}


def normalize_fingerprint(value):
    return "".join(str(value).split()).upper()


def check_allowed(result, allowed):
    """Refuse a signature whose key is not in ``allowed`` (fingerprints; empty allows any key of the file)."""
    wanted = {normalize_fingerprint(item) for item in allowed or []}
    if wanted and not wanted & {result["fingerprint"], result["primary_fingerprint"]}:
        raise SignatureError(
            "the file is signed by key %s, which is not among the allowed signing keys" % result["primary_fingerprint"]
        )
    return result


def verify_detached(run_command, gpg, path, signature, keys_file, allowed=None):
    """Verify ``signature`` over ``path`` with only the keys in ``keys_file``.

    ``run_command(argv) -> (rc, stdout, stderr)`` runs a program (AnsibleModule.run_command).
    """
    home = tempfile.mkdtemp(prefix="kafkaops-gpg-")
    try:
        base = [gpg, "--batch", "--no-tty", "--homedir", home]
        rc, _out, err = run_command([*base, "--quiet", "--import", keys_file])
        if rc != 0:
            raise SignatureError("gpg could not read the keys file %s: %s" % (keys_file, err.strip()))
        _rc, out, _err = run_command([*base, "--status-fd", "1", "--verify", signature, path])
        # gpg's exit code alone does not tell a bad signature from a missing key; the status lines do.
        return check_allowed(parse_status(out), allowed)
    finally:
        # gpg-agent may have left a socket; the directory is ours alone.
        shutil.rmtree(home, ignore_errors=True)
