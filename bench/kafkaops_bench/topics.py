"""P8: 1,000 topics through the kafka_topic role on the lab, batched, against the old per-topic loop.

The batched shape is the role's own tasks/topics.yml (one kafka_topic call with every topic); the old
shape is the loop the role had before, one module run per topic, run once as the baseline. Both run as
ansible-playbook against inventories/lab with the ansible.posix.json callback, which gives each task's
duration and result; the figures are the topic task's own durations, the whole playbook's wall time
beside them.
"""

from __future__ import annotations

import json
import math
import subprocess
import tempfile
import time
from datetime import datetime
from pathlib import Path

from . import lab
from .stats import summary

PREFIX = "p8-"
FIRST_GOAL_S = 60.0
NOOP_GOAL_S = 10.0
TOPIC_TASK = "Apply the topic definitions"
OLD_TASK = "Apply the topic definitions, one module run per topic"

# The role's topic task before batching: one kafka_topic run per topic.
OLD_LOOP_TASK = {
    "name": OLD_TASK,
    "kafkaops.kraft.kafka_topic": {
        "name": "{{ item.name }}",
        "state": "{{ item.state | default('present') }}",
        "partitions": "{{ item.partitions | default(omit) }}",
        "replication_factor": "{{ item.replication_factor | default(omit) }}",
        "configs": "{{ item.configs | default(omit) }}",
        "bootstrap_servers": "{{ kafka_topic_bootstrap_servers }}",
        "security_protocol": "{{ kafka_topic_security_protocol }}",
        "sasl_mechanism": "{{ kafka_topic_sasl_mechanism | default(omit, true) }}",
        "sasl_username": "{{ kafka_topic_sasl_username | default(omit, true) }}",
        "sasl_password": "{{ kafka_topic_sasl_password | default(omit, true) }}",
        "request_timeout_ms": "{{ kafka_topic_request_timeout_ms }}",
        "connect_timeout_ms": "{{ kafka_topic_connect_timeout_ms }}",
    },
    "loop": "{{ kafka_topic_topics }}",
    "loop_control": {"label": "{{ item.name }}"},
    "run_once": True,
    "delegate_to": "{{ kafka_topic_admin_host }}",
    "vars": {"ansible_python_interpreter": "{{ kafka_topic_admin_venv }}/bin/python"},
}


def topic_defs(count: int, partitions: int = 1, replication_factor: int = 3) -> list[dict]:
    """`count` topic definitions as kafka_topic_topics takes them, each with a config override."""
    return [
        {
            "name": f"{PREFIX}{i:05d}",
            "partitions": partitions,
            "replication_factor": replication_factor,
            "configs": {"retention.ms": 86_400_000 + i},
        }
        for i in range(count)
    ]


def playbook(shape: str, vars_file: str) -> list[dict]:
    """The play for `shape` ("batched" or "loop"): the topic task alone, against group kafka_brokers."""
    play = {
        "name": f"P8 topics, {shape}",
        "hosts": "kafka_brokers",
        "become": True,
        "gather_facts": False,
        "vars_files": [vars_file],
    }
    if shape == "batched":
        play["tasks"] = [
            {
                "name": "Batched topic task",
                "ansible.builtin.include_role": {"name": "kafkaops.kraft.kafka_topic", "tasks_from": "topics.yml"},
            }
        ]
    elif shape == "loop":
        # The role's defaults (connection settings, admin host and venv) without its topic task.
        play["tasks"] = [
            {
                "name": "Role defaults",
                "ansible.builtin.include_role": {
                    "name": "kafkaops.kraft.kafka_topic",
                    "tasks_from": "preflight.yml",
                    "public": True,
                },
            },
            OLD_LOOP_TASK,
        ]
    else:
        raise ValueError(f"unknown shape {shape!r}")
    return [play]


def _seconds(duration: dict) -> float:
    def stamp(value: str) -> datetime:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))

    return (stamp(duration["end"]) - stamp(duration["start"])).total_seconds()


