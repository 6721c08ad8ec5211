"""Every relative link in the README and docs/ leads to a file (and a heading, where it names one)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.docs.markdown import DOCS, FENCE, ROOT

PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def anchors(page: Path) -> set[str]:
    """GitHub's anchors of a page's headings: lower case, punctuation dropped, spaces as dashes."""
    text = FENCE.sub("", page.read_text())
    found = set()
    for heading in re.findall(r"^#{1,6} (.+)$", text, re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        found.add(slug)
    return found


def links(page: Path) -> list[str]:
    text = FENCE.sub("", page.read_text())
    text = re.sub(r"`[^`\n]*`", "", text)  # code spans are not links
    return [
        target
        for target in LINK.findall(text)
        if not re.match(r"^[a-z]+:", target)  # http:, https:, mailto:
    ]


def test_the_pages_exist() -> None:
    names = {p.name for p in DOCS.glob("*.md")}
    expected = {
        "index.md",
        "pipeline.md",
        "measurement.md",
        "gemm.md",
        "attention.md",
        "ci.md",
        "plugins.md",
        "cli.md",
        "gpu.md",
        "report.md",
        "tuning.md",
        "emulator.md",
    }
    assert expected <= names


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_resolve(page: Path) -> None:
    broken = []
    for target in links(page):
        path_part, _, anchor = target.partition("#")
        dest = (page.parent / path_part).resolve() if path_part else page
        if not dest.exists():
            broken.append(f"{target}: no such file")
            continue
        if anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            broken.append(f"{target}: no heading #{anchor}")
    assert not broken, broken


def test_every_page_is_reachable_from_the_index() -> None:
    linked = {(DOCS / t.partition("#")[0]).resolve() for t in links(DOCS / "index.md")}
    for page in DOCS.glob("*.md"):
        if page.name != "index.md":
            assert page.resolve() in linked, f"docs/index.md does not link {page.name}"
