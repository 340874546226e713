"""Relative links in the project's Markdown stay alive (issue 20).

Every Markdown file of README.md, docs/*.md and policies/README.md is parsed
for links (inline `[text](target)`, images, reference definitions
`[name]: target`). Each relative target must exist; a `#anchor` (in the same
file or in another Markdown file) must name a heading of that file, slugged
the way GitHub does it. http(s) and mailto links are not checked (offline).
Code blocks and inline code are not links.

Also: the README stays short (at most 320 lines) and links every page of docs/.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
README_MAX_LINES = 320


def markdown_files() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md")), ROOT / "policies" / "README.md"]


# --------------------------------------------------------------------------
# Parsing

FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
INLINE_CODE = re.compile(r"(`+)(.+?)\1")
# [text](target) and ![alt](target); the target may be <...> and may carry a "title".
INLINE_LINK = re.compile(r"!?\[(?:[^\[\]\n]|\n(?![ \t]*\n)|\[[^\]\n]*\])*\]\(\s*(<[^>\n]*>|[^\s)]*)(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
REFERENCE_DEF = re.compile(r"^ {0,3}\[(?!\^)[^\]]+\]:\s*(<[^>]*>|\S+)")  # not a footnote [^1]:
HTML_ANCHOR = re.compile(r"<a\s+(?:name|id)=\"([^\"]+)\"", re.I)


def prose_lines(text: str):
    """(line number, line) of every line outside fenced code blocks."""
    fence = None
    for number, line in enumerate(text.splitlines(), start=1):
        m = FENCE.match(line)
        if fence is None and m:
            fence = m.group(1)[0] * len(m.group(1))
            continue
        if fence is not None:
            if m and m.group(1).startswith(fence):
                fence = None
            continue
        yield number, line


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: the rendered text (code spans and links
    keep their text), lower-cased, everything but letters, marks, digits,
    spaces, hyphens and underscores dropped (so emphasis markers and
    punctuation go), each space a hyphen."""
    text = INLINE_CODE.sub(lambda m: m.group(2), heading)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # links keep their text
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML
    out = []
    for ch in text.lower():
        cat = unicodedata.category(ch)
        if ch in " -_" or cat[0] in "LMN":
            out.append("-" if ch == " " else ch)
    return "".join(out)


def anchors(path: Path) -> set[str]:
    """Every anchor a Markdown file offers: heading slugs (repeats get -1, -2, …)
    and explicit <a name/id> anchors."""
    found: set[str] = set()
    seen: dict[str, int] = {}
    for _, line in prose_lines(path.read_text(encoding="utf-8")):
        m = HEADING.match(line)
        if m:
            base = slug(m.group(2))
            n = seen.get(base, 0)
            seen[base] = n + 1
            found.add(base if n == 0 else f"{base}-{n}")
        found.update(HTML_ANCHOR.findall(line))
    return found


def prose(text: str) -> str:
    """The text with fenced code blocks blanked (line numbers kept) and inline
    code spans replaced by spaces: neither holds links."""
    kept = dict(prose_lines(text))
    lines = [kept.get(n, "") for n in range(1, len(text.splitlines()) + 1)]
    return "\n".join(INLINE_CODE.sub(lambda m: " " * len(m.group(0)), line) for line in lines)


def links(path: Path):
    """(line number, target) of every link in a Markdown file; a link whose text
    runs over several lines counts on the line of its target."""
    text = prose(path.read_text(encoding="utf-8"))
    found = []
    for number, line in enumerate(text.split("\n"), start=1):
        m = REFERENCE_DEF.match(line)
        if m:
            found.append((number, m.group(1).strip("<>")))
    for m in INLINE_LINK.finditer(text):
        found.append((text.count("\n", 0, m.start(1)) + 1, m.group(1).strip("<>")))
    return sorted(found)


def is_external(target: str) -> bool:
    return re.match(r"^(https?:|mailto:)", target, re.I) is not None


