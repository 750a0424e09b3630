"""Every filter plugin has a documentation file, and every documentation file a filter.

ansible-doc and galaxy-importer read a filter's documentation from
plugins/filter/<filter name>.yml; its options must name the filter's
parameters, in the order `positional` gives.
"""

from __future__ import annotations

import importlib.util
import inspect
from pathlib import Path

import pytest
import yaml

FILTERS = Path(__file__).resolve().parents[3] / "plugins" / "filter"
AUTHOR = "kafkaops maintainers (@kafkaops)"


def filter_functions() -> dict:
    found = {}
    for path in sorted(FILTERS.glob("*.py")):
        spec = importlib.util.spec_from_file_location(f"_docs_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        found.update(module.FilterModule().filters())
    return found


FUNCTIONS = filter_functions()


def test_each_filter_has_a_doc_file_and_each_doc_file_a_filter():
    assert sorted(p.stem for p in FILTERS.glob("*.yml")) == sorted(FUNCTIONS)


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_doc_matches_the_function(name):
    doc = yaml.safe_load((FILTERS / f"{name}.yml").read_text())
    assert set(doc) == {"DOCUMENTATION", "EXAMPLES", "RETURN"}
    docs = doc["DOCUMENTATION"]
    assert docs["name"] == name
    assert docs["author"] == AUTHOR
    assert docs["short_description"] and docs["description"] and doc["EXAMPLES"].strip()
    assert "_value" in doc["RETURN"]
    positional = [p.strip() for p in docs["positional"].split(",")]
    assert positional[0] == "_input"
    params = list(inspect.signature(FUNCTIONS[name]).parameters.values())
    # A *args parameter is documented as one list option, "_" + its name.
    expected = [p.name if p.kind is p.POSITIONAL_OR_KEYWORD else f"_{p.name}" for p in params[1:]]
    assert positional[1:] == expected
    assert set(docs["options"]) == set(positional)
    assert docs["options"]["_input"].get("required") is True
    for param in params[1:]:
        if param.kind is param.POSITIONAL_OR_KEYWORD:
            option = docs["options"][param.name]
            if param.default is param.empty:
                assert option.get("required") is True, param.name
            else:
                assert option.get("default") == param.default, param.name
