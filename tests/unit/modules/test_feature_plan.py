"""Pure finalization logic of kafkaops.kraft.kafka_feature (no Kafka)."""

from __future__ import annotations

import pytest
from ansible_collections.kafkaops.kraft.plugins.module_utils.features import (
    change_lines,
    diff_text,
    downgrade_problem,
    level_label,
    metadata_level,
    parse_api_versions,
    parse_version_mapping,
    plan_features,
    release_metadata_level,
)

# What `kafka-features.sh version-mapping` of Kafka 4.4.0 prints, with a log line around it.
MAPPING_440 = """\
[2025-01-01 00:00:00,000] WARN some tool log line (org.apache.kafka.Foo)
metadata.version=33 (4.4-IV2)
kraft.version=1
transaction.version=2
group.version=1
eligible.leader.replicas.version=1
share.version=2
streams.version=1
"""
# Supported ranges as each release's brokers report them in ApiVersions.
NODE_391 = {"metadata.version": (1, 21), "kraft.version": (0, 1)}
NODE_440 = {
    "metadata.version": (7, 33),
    "kraft.version": (0, 1),
    "transaction.version": (0, 2),
    "group.version": (0, 1),
    "eligible.leader.replicas.version": (0, 1),
    "share.version": (0, 2),
    "streams.version": (0, 1),
}
FINALIZED_391 = {"metadata.version": 21}


def test_version_mapping_is_parsed_and_log_lines_skipped():
    assert parse_version_mapping(MAPPING_440) == {
        "metadata.version": 33,
        "kraft.version": 1,
        "transaction.version": 2,
        "group.version": 1,
        "eligible.leader.replicas.version": 1,
        "share.version": 2,
        "streams.version": 1,
    }


def test_version_mapping_without_metadata_version_is_an_error():
    with pytest.raises(ValueError, match=r"no metadata\.version"):
        parse_version_mapping("usage: kafka-features ... invalid choice: 'version-mapping'")


def test_api_versions_answer_is_parsed():
    answer = {
        "supported_features": [
            {"name": "kraft.version", "min_version": 0, "max_version": 1},
            {"name": "metadata.version", "min_version": 1, "max_version": 21},
        ],
        "finalized_features": [{"name": "metadata.version", "max_version_level": 21, "min_version_level": 21}],
    }
    assert parse_api_versions(answer) == {
        "supported": {"kraft.version": (0, 1), "metadata.version": (1, 21)},
        "finalized": {"metadata.version": 21},
    }
    assert parse_api_versions({}) == {"supported": {}, "finalized": {}}


@pytest.mark.parametrize(
    ("value", "level"),
    [("33", 33), ("4.4-IV2", 33), ("4.4", 33), ("4.4.0", 33), ("3.9", 21), ("3.9.1", 21), ("4.0", 25)],
)
def test_metadata_level_accepts_levels_names_and_releases(value, level):
    assert metadata_level(value) == level


@pytest.mark.parametrize("value", ["4.9-IV0", "9.9", "banana"])
def test_unknown_metadata_versions_ask_for_a_number(value):
    with pytest.raises(ValueError):
        metadata_level(value)


def test_release_newer_than_the_table_runs_every_known_level():
    assert release_metadata_level("4.5.0") is None
    assert release_metadata_level("3.9.1") == 21


def test_labels_name_metadata_levels():
    assert level_label("metadata.version", 21) == "21 (3.9-IV0)"
    assert level_label("metadata.version", 99) == "99"
    assert level_label("group.version", 1) == "1"


def test_finalize_to_440_raises_features_one_by_one_metadata_first_and_keeps_kraft_version():
    plan = plan_features(FINALIZED_391, {"1": NODE_440, "2": NODE_440}, parse_version_mapping(MAPPING_440))
    assert plan["problems"] == []
    assert plan["steps"][0][0] == "metadata.version"
    assert "kraft.version" not in [s[0] for s in plan["steps"]]
    assert plan["after"].get("kraft.version", 0) == 0
    assert plan["after"]["metadata.version"] == 33
    assert plan["after"]["share.version"] == 2
    assert any("kraft.version stays 0" in k and "KAFKA-21426" in k for k in plan["kept"])
    assert change_lines(plan)[0] == "~ metadata.version 21 (3.9-IV0) -> 33 (4.4-IV2)"
    assert "cannot be lowered" in diff_text(plan)


def test_kraft_version_only_through_its_own_option():
    plan = plan_features({"metadata.version": 33}, {"1": NODE_440}, {"kraft.version": 1}, kraft_version=1)
    assert plan["steps"] == [("kraft.version", 0, 1)]
    assert plan["kept"] == []


def test_a_node_still_on_391_refuses_everything():
    plan = plan_features(FINALIZED_391, {"1": NODE_440, "2": NODE_391}, parse_version_mapping(MAPPING_440))
    assert plan["problems"]
    assert all("node 2" in p for p in plan["problems"])
    assert any("metadata.version 1 to 21 (3.9-IV0), not 33 (4.4-IV2)" in p for p in plan["problems"])
    # A feature a node does not list at all is supported only at level 0.
    assert any("node 2 supports group.version 0 to 0, not 1" in p for p in plan["problems"])


def test_a_missing_broker_refuses():
    plan = plan_features(FINALIZED_391, {"1": NODE_440}, {"metadata.version": 33}, expected_brokers=[1, 2])
    assert plan["problems"] == [
        "node(s) 2 did not answer: every node must run the new release and be up before finalizing"
    ]


def test_no_node_at_all_refuses():
    assert plan_features(FINALIZED_391, {}, {"metadata.version": 33})["problems"]


def test_second_run_has_nothing_to_do():
    first = plan_features(FINALIZED_391, {"1": NODE_440}, parse_version_mapping(MAPPING_440))
    again = plan_features(first["after"], {"1": NODE_440}, parse_version_mapping(MAPPING_440))
    assert again["steps"] == [] and again["problems"] == []
    assert change_lines(again) == []
    assert diff_text(again).startswith("(no feature level changes)")


def test_levels_are_never_lowered():
    plan = plan_features({"metadata.version": 33, "group.version": 1}, {"1": NODE_440}, {"metadata.version": 21})
    assert plan["steps"] == []
    assert plan["kept"] == [
        "metadata.version stays 33 (4.4-IV2), above the target 21 (3.9-IV0) (finalized levels are never lowered here)"
    ]


def test_downgrade_after_finalize_is_refused():
    problem = downgrade_problem({"metadata.version": 33}, "3.9.1")
    assert problem is not None
    assert "33 (4.4-IV2)" in problem and "21 (3.9-IV0)" in problem and "cannot be lowered" in problem
    assert "4.4 or later" in problem


def test_rollback_before_finalize_is_allowed():
    assert downgrade_problem({"metadata.version": 21}, "3.9.1") is None
    assert downgrade_problem({"metadata.version": 33}, "4.4.0") is None
    assert downgrade_problem({"metadata.version": 33}, "4.5.0") is None
