"""P8 (bench/kafkaops_bench/topics.py): the generated plays, the parsing of their results and the verdict.

The runs themselves need the lab (`make bench BENCH_ARGS="--only P8"`); everything around them is checked here.
"""

from __future__ import annotations

import json
import math

import pytest
import yaml
from ansible_collections.kafkaops.kraft.plugins.modules import kafka_topic
from kafkaops_bench import __main__ as entry
from kafkaops_bench import lab, report, topics

from tests.support.playbook import run_playbook

MODULE_OPTIONS = set(yaml.safe_load(kafka_topic.DOCUMENTATION)["options"]) | {
    "bootstrap_servers",
    "security_protocol",
    "sasl_mechanism",
    "sasl_username",
    "sasl_password",
    "request_timeout_ms",
    "connect_timeout_ms",
}


def test_topic_defs():
    defs = topics.topic_defs(1000)
    assert len(defs) == 1000 and len({d["name"] for d in defs}) == 1000
    assert defs[0] == {
        "name": "p8-00000",
        "partitions": 1,
        "replication_factor": 3,
        "configs": {"retention.ms": 86400000},
    }
    assert all(d["name"].startswith(topics.PREFIX) for d in defs)


def test_old_loop_is_one_single_topic_module_run_per_topic():
    task = topics.OLD_LOOP_TASK
    assert task["loop"] == "{{ kafka_topic_topics }}"
    assert set(task["kafkaops.kraft.kafka_topic"]) <= MODULE_OPTIONS
    assert "topics" not in task["kafkaops.kraft.kafka_topic"]
    assert task["run_once"] and task["delegate_to"] == "{{ kafka_topic_admin_host }}"


@pytest.mark.parametrize("shape", ["batched", "loop"])
def test_generated_playbooks_pass_syntax_check(tmp_path, shape):
    vars_file = tmp_path / "vars.json"
    vars_file.write_text(json.dumps({"kafka_topic_topics": topics.topic_defs(3)}))
    path = tmp_path / "play.json"
    path.write_text(json.dumps(topics.playbook(shape, str(vars_file))))
    proc = run_playbook("--syntax-check", path, "-i", "inventories/lab")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_unknown_shape():
    with pytest.raises(ValueError, match="unknown shape"):
        topics.playbook("both", "x.json")


def _task(name, hosts):
    return {
        "task": {
            "name": name,
            "duration": {"start": "2025-01-01T10:00:00.000000Z", "end": "2025-01-01T10:00:03.500000Z"},
        },
        "hosts": hosts,
    }


def test_parse_run_batched_and_loop():
    batched = {
        "plays": [
            {
                "tasks": [
                    _task("Check the topic definitions", {"kafka1": {"changed": False}}),
                    _task(
                        # as ansible.posix.json names a role's task
                        f"kafkaops.kraft.kafka_topic : {topics.TOPIC_TASK}",
                        {"kafka1": {"changed": False, "summary": {"created": 0, "changed": 0, "unchanged": 1000}}},
                    ),
                    _task("Show what changed in the topics", {"kafka1": {"skipped": True}}),
                ]
            }
        ]
    }
    parsed = topics.parse_run("warning first\n" + json.dumps(batched), topics.TOPIC_TASK)
    assert parsed == {
        "task_s": 3.5,
        "changed": 0,
        "failed": 0,
        "summary": {"created": 0, "changed": 0, "unchanged": 1000},
    }
    loop = {
        "plays": [
            {
                "tasks": [
                    _task(
                        topics.OLD_TASK,
                        {"kafka1": {"changed": True, "results": [{"changed": True}, {"changed": False}]}},
                    )
                ]
            }
        ]
    }
    parsed = topics.parse_run(json.dumps(loop), topics.OLD_TASK)
    assert parsed["changed"] == 1 and parsed["summary"] == {"changed": 1, "unchanged": 1}


def _run(seconds, changed=0):
    return {"task_s": seconds, "changed": changed, "failed": 0, "summary": None, "wall_s": seconds + 4}


def test_verdict_goals_and_ratio():
    good = topics.verdict(1000, _run(41.0, 2), [_run(4.0), _run(5.0), _run(6.0)], _run(500.0))
    assert good["pass"] is True
    assert good["ratio"]["median"] == pytest.approx(0.01)
    assert good["noop_changed"] == [0, 0, 0]
    assert topics.verdict(1000, _run(61.0, 2), [_run(4.0)], None)["pass"] is False  # first apply too slow
    assert topics.verdict(1000, _run(41.0, 2), [_run(11.0)], None)["pass"] is False  # no-op too slow
    assert topics.verdict(1000, _run(41.0, 2), [_run(4.0, changed=1)], None)["pass"] is False  # not a no-op
    no_old = topics.verdict(1000, _run(41.0), [_run(4.0)], None)
    assert no_old["pass"] is True and no_old["ratio"]["n"] == 0 and math.isnan(no_old["old_s"]["median"])


def test_p8_is_selected_reported_and_skips_the_warm_up(monkeypatch, tmp_path):
    calls, written = [], {}

    def fake_p8(count, runs, old_loop, keep):
        calls.append((count, runs, old_loop, keep))
        return topics.verdict(count, _run(40.0), [_run(5.0)] * runs, _run(400.0) if old_loop else None)

    def write(kind, meta, results, table):
        written.update(results=results, table=table)
        path = tmp_path / "bench.md"
        path.write_text(table)
        return path

    monkeypatch.setattr(topics, "p8_topics", fake_p8)
    monkeypatch.setattr(lab, "ensure_up", lambda: None)
    monkeypatch.setattr(report, "write", write)
    monkeypatch.setattr(report, "header", lambda kind: {})
    monkeypatch.setattr(entry.perf, "warm_up", lambda seconds: calls.append("warm-up"))
    assert entry.main(["bench", "--only", "p8", "--runs", "1", "--p8-topics", "500", "--p8-skip-old"]) == 0
    assert calls == [(500, 1, False, False)]
    row = next(line for line in written["table"].splitlines() if line.startswith("| P8"))
    assert "first apply 40.0 s; no-op 5.0 s, changed=[0]; old per-topic loop n/a" in row and row.endswith("pass |")
    assert "| P8 | 500 topics: no-op run" in row
    assert entry.BENCHES.index("P8") < entry.BENCHES.index("P4")
