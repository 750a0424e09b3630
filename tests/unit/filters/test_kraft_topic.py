"""kraft_topic_problems (plugins/filter/kraft_topic.py): the kafka_topic role's one-task preflight."""

import importlib.util
import json
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError

from tests.support.playbook import run_playbook

ROOT = Path(__file__).resolve().parents[3]
_spec = importlib.util.spec_from_file_location("kraft_topic", ROOT / "plugins" / "filter" / "kraft_topic.py")
kraft_topic = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(kraft_topic)
problems = kraft_topic.kraft_topic_problems


def test_sound_topics_have_no_problems():
    topics = [
        {"name": "test-topic", "partitions": 6, "replication_factor": 3, "configs": {"retention.ms": 1}},
        {"name": "placed", "replica_assignment": [[1, 2], [2, 3]]},
        {"name": "old", "state": "absent", "replication_factor": 9},  # absent ignores the rest
    ]
    assert problems(topics, 3) == []


def test_every_problem_names_its_topic():
    topics = [
        {"name": "big", "replication_factor": 4},
        {"name": "placed", "replica_assignment": [[1, 2, 3, 4]]},
        {"name": "uneven", "replica_assignment": [[1], [1, 2]]},
        {"name": "big"},
        {"name": "bad name"},
        {"name": "zero", "partitions": "0"},
    ]
    assert problems(topics, "3") == [
        "topic uneven: replica_assignment is uneven: every partition needs the same number of replicas, "
        "got lengths 1, 2",
        "topic big is listed more than once",
        "topic name 'bad name' is invalid: use 1-249 of [a-zA-Z0-9._-], not '.' or '..'",
        "topic zero: partitions must be at least 1, got 0",
        "topic big: replication factor 4 exceeds the 3 broker(s) of group kafka_brokers",
        "topic placed: replication factor 4 exceeds the 3 broker(s) of group kafka_brokers",
    ]


def test_bad_input_is_an_error():
    with pytest.raises(AnsibleFilterError, match="broker_count must be an integer"):
        problems([], "three")
    with pytest.raises(AnsibleFilterError, match="expects a list of topic dicts"):
        problems({"name": "x"}, 3)
    with pytest.raises(AnsibleFilterError, match="topic x: partitions must be an integer"):
        problems([{"name": "x", "partitions": "many"}], 3)


def test_a_thousand_topics_in_one_task(tmp_path):
    """The role's preflight shape over 1,000 topics, through ansible-playbook: one task, no loop."""
    topics = [{"name": f"t{i:04d}", "partitions": 3, "replication_factor": 3} for i in range(1000)]
    play = [
        {
            "hosts": "localhost",
            "gather_facts": False,
            "vars": {"kafka_topic_topics": topics},
            "tasks": [
                {
                    "name": "check",
                    "ansible.builtin.assert": {
                        "that": "kafka_topic_topics | kafkaops.kraft.kraft_topic_problems(3) | length == 0",
                        "quiet": True,
                    },
                }
            ],
        }
    ]
    path = tmp_path / "play.json"
    path.write_text(json.dumps(play))
    result = run_playbook("-i", "localhost,", "-c", "local", path, timeout=120)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
