"""Variable tables of every role README, generated from the role's meta/argument_specs.yml.

Each roles/<role>/README.md keeps its hand-written text; only the part between the
markers is generated, one table per entry point:

    python tools/role_readmes.py          # rewrite the generated parts
    python tools/role_readmes.py --check  # exit 1 when a README is missing or stale
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import yaml

BEGIN = "<!-- BEGIN ARGUMENT SPECS -->"
END = "<!-- END ARGUMENT SPECS -->"
NOTICE = "<!-- Generated from meta/argument_specs.yml by tools/role_readmes.py; edit the spec, not this table. -->"

# Ansible's documentation markup: https://docs.ansible.com/ansible/latest/dev_guide/ansible_markup.html
_LINK = re.compile(r"L\(([^()]*?),\s*([^()]*?)\)")
_URL = re.compile(r"U\(([^()]*?)\)")
_CODE = re.compile(r"\b(?:C|O|V|E|RV|M)\(([^()]*(?:\([^()]*\)[^()]*)*)\)")
_PLUGIN = re.compile(r"\bP\(([^()#]*)#[^()]*\)")
_FOREIGN_OPTION = re.compile(r"\b(?:O|RV)\(([\w.]+)#\w+:([^()]*)\)")
_ITALIC = re.compile(r"\bI\(([^()]*)\)")
_BOLD = re.compile(r"\bB\(([^()]*)\)")
_HR = re.compile(r"\bHORIZONTALLINE\b")
_MARKUP = re.compile(r"\b(?:C|O|V|E|RV|M|P|I|B|L|U)\(")


def convert_markup(text: str) -> str:
    """Ansible doc markup -> Markdown, on one line."""
    text = " ".join(str(text).split())
    text = _LINK.sub(r"[\1](\2)", text)
    text = _URL.sub(r"<\1>", text)
    text = _FOREIGN_OPTION.sub(r"`\2` of `\1`", text)
    text = _PLUGIN.sub(r"`\1`", text)
    text = _CODE.sub(lambda m: f"`{m.group(1)}`", text)
    text = _ITALIC.sub(r"*\1*", text)
    text = _BOLD.sub(r"**\1**", text)
    return _HR.sub("", text).strip()


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|")


def render_default(value: object) -> str:
    """A default as a table cell: code for values, prose for descriptions such as 'size of group C(x)'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str):
        if _MARKUP.search(value):
            return convert_markup(value)
        return f"`{value}`" if value else '`""`'
    if isinstance(value, (list, dict)):
        return f"`{json.dumps(value, separators=(', ', ': '))}`"
    return f"`{value}`"


def _description(option: dict) -> str:
    desc = option.get("description", "")
    parts = [desc] if isinstance(desc, str) else list(desc)
    text = " ".join(convert_markup(p) for p in parts if p)
    if option.get("choices"):
        choices = ", ".join(render_default(c) for c in option["choices"])
        text += (" " if text else "") + f"Choices: {choices}."
    return text


def _type(option: dict) -> str:
    kind = option.get("type", "str")
    if kind == "list" and option.get("elements"):
        return f"list of {option['elements']}"
    return kind


def option_rows(options: dict, prefix: str = "") -> list[str]:
    """One table row per option in the spec's order, suboptions after their parent as parent[].sub or parent.sub."""
    rows = []
    for name in options:
        option = options[name] or {}
        full = f"{prefix}{name}"
        required = "yes" if option.get("required") else ""
        rows.append(
            f"| `{full}` | {_type(option)} | {cell(render_default(option.get('default')))} | {required} "
            f"| {cell(_description(option))} |"
        )
        if option.get("options"):
            joiner = "[]." if option.get("type") == "list" else "."
            rows += option_rows(option["options"], f"{full}{joiner}")
    return rows


def render_entry_point(name: str, spec: dict) -> str:
    lines = [f"### Entry point `{name}`", ""]
    if spec.get("short_description"):
        lines += [convert_markup(spec["short_description"]) + ".", ""]
    desc = spec.get("description") or []
    for paragraph in [desc] if isinstance(desc, str) else desc:
        lines += [convert_markup(paragraph), ""]
    options = spec.get("options") or {}
    if options:
        lines += ["| Variable | Type | Default | Required | Description |", "|---|---|---|---|---|"]
        lines += option_rows(options)
    else:
        lines.append("No variables.")
    return "\n".join(lines).rstrip() + "\n"


def render_specs(argument_specs: dict) -> str:
    """The generated block for a role: every entry point, `main` first, the others by name."""
    names = sorted(argument_specs, key=lambda n: (n != "main", n))
    body = "\n".join(render_entry_point(n, argument_specs[n] or {}) for n in names)
    return f"{BEGIN}\n{NOTICE}\n\n{body}\n{END}"


def splice(readme: str, block: str) -> str:
    """Put block between the markers of readme, or append it (under a heading) when the markers are missing."""
    start, end = readme.find(BEGIN), readme.find(END)
    if start != -1 and end > start:
        return readme[:start] + block + readme[end + len(END) :]
    if start != -1 or end != -1:
        raise ValueError("README has only one of the argument-spec markers")
    return readme.rstrip() + "\n\n## Variables\n\n" + block + "\n"


def new_readme(role: str, argument_specs: dict) -> str:
    """A README for a role that has none: a title and the role's short description."""
    short = (argument_specs.get("main") or {}).get("short_description", "")
    intro = convert_markup(short) + ".\n\n" if short else ""
    return f"# kafkaops.kraft.{role}\n\n{intro}"


def expected_readme(role_dir: Path) -> tuple[Path, str] | None:
    spec_file = role_dir / "meta" / "argument_specs.yml"
    if not spec_file.is_file():
        return None
    specs = (yaml.safe_load(spec_file.read_text()) or {}).get("argument_specs") or {}
    readme = role_dir / "README.md"
    current = readme.read_text() if readme.is_file() else new_readme(role_dir.name, specs)
    return readme, splice(current, render_specs(specs))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when a README is missing or stale")
    parser.add_argument("--roles", type=Path, default=Path(__file__).resolve().parents[1] / "roles")
    args = parser.parse_args(argv)
    stale = []
    for role_dir in sorted(p for p in args.roles.iterdir() if p.is_dir()):
        found = expected_readme(role_dir)
        if found is None:
            continue
        readme, text = found
        if readme.is_file() and readme.read_text() == text:
            continue
        stale.append(readme)
        if not args.check:
            readme.write_text(text)
            print(f"wrote {readme}")
    if args.check and stale:
        for readme in stale:
            print(f"stale: {readme} (run `make role-readmes`)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
