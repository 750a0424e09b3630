"""Render the docs pages into one PDF operator runbook: Markdown -> HTML -> PDF.

    python tools/runbook.py --out build/runbook.pdf

The pages come in the order of README.md's map; each starts on a new PDF page. Markdown is
converted by Python-Markdown, the PDF by Debian's `weasyprint` command with the DejaVu fonts.
"""

from __future__ import annotations

import argparse
import html
import re
import subprocess
import sys
from pathlib import Path

import docs_index
import markdown

STYLE = """
@page { size: A4; margin: 18mm 16mm 20mm 16mm;
        @bottom-center { content: counter(page); font: 8pt "DejaVu Sans"; color: #666; } }
body { font: 9pt/1.4 "DejaVu Sans", sans-serif; color: #111; }
section.page { break-before: page; }
h1 { font-size: 18pt; margin: 0 0 8pt; }
h2 { font-size: 13pt; margin: 14pt 0 4pt; break-after: avoid; }
h3, h4 { font-size: 10.5pt; margin: 10pt 0 3pt; break-after: avoid; }
code, pre { font-family: "DejaVu Sans Mono", monospace; font-size: 7.5pt; }
pre { background: #f4f4f4; padding: 5pt; white-space: pre-wrap; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin: 4pt 0; font-size: 7.5pt; }
th, td { border: 0.5pt solid #aaa; padding: 2pt 3pt; vertical-align: top; overflow-wrap: break-word; }
th { background: #eee; }
td code { overflow-wrap: anywhere; }  /* long identifiers wrap; words and short cells stay whole */
a { color: #124; text-decoration: none; }
img { max-width: 100%; border: 0.5pt solid #aaa; }
.cover h1 { font-size: 24pt; margin-top: 60mm; }
.cover li { margin: 2pt 0; }
"""

_HREF = re.compile(r'<a href="([^"]*)">(.*?)</a>', re.S)
_IMG_SRC = re.compile(r'(<img [^>]*src=")([^":]+)(")')


def page_id(page: Path, docs: Path) -> str:
    return "page-" + page.relative_to(docs).with_suffix("").as_posix().replace("/", "-")


def _slugify(prefix: str):
    def slugify(value: str, _separator: str) -> str:
        return f"{prefix}--{docs_index.github_slug(value)}"

    return slugify


def rewrite_links(body: str, page: Path, ids: dict[Path, str]) -> str:
    """Links to other docs pages become in-document links; links to other repository files become text."""

    def repl(match: re.Match) -> str:
        href, text = match.groups()
        if re.match(r"^[a-z][a-z0-9+.-]*:", href):
            return match.group(0)
        target, _hash, anchor = href.partition("#")
        if not target:
            return f'<a href="#{ids[page]}--{anchor}">{text}</a>'
        path = (page.parent / target).resolve()
        if path in ids:
            return f'<a href="#{ids[path]}--{anchor}">{text}</a>' if anchor else f'<a href="#{ids[path]}">{text}</a>'
        return text

    return _HREF.sub(repl, body)


def embed_images(body: str, page: Path) -> str:
    """Relative image paths become file URLs: WeasyPrint reads the HTML from build/, not from docs/."""
    return _IMG_SRC.sub(lambda m: m.group(1) + (page.parent / m.group(2)).resolve().as_uri() + m.group(3), body)


def render_page(page: Path, ids: dict[Path, str]) -> str:
    """One docs page as an HTML section; heading ids are prefixed with the page's id so they stay unique."""
    converter = markdown.Markdown(
        extensions=["tables", "fenced_code", "toc", "sane_lists"],
        extension_configs={"toc": {"slugify": _slugify(ids[page])}},
    )
    body = converter.convert(page.read_text())
    return f'<section class="page" id="{ids[page]}">\n{embed_images(rewrite_links(body, page, ids), page)}\n</section>'


def render_html(pages: list[Path], docs: Path, heading: str) -> str:
    ids = {page: page_id(page, docs) for page in pages}
    contents = "\n".join(
        f'<li><a href="#{ids[p]}">{html.escape(docs_index.title(p.read_text()))}</a></li>' for p in pages
    )
    sections = "\n".join(render_page(p, ids) for p in pages)
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(heading)}</title>'
        f"<style>{STYLE}</style></head><body>\n"
        f'<div class="cover"><h1>{html.escape(heading)}</h1><ol>{contents}</ol></div>\n{sections}\n</body></html>\n'
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=docs_index.REPO / "build" / "runbook.pdf")
    parser.add_argument("--readme", type=Path, default=docs_index.REPO / "README.md")
    args = parser.parse_args(argv)
    pages = docs_index.docs_pages(args.readme)
    if not pages:
        print(f"{args.readme} links to no docs pages", file=sys.stderr)
        return 1
    docs = args.readme.parent / "docs"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    source = args.out.with_suffix(".html")
    source.write_text(render_html(pages, docs.resolve(), "kafkaops.kraft operator runbook"))
    subprocess.run(["weasyprint", "--quiet", str(source), str(args.out)], check=True)  # noqa: S603, S607
    print(f"{args.out}: {len(pages)} pages of docs/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
