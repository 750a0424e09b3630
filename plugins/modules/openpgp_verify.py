#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: openpgp_verify
short_description: Verify a file's detached OpenPGP signature against a given keys file only
version_added: 0.1.0
description:
  - Checks that O(signature) is a valid signature over O(path) made by a key in O(keys_file), such as the
    C(KEYS) file an Apache project publishes, and optionally that the key is one of O(fingerprints).
  - gpg runs in a throwaway home directory, so the host's keyrings and trust settings play no part.
  - A key that has expired since it made the signature is accepted; a revoked key, a bad signature and a
    signature by a key not in O(keys_file) are refused.
  - Never changes anything.
requirements:
  - gpg on the host (Debian package C(gpg)).
author: kafkaops maintainers (@kafkaops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
options:
  path:
    description: The signed file.
    type: path
    required: true
  signature:
    description: The detached signature, armored (C(.asc)) or binary.
    type: path
    required: true
  keys_file:
    description: Public keys to trust, armored or binary, one or many.
    type: path
    required: true
  fingerprints:
    description:
      - Fingerprints of the keys allowed to sign, primary key or signing subkey; spaces are ignored.
      - Empty allows any key in O(keys_file).
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: posix
seealso:
  - module: ansible.builtin.get_url
"""

EXAMPLES = r"""
- name: Check Apache's signature of the Kafka archive
  kafkaops.kraft.openpgp_verify:
    path: /var/cache/kafkaops/kafka_2.13-3.9.1.tgz
    signature: /var/cache/kafkaops/kafka_2.13-3.9.1.tgz.asc
    keys_file: /var/cache/kafkaops/kafka-KEYS
"""

RETURN = r"""
fingerprint:
  description: Fingerprint of the key that made the signature.
  returned: success
  type: str
  sample: 0123456789ABCDEF0123456789ABCDEF01234567
primary_fingerprint:
  description: Fingerprint of that key's primary key (the same as O(fingerprints) when no subkey signed).
  returned: success
  type: str
  sample: 0123456789ABCDEF0123456789ABCDEF01234567
"""

import os  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.kafkaops.kraft.plugins.module_utils.openpgp import SignatureError, verify_detached  # noqa: E402


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            signature=dict(type="path", required=True),
            keys_file=dict(type="path", required=True),
            fingerprints=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    params = module.params
    missing = [params[name] for name in ("path", "signature", "keys_file") if not os.path.isfile(params[name])]
    if missing:
        module.fail_json(msg="not found: %s" % ", ".join(missing))
    gpg = module.get_bin_path("gpg")
    if not gpg:
        module.fail_json(msg="gpg is not installed on this host: install the Debian package gpg")
    try:
        result = verify_detached(
            module.run_command,
            gpg,
            params["path"],
            params["signature"],
            params["keys_file"],
            params["fingerprints"],
        )
    except SignatureError as exc:
        module.fail_json(msg="%s: %s" % (params["path"], exc))
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
