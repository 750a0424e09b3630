"""What the documentation links to: the docs pages README.md maps, headings' anchors, relative links.

Shared by tools/runbook.py (which pages, in which order) and the unit test that checks every
docs page is on the README's map and every relative link resolves.
"""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

_FENCE = re.compile(r"^(```|~~~).*?^\1\s*$", re.M | re.S)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(([^()\s]+)(?:\s+\"[^\"]*\")?\)")
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.M)


def prose(markdown: str) -> str:
    """The text outside fenced code blocks, where links and headings live."""
    return _FENCE.sub("", markdown)


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation but - and _ dropped, spaces to -."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text only
    text = text.strip().lower().replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    """Anchors of every heading; repeated headings get -1, -2, ... as on GitHub."""
    seen: dict[str, int] = {}
    found = set()
    for match in _HEADING.finditer(prose(markdown)):
        slug = github_slug(match.group(2))
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return found


def title(markdown: str) -> str:
    """The page's first level-1 heading, as plain text."""
    for match in _HEADING.finditer(prose(markdown)):
        if len(match.group(1)) == 1:
            return match.group(2).replace("`", "")
    raise ValueError("no level-1 heading")


def links(markdown: str) -> list[str]:
    """Targets of the Markdown links and images outside code."""
    text = _INLINE_CODE.sub("", prose(markdown))
    return [m.group(1) for m in _LINK.finditer(text)]


def relative_links(markdown: str) -> list[str]:
    """Link targets inside the repository: no scheme, no mail address, no pure in-page anchor."""
    return [t for t in links(markdown) if not re.match(r"^[a-z][a-z0-9+.-]*:", t) and not t.startswith("#")]


def docs_pages(readme: Path = REPO / "README.md") -> list[Path]:
    """The docs pages README.md links to, in the order of first mention."""
    pages: list[Path] = []
    for target in relative_links(readme.read_text()):
        path = (readme.parent / target.split("#", 1)[0]).resolve()
        docs = (readme.parent / "docs").resolve()
        if path.suffix == ".md" and docs in path.parents and path not in pages:
            pages.append(path)
    return pages
