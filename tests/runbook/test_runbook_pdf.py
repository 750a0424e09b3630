"""The runbook PDF (`make runbook`) starts a new page for every docs page, under that page's title.

Reads build/runbook.pdf, or the file RUNBOOK_PDF names, with pdftotext (poppler-utils).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import docs_index
import pytest

PDF = Path(os.environ.get("RUNBOOK_PDF", docs_index.REPO / "build" / "runbook.pdf"))


@pytest.fixture(scope="module")
def page_tops() -> list[str]:
    """The first line of text of every PDF page."""
    if not PDF.is_file():
        pytest.fail(f"{PDF} is missing: build it with `make runbook`")
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(PDF), "-"], capture_output=True, text=True, check=True)
    tops = []
    for page in text.stdout.split("\f"):
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        tops.append(lines[0] if lines else "")
    return tops


def test_every_docs_page_starts_a_pdf_page_in_the_readme_order(page_tops):
    titles = [docs_index.title(page.read_text()) for page in docs_index.docs_pages()]
    assert len(titles) >= 13
    where = {title: [i for i, top in enumerate(page_tops) if top == title] for title in titles}
    missing = [title for title, pages in where.items() if not pages]
    assert not missing, f"no PDF page starts with these docs titles: {missing}"
    first = [where[title][0] for title in titles]
    assert first == sorted(first), "the docs pages are not in the order of the README's map"


def test_the_cover_lists_every_docs_page(page_tops):
    text = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(PDF), "-"], capture_output=True, text=True, check=True
    )
    for page in docs_index.docs_pages():
        assert docs_index.title(page.read_text()) in text.stdout
