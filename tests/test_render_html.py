"""`--format html`: one self-contained, escaped page; and the e-mail fragment."""

from __future__ import annotations

import io
import re
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from monitor.render import get_renderer
from monitor.render.html import HtmlRenderer, html_fragment, html_page
from tests.alerts_fixtures import CHANGE_SCHEMA, MT_URL, change, report
from tests.services import missing_service

EVIL = '<script>alert("x")</script><img src=https://evil.example/p.png onerror=alert(1)>'


class Tags(HTMLParser):
    """Every start tag with its attributes, and whether the document nests properly."""

    VOID = frozenset({"meta", "br", "hr", "img", "link", "input"})

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[str] = []
        self.balanced = True

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.balanced = False


def parse(markup: str) -> Tags:
    parser = Tags()
    parser.feed(markup)
    parser.close()
    return parser


def evil_report(**kwargs: Any) -> dict[str, Any]:
    return report(
        [
            change(
                "headline", "major", "headline", "Putin Visits Syria", f"Putin Visits Syria {EVIL}"
            ),
            change("quote_removed", "major", "quotes[0]", "“We will respond,” he said.", None),
            change("paragraph_added", "major", "paragraphs[4]", None, f"New paragraph {EVIL}"),
            change("paragraph_moved", "minor", "paragraphs[2]", "Same text.", "Same text."),
        ],
        headline=f"Headline {EVIL}",
        silent=True,
        **kwargs,
    )


def test_report_used_here_is_a_valid_change_report() -> None:
    jsonschema.validate(evil_report(), CHANGE_SCHEMA)


def test_page_escapes_every_text_and_has_no_live_script() -> None:
    page = html_page(evil_report())
    tags = parse(page)
    assert tags.balanced and tags.stack == []
    names = {tag for tag, _ in tags.tags}
    assert "script" not in names and "img" not in names and "link" not in names
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert not re.search(r"<\s*script", page, re.IGNORECASE)
    assert not any(name.startswith("on") for _, attrs in tags.tags for name in attrs)


def test_page_highlights_with_del_and_ins_and_shows_before_and_after() -> None:
    page = html_page(report([change()]))
    assert '<del class="del">Tuesday.</del>' in page
    assert '<ins class="ins">Monday.</ins>' in page
    assert "The president arrived on <del" in page  # before, with the deletion marked
    assert "The president arrived on <ins" in page  # after, with the insertion marked
    assert "text-decoration:line-through" in page


def test_page_has_no_external_assets_only_the_article_link() -> None:
    page = html_page(evil_report())
    tags = parse(page)
    links = [
        value
        for _, attrs in tags.tags
        for key, value in attrs.items()
        if key in ("href", "src", "action", "poster", "srcset") and value
    ]
    assert links == [MT_URL]
    assert "url(" not in page and "@import" not in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_page_shows_metadata_silent_badge_and_labelled_changes() -> None:
    page = html_page(evil_report())
    assert "revision 1 (fetched 2026-01-07T10:00:00+00:00) &rarr; revision 2" in page
    assert "SILENT EDIT" in page
    for label in ("Headline changed", "Quote removed", "Paragraph added", "Paragraph moved"):
        assert label in page
    assert 'class="major">major</span>' in page and "paragraphs[4]" in page
    assert "4 changes, highest significance: major" in page
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page


def test_a_non_http_article_url_is_not_a_link() -> None:
    page = html_page(report(url="javascript:alert(1)"))
    assert 'href="javascript' not in page


def test_fragment_uses_inline_styles_for_email() -> None:
    fragment = html_fragment(evil_report())
    tags = parse(fragment)
    assert tags.balanced
    assert all("class" not in attrs for _, attrs in tags.tags)
    assert all("style" in attrs for tag, attrs in tags.tags if tag in ("del", "ins", "div"))
    assert "<style" not in fragment and "<html" not in fragment
    assert "&lt;script&gt;" in fragment and "<script" not in fragment


def test_registered_as_the_html_format() -> None:
    renderer = get_renderer("html")
    assert isinstance(renderer, HtmlRenderer)
    out = io.StringIO()
    renderer.write_diff(report(), out)
    assert out.getvalue() == html_page(report())


def png_colors(path: Path) -> set[tuple[int, int, int]]:
    """Every RGB colour in an 8-bit RGB(A) PNG (stdlib only: zlib and the PNG filters)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, header = 8, [], b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    width, height, depth, color_type = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and color_type in (2, 6)
    step = 3 if color_type == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * step
    previous = bytearray(stride)
    colors = set()
    for y in range(height):
        kind, line = (
            raw[y * (stride + 1)],
            bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
        )
        for i in range(stride):
            left = line[i - step] if i >= step else 0
            up, corner = previous[i], previous[i - step] if i >= step else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                guess = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + guess) & 0xFF
        colors.update(tuple(line[i : i + 3]) for i in range(0, stride, step))
        previous = line
    return colors


@pytest.mark.slow
@pytest.mark.browser
def test_page_renders_in_headless_chromium(tmp_path: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        missing_service("Chromium (Debian package: chromium)")  # a failure in CI
    page = tmp_path / "diff.html"
    page.write_text(html_page(evil_report()), encoding="utf-8")
    shot = tmp_path / "diff.png"
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--window-size=900,1000",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
        stdin=subprocess.DEVNULL,
    )
    colors = png_colors(shot)
    assert (0xD9, 0xF7, 0xDE) in colors  # inserted words: green background
    assert (0xFF, 0xE3, 0xE3) in colors  # deleted words: red background
    assert (0xB0, 0x00, 0x20) in colors  # the SILENT EDIT badge