def problem(source: Path, target: str) -> str | None:
    """Why a relative link is broken, or None."""
    if target == "":
        return "empty link target"
    path_part, _, anchor = target.partition("#")
    path_part = unquote(path_part.split("?", 1)[0])
    if path_part.startswith("/"):
        return "absolute path (use a path relative to the file)"
    resolved = (source.parent / path_part).resolve() if path_part else source
    if not resolved.exists():
        return f"{path_part} does not exist"
    try:
        resolved.relative_to(ROOT)
    except ValueError:
        return f"{path_part} is outside the repository"
    if anchor:
        if resolved.is_dir() or resolved.suffix.lower() != ".md":
            return f"#{anchor} on a target that is not a Markdown file"
        if unquote(anchor) not in anchors(resolved):
            return f"no heading with anchor #{anchor} in {resolved.relative_to(ROOT)}"
    return None


def broken_links(files: list[Path]) -> list[str]:
    broken = []
    for source in files:
        for number, target in links(source):
            if is_external(target):
                continue
            why = problem(source, target)
            if why:
                broken.append(f"{source.relative_to(ROOT)}:{number}: ({target}) {why}")
    return broken


# --------------------------------------------------------------------------
# The checks


def test_every_relative_link_resolves():
    files = markdown_files()
    missing = [str(f.relative_to(ROOT)) for f in files if not f.is_file()]
    assert not missing, f"Markdown files to check are missing: {missing}"
    broken = broken_links(files)
    assert not broken, f"{len(broken)} broken link(s):\n" + "\n".join(broken)


def test_readme_is_short():
    lines = len(README.read_text(encoding="utf-8").splitlines())
    assert lines <= README_MAX_LINES, (
        f"README.md has {lines} lines (at most {README_MAX_LINES}): move the detail into a page of docs/")


def test_readme_links_every_page_of_docs():
    linked = set()
    for _, target in links(README):
        if is_external(target):
            continue
        path_part = unquote(target.partition("#")[0])
        if path_part:
            linked.add((README.parent / path_part).resolve())
    pages = sorted(p for p in DOCS.rglob("*") if p.is_file())
    assert pages, "docs/ has no pages"
    unlinked = [str(p.relative_to(ROOT)) for p in pages if p.resolve() not in linked]
    assert not unlinked, f"README.md does not link these pages of docs/: {unlinked}"


# --------------------------------------------------------------------------
# The checker itself: slugs as GitHub makes them, and what counts as a link.


@pytest.mark.parametrize("heading, expected", [
    ("Tags: access-key descriptions and the marker tags", "tags-access-key-descriptions-and-the-marker-tags"),
    ("3. Give the webhook secret to the HR system", "3-give-the-webhook-secret-to-the-hr-system"),
    ("Webhook contract (for the HR-system admin)", "webhook-contract-for-the-hr-system-admin"),
    ("`make test` and *what* it runs", "make-test-and-what-it-runs"),
    ("Init (met: 6.6 ms, 10–12 ms)", "init-met-66-ms-1012-ms"),
    ("What [the docs](x.md) say", "what-the-docs-say"),
    ("snake_case_name", "snake_case_name"),
    ("Über  zwei", "über--zwei"),
])
def test_slug(heading, expected):
    assert slug(heading) == expected


def test_links_are_found_and_code_is_not_a_link(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "# Title\n"
        "See [a](a.md#x), ![img](img.png \"t\") and [b](<b c.md>).\n"
        "Not `[c](c.md)` here, but [a link\nover two lines](f.md).\n"
        "```sh\n[d](d.md)\n# not a heading\n```\n"
        "[ref]: e.md\n"
        "## Title\n",
        encoding="utf-8",
    )
    assert list(links(page)) == [(2, "a.md#x"), (2, "b c.md"), (2, "img.png"), (4, "f.md"), (9, "e.md")]
    assert anchors(page) == {"title", "title-1"}


def test_a_broken_link_is_reported_with_file_and_line(tmp_path, monkeypatch):
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    (tmp_path / "other.md").write_text("# Other page\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n"
        "[fine](other.md#other-page) [self](#page) [web](https://example.com/x) [mail](mailto:a@b.c)\n"
        "[gone](missing.md)\n"
        "[bad anchor](other.md#nowhere)\n",
        encoding="utf-8",
    )
    assert broken_links([page]) == [
        "page.md:3: (missing.md) missing.md does not exist",
        "page.md:4: (other.md#nowhere) no heading with anchor #nowhere in other.md",
    ]
