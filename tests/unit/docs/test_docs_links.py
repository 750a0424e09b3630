"""Every docs page is on README.md's map, and every relative link in the documentation resolves."""

from __future__ import annotations

from pathlib import Path

import docs_index
import pytest

REPO = docs_index.REPO
DOCS = REPO / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
LINKING = [REPO / "README.md", *PAGES, *sorted(REPO.glob("roles/*/README.md")), REPO / "bench" / "RESULTS.md"]


def test_every_docs_page_is_on_the_readme_map():
    mapped = set(docs_index.docs_pages(REPO / "README.md"))
    assert PAGES, "no docs pages"
    assert [p.relative_to(REPO).as_posix() for p in PAGES if p not in mapped] == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(DOCS).as_posix())
def test_docs_page_has_one_title(page):
    headings = [line for line in docs_index.prose(page.read_text()).splitlines() if line.startswith("# ")]
    assert len(headings) == 1, headings


def broken_links(source: Path) -> list[str]:
    text = source.read_text()
    broken = []
    for target in docs_index.links(text):
        if target.startswith("#"):
            path, anchor = source, target[1:]
        elif ":" in target.split("/", 1)[0]:
            continue  # https:, mailto:
        else:
            file, _hash, anchor = target.partition("#")
            path = (source.parent / file).resolve()
        if not path.exists():
            broken.append(f"{target}: no such file")
        elif anchor and path.suffix == ".md" and anchor not in docs_index.anchors(path.read_text()):
            broken.append(f"{target}: no heading with that anchor")
    return broken


@pytest.mark.parametrize("source", LINKING, ids=lambda p: p.relative_to(REPO).as_posix())
def test_relative_links_resolve(source):
    assert broken_links(source) == []


def test_the_checks_can_fail(tmp_path):
    (tmp_path / "a.md").write_text("# A\n\n## Real heading\n\n[ok](#real-heading) [gone](b.md) [bad](a.md#nowhere)\n")
    assert broken_links(tmp_path / "a.md") == ["b.md: no such file", "a.md#nowhere: no heading with that anchor"]
    readme = tmp_path / "README.md"
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "x.md").write_text("# X\n")
    readme.write_text("[x](docs/x.md#top) [again](docs/x.md) `[code](docs/y.md)`\n")
    assert docs_index.docs_pages(readme) == [(tmp_path / "docs" / "x.md").resolve()]