def parse_run(output: str, task_name: str) -> dict:
    """From ansible.posix.json output: the named task's seconds and results, and the play's changed count."""
    report = json.loads(output[output.index("{") :])
    task_s, changed, failed, results = math.nan, 0, 0, None
    for play in report["plays"]:
        for task in play["tasks"]:
            hosts = task["hosts"]
            changed += sum(1 for r in hosts.values() if r.get("changed"))
            failed += sum(1 for r in hosts.values() if r.get("failed"))
            # A role's task is reported as "<role> : <name>".
            if task["task"]["name"].rsplit(" : ", 1)[-1] == task_name:
                task_s = _seconds(task["task"]["duration"])
                ran = [r for r in hosts.values() if not r.get("skipped")]
                results = ran[0] if ran else None
    summary_counts = (results or {}).get("summary")
    if results is not None and "results" in results:  # a loop: one result per topic
        items = results["results"]
        summary_counts = {
            "changed": sum(1 for r in items if r.get("changed")),
            "unchanged": sum(1 for r in items if not r.get("changed")),
        }
    return {"task_s": task_s, "changed": changed, "failed": failed, "summary": summary_counts}


def run_shape(shape: str, topics: list[dict], workdir: Path) -> dict:
    """One ansible-playbook run of `shape` over `topics`; returns its figures."""
    vars_file = workdir / "p8-topics.json"
    vars_file.write_text(json.dumps({"kafka_topic_topics": topics}))
    path = workdir / f"p8-{shape}.json"
    path.write_text(json.dumps(playbook(shape, str(vars_file))))
    env = lab.env()
    env["ANSIBLE_STDOUT_CALLBACK"] = "ansible.posix.json"
    started = time.monotonic()
    proc = subprocess.run(
        ["ansible-playbook", str(path), "-i", "inventories/lab"],
        cwd=lab.REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.monotonic() - started
    if proc.returncode:
        raise RuntimeError(f"P8 {shape} run failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-2000:]}")
    figures = parse_run(proc.stdout, TOPIC_TASK if shape == "batched" else OLD_TASK)
    figures["wall_s"] = round(wall, 1)
    return figures


def delete_topics() -> None:
    """Remove every P8 topic (kafka-topics --delete takes a regular expression) and wait until they are gone."""
    lab.kafka_tool("kafka-topics.sh", f"--bootstrap-server {lab.BOOTSTRAP} --delete --if-exists --topic '{PREFIX}.*'")

    def gone() -> bool:
        out = lab.kafka_tool("kafka-topics.sh", f"--bootstrap-server {lab.BOOTSTRAP} --list")
        return not any(line.startswith(PREFIX) for line in out.splitlines())

    lab.wait_until(gone, 300, 3, "P8 topics deleted")


def verdict(count: int, first: dict, noops: list[dict], old: dict | None) -> dict:
    """P8's row from the runs' figures: goals on the batched task, the ratio to the old loop when it ran."""
    noop_s = summary([r["task_s"] for r in noops])
    old_s = old["task_s"] if old else math.nan
    ratio = noop_s["median"] / old_s if old and old_s else math.nan
    noop_changed = [r["changed"] for r in noops]
    return {
        "id": "P8",
        "measure": f"{count:,} topics: no-op run of the batched topic task ÷ the old per-topic loop",
        "goal": f"first <= {FIRST_GOAL_S:.0f} s, no-op <= {NOOP_GOAL_S:.0f} s with changed=0",
        "ratio": summary([ratio]) if old else summary([]),
        "pass": first["task_s"] <= FIRST_GOAL_S
        and bool(noops)
        and noop_s["median"] <= NOOP_GOAL_S
        and not any(noop_changed),
        "first_s": summary([first["task_s"]]),
        "noop_s": noop_s,
        "noop_changed": noop_changed,
        "old_s": summary([old_s]) if old else summary([]),
        "topics": count,
        "raw": {"first": first, "noop": noops, "old": old},
    }


def p8_topics(count: int, runs: int, old_loop: bool = True, keep: bool = False) -> dict:
    """First apply, `runs` no-op re-runs, then (once) the old loop over the same, now existing, topics."""
    topics = topic_defs(count)
    delete_topics()
    try:
        with tempfile.TemporaryDirectory(prefix="kafkaops-p8-") as tmp:
            workdir = Path(tmp)
            first = run_shape("batched", topics, workdir)
            noops = [run_shape("batched", topics, workdir) for _run in range(runs)]
            # The old shape's no-op: every topic already exists, so it measures what a re-run cost.
            old = run_shape("loop", topics, workdir) if old_loop else None
    finally:
        if not keep:
            delete_topics()
    return verdict(count, first, noops, old)
