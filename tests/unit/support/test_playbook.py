"""recap_counts and json_report read what ansible-playbook prints."""

import subprocess

from tests.support.playbook import json_report, recap_counts

# The default callback pads each recap line with spaces.
STDOUT = (
    "TASK [Show] ******\n"
    "ok: [k1] =>\n"
    "  msg: 'k9 : ok=1 changed=1 is not a recap line'\n"
    "\n"
    "PLAY RECAP ******\n"
    "k1                    : ok=5    changed=0    unreachable=0    failed=0    skipped=3    rescued=0    ignored=0   \n"
    "k9.example            : ok=1    changed=2    unreachable=0    failed=1    skipped=0    rescued=0    ignored=1   \n"
    "\n"
)


def test_recap_counts_reads_every_host_of_the_recap_only():
    assert recap_counts(STDOUT) == {
        "k1": {"ok": 5, "changed": 0, "unreachable": 0, "failed": 0, "skipped": 3, "rescued": 0, "ignored": 0},
        "k9.example": {"ok": 1, "changed": 2, "unreachable": 0, "failed": 1, "skipped": 0, "rescued": 0, "ignored": 1},
    }


def test_recap_counts_without_a_recap_is_empty():
    assert recap_counts("ERROR! the playbook could not be parsed\n") == {}


def test_json_report_skips_warnings_printed_before_it():
    result = subprocess.CompletedProcess([], 0, stdout='[WARNING]: x\n{"plays": [], "stats": {}}\n', stderr="")
    assert json_report(result) == {"plays": [], "stats": {}}
