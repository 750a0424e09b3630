# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0
"""Which digest a downloaded Kafka archive must match, and why it can be trusted.

In order: the digest the user pins (``kafka_kraft_archive_checksum``), the digest
the role pins for known releases, or the digest published beside the archive.
A published digest comes from the same server as the archive, so it is accepted
only when Apache's OpenPGP signature is also checked.
"""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

_HEX_LENGTH = {"sha256": 64, "sha512": 128}


def _normalized(checksum, origin):
    algorithm, _sep, digest = str(checksum).partition(":")
    algorithm = algorithm.strip().lower()
    digest = re.sub(r"\s", "", digest).lower()
    if algorithm not in _HEX_LENGTH or not re.fullmatch(r"[0-9a-f]{%d}" % _HEX_LENGTH[algorithm], digest):
        raise AnsibleFilterError(
            "%s must be sha512:<128 hex digits> or sha256:<64 hex digits>, got %r" % (origin, str(checksum))
        )
    return "%s:%s" % (algorithm, digest)


def kraft_archive_trust(name, checksum, pinned, verify_signature):
    """``{"checksum": "algo:hex" or "", "source": user|pinned|published}`` for archive ``name``.

    ``source == "published"`` means: fetch the digest published beside the archive and
    rely on the signature check. Without a signature check that is refused.
    """
    if str(checksum or "").strip():
        return {"checksum": _normalized(checksum, "kafka_kraft_archive_checksum"), "source": "user"}
    if name in (pinned or {}):
        return {"checksum": _normalized(pinned[name], "the role's pinned digest of %s" % name), "source": "pinned"}
    if verify_signature:
        return {"checksum": "", "source": "published"}
    raise AnsibleFilterError(
        "%s has no digest pinned in the role, and kafka_kraft_archive_verify_signature is false, so nothing "
        "would vouch for the download but the server it comes from. Set kafka_kraft_archive_checksum to "
        "sha512:<digest from the release's announcement>, or keep the signature check on." % name
    )


def kraft_published_digest(text):
    """``sha512:<hex>`` from a published .sha512 file.

    Apache writes ``NAME: HEX HEX ...`` over several lines (gpg --print-md);
    ``sha512sum`` writes ``HEX  NAME``. Both are read.
    """
    text = str(text or "")
    if ":" in text.split("\n", 1)[0]:
        text = text.split(":", 1)[1]
    else:
        text = text.split()[0] if text.split() else ""
    return _normalized("sha512:" + text, "the published .sha512 file")


class FilterModule:
    def filters(self):
        return {
            "kraft_archive_trust": kraft_archive_trust,
            "kraft_published_digest": kraft_published_digest,
        }
