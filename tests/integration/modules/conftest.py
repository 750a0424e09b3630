"""Run the collection's real modules through ansible-playbook and parse the JSON result."""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

import pytest

from tests.support.playbook import run_playbook, venv_path

VENV_PYTHON = Path(sys.executable)


class ModuleRun:
    """Result of one task: .result is the module's return dict, .rc the playbook's exit code."""

    def __init__(self, result: dict, rc: int, stderr: str):
        self.result = result
        self.rc = rc
        self.stderr = stderr

    @property
    def failed(self) -> bool:
        return bool(self.result.get("failed"))

    def __getitem__(self, key):
        return self.result[key]


def _run_module(tmp_path: Path, module: str, args: dict, check=False, diff=False, python=None) -> ModuleRun:
    play = [
        {
            "hosts": "localhost",
            "gather_facts": False,
            "tasks": [{"name": "under test", module: args}],
        }
    ]
    playbook = tmp_path / f"play-{uuid.uuid4().hex[:8]}.json"
    playbook.write_text(json.dumps(play))
    proc = run_playbook(
        "-i",
        "localhost,",
        "-c",
        "local",
        "-e",
        f"ansible_python_interpreter={python or VENV_PYTHON}",
        playbook,
        *(["--check"] if check else []),
        *(["--diff"] if diff else []),
        env={
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
            "PATH": venv_path(),
        },
        json_output=True,
        timeout=180,
    )
    try:
        output = json.loads(proc.stdout)
        result = output["plays"][0]["tasks"][0]["hosts"]["localhost"]
    except (ValueError, KeyError, IndexError) as exc:
        raise AssertionError(f"no JSON task result (rc={proc.returncode}): {proc.stdout}\n{proc.stderr}") from exc
    return ModuleRun(result, proc.returncode, proc.stderr)


@pytest.fixture
def ansible_module(tmp_path, kafka_broker):
    """Call as ansible_module("kafkaops.kraft.kafka_topic", {...}); bootstrap_servers is filled in."""

    def call(module, args, **kwargs):
        args = dict(args)
        args.setdefault("bootstrap_servers", [kafka_broker.bootstrap])
        return _run_module(tmp_path, module, args, **kwargs)

    return call


@pytest.fixture
def run_module(tmp_path):
    """The runner without a broker, for connection-failure tests."""
    return lambda module, args, **kwargs: _run_module(tmp_path, module, args, **kwargs)


@pytest.fixture
def topic_name():
    return f"it-{uuid.uuid4().hex[:10]}"
