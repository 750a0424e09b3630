#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: directories
short_description: Ensure several directories with their owner, group and mode in one run
version_added: 0.1.0
description:
  - Creates each missing directory (and missing parents, with default permissions) and sets its owner,
    group and mode, in list order, within one module run instead of one per directory.
  - A path that exists but is not a directory is an error; nothing is replaced or removed.
  - A symbolic link to a directory is followed, as M(ansible.builtin.file) does by default; the target's owner,
    group and mode are set.
author: kafkaops maintainers (@kafkaops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
options:
  directories:
    description: Directories to ensure, parents before children.
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: Absolute path.
        type: path
        required: true
      owner:
        description: User name or id.
        type: str
        default: root
      group:
        description: Group name or id.
        type: str
        default: root
      mode:
        description: Octal mode as a string, such as C("0750").
        type: str
        default: "0755"
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
  platform:
    platforms: posix
seealso:
  - module: ansible.builtin.file
"""

EXAMPLES = r"""
- name: Kafka's configuration and data directories
  kafkaops.kraft.directories:
    directories:
      - {path: /etc/kafka}
      - {path: /var/kafka, owner: kafka, group: kafka, mode: "0750"}
"""

RETURN = r"""
changed_paths:
  description: Directories that were created or had their owner, group or mode changed.
  returned: always
  type: list
  elements: str
  sample: [/var/kafka]
"""

import os  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.kafkaops.kraft.plugins.module_utils.directories import ensure_directories  # noqa: E402


def main():
    module = AnsibleModule(
        argument_spec=dict(
            directories=dict(
                type="list",
                elements="dict",
                required=True,
                options=dict(
                    path=dict(type="path", required=True),
                    owner=dict(type="str", default="root"),
                    group=dict(type="str", default="root"),
                    mode=dict(type="str", default="0755"),
                ),
            ),
        ),
        supports_check_mode=True,
    )
    relative = [d["path"] for d in module.params["directories"] if not os.path.isabs(d["path"])]
    if relative:
        module.fail_json(msg="directories need absolute paths: %s" % ", ".join(relative))
    changed_paths, diffs = ensure_directories(module, module.params["directories"])
    module.exit_json(changed=bool(changed_paths), changed_paths=changed_paths, diff=diffs)


if __name__ == "__main__":
    main()
