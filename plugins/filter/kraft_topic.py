# Copyright: kafkaops maintainers
# SPDX-License-Identifier: Apache-2.0
"""The kafka_topic role's preflight over every topic in one task.

A loop of one assert per topic cost about 6 ms per topic on the controller,
seconds for a thousand; this filter checks the whole list with the module's
own option rules (module_utils/topic.py) plus the inventory's broker count.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.kafkaops.kraft.plugins.module_utils.topic import (
    INHERITED_KEYS,
    TOPIC_KEYS,
    validate_requests,
)

DEFAULTS = {"state": "present", "configs_exclusive": False, "allow_reassignment": False}


def kraft_topic_problems(topics, broker_count):
    """Problems of kafka_topic_topics entries, each naming its topic; empty when all are sound."""
    try:
        brokers = int(broker_count)
    except (TypeError, ValueError):
        raise AnsibleFilterError(f"broker_count must be an integer, got {broker_count!r}") from None
    if not isinstance(topics, list) or not all(isinstance(t, dict) for t in topics):
        raise AnsibleFilterError("kraft_topic_problems expects a list of topic dicts")
    requests = []
    for topic in topics:
        request = dict((key, topic.get(key)) for key in TOPIC_KEYS)
        request["name"] = str(request["name"] or "")
        for key in INHERITED_KEYS:
            if request[key] is None:
                request[key] = DEFAULTS[key]
        for key in ("partitions", "replication_factor"):
            if request[key] is not None:
                try:
                    request[key] = int(request[key])
                except (TypeError, ValueError):
                    raise AnsibleFilterError(
                        f"topic {request['name']}: {key} must be an integer, got {request[key]!r}"
                    ) from None
        requests.append(request)
    problems = validate_requests(requests)
    for request in requests:
        if request["state"] == "absent":
            continue
        assignment = request["replica_assignment"] or [[]]
        rf = request["replication_factor"] or len(assignment[0])
        if rf > brokers:
            name = request["name"]
            problems.append(
                f"topic {name}: replication factor {rf} exceeds the {brokers} broker(s) of group kafka_brokers"
            )
    return problems


class FilterModule:
    def filters(self):
        return {"kraft_topic_problems": kraft_topic_problems}
