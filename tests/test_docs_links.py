"""README.md is a short landing page whose relative links (and those of docs/*.md) resolve.

`mkdocs build --strict` (in `make test`) checks the links between the site's pages; these
tests also cover README.md, which is not a page of the site, and read the files as GitHub
shows them, without mkdocs.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
MAX_README_LINES = 250
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def outside_code(text: str) -> str:
    """``text`` without fenced code blocks and inline code spans (links there are not links)."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    return re.sub(r"`[^`\n]*`", "", text)


def relative_links(path: Path) -> list[str]:
    """The link and image targets in ``path`` that point into the repository."""
    return [t for t in LINK.findall(outside_code(path.read_text(encoding="utf-8")))
            if not re.match(r"[a-z][a-z0-9+.-]*:", t)]


def slug(heading: str) -> str:
    """GitHub's (and mkdocs' toc) anchor of a heading: lower case, punctuation dropped."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    body = re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.S | re.M)
    return {slug(m) for m in re.findall(r"^#{1,6} (.+)$", body, flags=re.M)}


def shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def broken_links(path: Path) -> list[str]:
    """Each relative link of ``path`` whose file, or heading anchor, does not exist."""
    broken = []
    for target in relative_links(path):
        file_part, _, anchor = target.partition("#")
        dest = (path.parent / file_part).resolve() if file_part else path
        if not dest.exists():
            broken.append(f"{target} (no file {shown(dest)})")
        elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
            broken.append(f"{target} (no heading #{anchor} in {shown(dest)})")
    return broken


def test_link_checker_finds_broken_links_and_anchors(tmp_path: Path) -> None:
    (tmp_path / "b.md").write_text("# Part one\n\n## The rules: every `verdict`\n")
    page = tmp_path / "a.md"
    page.write_text("[ok](b.md) [ok](b.md#the-rules-every-verdict) [web](https://x.org/y)\n"
                    "![missing](figures/none.png) [bad anchor](b.md#part-two) [self](#top)\n"
                    "```\n[in code](nowhere.md)\n```\n`[inline](nowhere.md)`\n")
    found = broken_links(page)
    assert [b.split(" ")[0] for b in found] == ["figures/none.png", "b.md#part-two", "#top"]


def test_readme_is_a_short_landing_page() -> None:
    n = len(README.read_text(encoding="utf-8").splitlines())
    assert n <= MAX_README_LINES, f"README.md has {n} lines; move sections into docs/"


@pytest.mark.parametrize("page", [README, *sorted((ROOT / "docs").rglob("*.md"))],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(page: Path) -> None:
    assert broken_links(page) == []


def test_readme_links_every_docs_page_group() -> None:
    targets = {t.partition("#")[0] for t in relative_links(README)}
    for page in ["getting-started", "figure2", "section5", "statistics", "studies",
                 "own-models", "scaling"]:
        assert f"docs/{page}.md" in targets
