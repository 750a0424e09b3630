# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0
"""The inventory side of a decommission: which nodes and hosts retire and stay.

The decision lives in module_utils/decommission.py (retirement()); this filter
only turns its errors into filter errors.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.kafkaops.kraft.plugins.module_utils.decommission import retirement
from ansible_collections.kafkaops.kraft.plugins.module_utils.kafka_client import KafkaModuleError


def kraft_decommission(nodes, node_ids):
    try:
        return retirement(nodes, node_ids)
    except KafkaModuleError as exc:
        raise AnsibleFilterError(exc.msg) from None


class FilterModule:
    def filters(self):
        return {"kraft_decommission": kraft_decommission}
