"""The role README generator: markup, defaults, rows, entry points and splicing between the markers."""

from __future__ import annotations

import pytest
import role_readmes as rr
import yaml


@pytest.mark.parametrize(
    ("markup", "markdown"),
    [
        ("C(/etc/kafka) and O(kafka_kraft_node_id)", "`/etc/kafka` and `kafka_kraft_node_id`"),
        ("V(present) or M(kafkaops.kraft.kafka_topic)", "`present` or `kafkaops.kraft.kafka_topic`"),
        ("see the P(kafkaops.kraft.python_venv#role) role", "see the `kafkaops.kraft.python_venv` role"),
        (
            "as the O(kafkaops.kraft.kafka_user#module:users) option",
            "as the `users` of `kafkaops.kraft.kafka_user` option",
        ),
        ("I(never) B(always)", "*never* **always**"),
        (
            "L(KIP-853, https://example.invalid/kip) or U(https://example.invalid)",
            "[KIP-853](https://example.invalid/kip) or <https://example.invalid>",
        ),
        ("two\n   lines", "two lines"),
        ("CO(x) is not markup", "CO(x) is not markup"),
    ],
)
def test_convert_markup(markup, markdown):
    assert rr.convert_markup(markup) == markdown


@pytest.mark.parametrize(
    ("value", "rendered"),
    [
        (None, ""),
        (True, "`true`"),
        ("", '`""`'),
        ("/opt/kafka", "`/opt/kafka`"),
        (3, "`3`"),
        ([], "`[]`"),
        ({"a": 1}, '`{"a": 1}`'),
        ("size of group C(kafka_brokers)", "size of group `kafka_brokers`"),
    ],
)
def test_render_default(value, rendered):
    assert rr.render_default(value) == rendered


def test_rows_keep_spec_order_and_nest_suboptions():
    options = yaml.safe_load(
        """
        zeta: {type: str, default: "a|b", description: Pipe C(x|y)., choices: ["", a|b]}
        topics:
          type: list
          elements: dict
          description: [Topics., Each one a dict.]
          options:
            name: {type: str, required: true, description: Name.}
        settings:
          type: dict
          options:
            port: {type: int, default: 9092}
        """
    )
    assert rr.option_rows(options) == [
        r'| `zeta` | str | `a\|b` |  | Pipe `x\|y`. Choices: `""`, `a\|b`. |',
        "| `topics` | list of dict |  |  | Topics. Each one a dict. |",
        "| `topics[].name` | str |  | yes | Name. |",
        "| `settings` | dict |  |  |  |",
        "| `settings.port` | int | `9092` |  |  |",
    ]


def test_every_entry_point_gets_a_table_main_first():
    block = rr.render_specs(
        {
            "quorum_join": {"short_description": "Join C(x)", "options": {"kafka_kraft_join_node": {"type": "int"}}},
            "main": {"short_description": "Main", "description": ["First.", "Second."], "options": {}},
            "health_gate": {"options": {"kafka_kraft_gate_node": {"type": "int", "required": True}}},
        }
    )
    assert block.startswith(rr.BEGIN) and block.endswith(rr.END)
    headings = [line for line in block.splitlines() if line.startswith("### ")]
    assert headings == ["### Entry point `main`", "### Entry point `health_gate`", "### Entry point `quorum_join`"]
    assert "Main.\n\nFirst.\n\nSecond.\n\nNo variables." in block
    assert "Join `x`." in block
    assert "| `kafka_kraft_gate_node` | int |  | yes |  |" in block


def test_splice_replaces_only_between_the_markers():
    readme = f"# r\n\nHand-written.\n\n{rr.BEGIN}\nold\n{rr.END}\n\nFooter.\n"
    assert (
        rr.splice(readme, f"{rr.BEGIN}\nnew\n{rr.END}")
        == f"# r\n\nHand-written.\n\n{rr.BEGIN}\nnew\n{rr.END}\n\nFooter.\n"
    )


def test_splice_appends_when_markers_are_missing_and_refuses_half_a_pair():
    assert rr.splice("# r\n", "BLOCK") == "# r\n\n## Variables\n\nBLOCK\n"
    with pytest.raises(ValueError, match="only one"):
        rr.splice(f"# r\n{rr.BEGIN}\n", "BLOCK")


def test_check_fails_on_a_stale_readme_and_write_fixes_it(tmp_path, capsys):
    meta = tmp_path / "demo" / "meta"
    meta.mkdir(parents=True)
    (meta / "argument_specs.yml").write_text(
        "argument_specs:\n  main:\n    short_description: Demo role\n"
        "    options:\n      demo_port: {type: int, default: 1, description: A port.}\n"
    )
    (tmp_path / "no_specs").mkdir()
    readme = tmp_path / "demo" / "README.md"

    assert rr.main(["--check", "--roles", str(tmp_path)]) == 1  # missing
    assert rr.main(["--roles", str(tmp_path)]) == 0
    assert readme.read_text().startswith("# kafkaops.kraft.demo\n\nDemo role.\n")
    assert rr.main(["--check", "--roles", str(tmp_path)]) == 0

    (meta / "argument_specs.yml").write_text(
        (meta / "argument_specs.yml").read_text().replace("default: 1", "default: 2")
    )
    assert rr.main(["--check", "--roles", str(tmp_path)]) == 1
    assert "stale:" in capsys.readouterr().err
    assert not (tmp_path / "no_specs" / "README.md").exists()
