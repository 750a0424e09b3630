# -*- coding: utf-8 -*-
# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0
"""Ensure many directories in one module run: a loop of ansible.builtin.file costs one
round trip per directory, which made up a tenth of a no-op site.yml run."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os


def ensure_directories(module, specs):
    """Create missing directories and fix owner, group and mode; returns (changed paths, diffs).

    Honours check mode through AnsibleModule's set_*_if_different helpers.
    """
    changed_paths, diffs = [], []
    for spec in specs:
        path = spec["path"]
        if os.path.lexists(path) and not os.path.isdir(path):
            module.fail_json(msg="%s exists and is not a directory; refusing to replace it" % path)
        diff = {"before": {"path": path}, "after": {"path": path}}
        missing = not os.path.exists(path)
        if missing:
            diff["before"]["state"], diff["after"]["state"] = "absent", "directory"
            if module.check_mode:
                changed_paths.append(path)
                diffs.append(diff)
                continue
            os.makedirs(path)
        # Like ansible.builtin.file's default follow=true: a link to a directory (say, a data
        # disk mounted elsewhere) gets the target's owner and mode changed, not the link's.
        target = os.path.realpath(path)
        changed = module.set_owner_if_different(target, spec["owner"], missing, diff)
        changed = module.set_group_if_different(target, spec["group"], changed, diff)
        changed = module.set_mode_if_different(target, spec["mode"], changed, diff)
        if changed:
            changed_paths.append(path)
            diffs.append(diff)
    return changed_paths, diffs
