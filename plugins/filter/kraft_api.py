"""Per-node API answers for the health report (roles/kafka_kraft/tasks/api_check.yml)."""

from __future__ import annotations


def kraft_api_check(loop_result, host):
    """One row per node from the registered loop of API calls: id, host, ok and a one-line summary.

    A result without ``rc`` (the call did not run) counts as down.
    """
    rows = []
    for result in (loop_result or {}).get("results") or []:
        rc = result.get("rc")
        ok = rc == 0
        rows.append(
            {
                "id": result["item"]["id"],
                "host": host,
                "ok": ok,
                "summary": f"node {result['item']['id']} " + ("ok" if ok else f"DOWN (rc {'?' if rc is None else rc})"),
            }
        )
    return rows


class FilterModule:
    def filters(self):
        return {"kraft_api_check": kraft_api_check}
