"""The fingerprint ignores page noise and catches editorial edits."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from crawler.extractors import extract_page
from crawler.fingerprint import fingerprint, fingerprint_payload

DATA = Path(__file__).resolve().parent / "data" / "extractor"
URL = (
    "https://www.themoscowtimes.com/2024/01/05/"
    "ferry-service-across-the-lake-resumes-after-winter-a12345"
)
HTML = (DATA / "mt_news_updated.html").read_text(encoding="utf-8")

NOISE = {
    "sidebar": [("Popular Story", "Another Popular Story"), ("Newer Story", "Brand New Story"),
                ("popular-story-a12300", "another-story-a12310")],
    "read more cluster": [("Related Story", "Other Related Story"), ("Teaser text", "Teaser")],
    "banners": [("Advertisement: buy a boat today", "Advertisement: rent a car"),
                ("data-pool=\"[]\"", "data-pool=\"[{&quot;type&quot;:&quot;image&quot;}]\"")],
    "css and js version": [("main.css?v=5", "main.css?v=6"), ("main.js?v=5", "main.js?v=6")],
    "modified_time": [("2024-01-05T16:02:11+03:00\">\n  <meta property=\"article:published",
                       "2024-01-09T10:00:00+03:00\">\n  <meta property=\"article:published"),
                      ('"dateModified":"2024-01-05T16:02:11+03:00"',
                       '"dateModified":"2024-01-09T10:00:00+03:00"')],
    "nbsp vs space": [("regional transport office", "regional&nbsp;transport\u00a0office"),
                      ("Lake Onega", "Lake  Onega")],
    "related card render date": [("/2025/03/14/", "/2026/01/02/")],
    "image cache busting": [("?t=1704461531", "?t=1800000000")],
    "next article id": [('data-next-id="12344"', 'data-next-id="12350"'),
                        ('data-id="12344"', 'data-id="12350"')],
    "zero-width space": [("Petrozavodsk", "Petro\u200bzavodsk")],
}

EDITS = {
    "one word": [("will run again from Monday", "will run again from Tuesday")],
    "headline": [(">Ferry Service Across the Lake Resumes After Winter</a>",
                  ">Ferry Service Across the Lake Resumes</a>")],
    "caption": [("The pier in Petrozavodsk", "The old pier in Petrozavodsk")],
    "credit": [("Ivan Orlov / TASS", "Ivan Orlov / Reuters")],
    "byline updated time": [('datetime="2024-01-05T16:02:11+03:00" y-use="Timeago"',
                             'datetime="2024-01-06T11:00:00+03:00" y-use="Timeago"')],
    "quote block": [("no way out", "no other way out")],
    "author removed": [(', <a href="https://www.themoscowtimes.com/author/boris-ivanov" '
                        'class="byline__author__name" title="Boris Ivanov">Boris Ivanov</a>', "")],
    "tag": [(">Karelia</a>", ">Karelia Republic</a>")],
    "related card": [("Ice Closes Lake Ferry Early</h3>", "Ice Closes Lake Ferry</h3>"),
                     ('title="Ice Closes Lake Ferry Early"', 'title="Ice Closes Lake Ferry"')],
}


def _apply(replacements: list[tuple[str, str]]) -> str:
    html = HTML
    for old, new in replacements:
        assert old in html, old
        html = html.replace(old, new)
    return html


def _fp(html: str) -> str:
    return fingerprint(extract_page(URL, html))


def test_fingerprint_is_sha256_hex_and_deterministic() -> None:
    value = _fp(HTML)
    assert len(value) == 64
    assert int(value, 16) >= 0
    assert value == _fp(HTML)


@pytest.mark.parametrize("case", sorted(NOISE))
def test_noise_only_changes_keep_the_fingerprint(case: str) -> None:
    assert _fp(_apply(NOISE[case])) == _fp(HTML)


def test_all_noise_at_once_keeps_the_fingerprint() -> None:
    assert _fp(_apply([r for reps in NOISE.values() for r in reps])) == _fp(HTML)


@pytest.mark.parametrize("case", sorted(EDITS))
def test_editorial_edits_change_the_fingerprint(case: str) -> None:
    assert _fp(_apply(EDITS[case])) != _fp(HTML)


def test_modified_at_is_not_hashed_but_state_is() -> None:
    extraction = extract_page(URL, HTML)
    assert "modified_at" not in fingerprint_payload(extraction)
    moved = dataclasses.replace(
        extraction, fields=dataclasses.replace(extraction.fields, modified_at="2030-01-01")
    )
    assert fingerprint(moved) == fingerprint(extraction)
    gone = dataclasses.replace(extraction, state="not_found")
    assert fingerprint(gone) != fingerprint(extraction)
