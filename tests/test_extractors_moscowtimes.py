"""The Moscow Times adapter against hand-written fixtures (tests/data/extractor/)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest
from parsel import Selector

from crawler.extractors import extract_page, registry
from crawler.extractors._mt_body import normalise_related_href, read_body
from crawler.extractors.moscowtimes import MoscowTimes

DATA = Path(__file__).resolve().parent / "data" / "extractor"
CASES = sorted(p.name.removesuffix(".expected.json") for p in DATA.glob("*.expected.json"))
NEWS_URL = (
    "https://www.themoscowtimes.com/2024/01/05/"
    "ferry-service-across-the-lake-resumes-after-winter-a12345"
)


def load(name: str) -> tuple[dict, bytes]:
    expected = json.loads((DATA / f"{name}.expected.json").read_text(encoding="utf-8"))
    return expected, (DATA / f"{name}.html").read_bytes()


def extract(name: str, url: str | None = None, html: bytes | str | None = None):
    expected, body = load(name)
    return extract_page(url or expected["url"], body if html is None else html)


@pytest.mark.parametrize("name", CASES)
def test_fixture_extracts_expected_fields(name: str) -> None:
    expected, body = load(name)
    got = asdict(extract_page(expected["url"], body))
    want = {k: v for k, v in expected.items() if k != "url"}
    for field, value in want["fields"].items():
        assert got["fields"][field] == value, field
    assert got == want


def test_fixture_set_covers_the_variants() -> None:
    assert {"mt_news_updated", "mt_opinion", "mt_gallery", "mt_archive", "mt_soft404",
            "mt_split_seed"} <= set(CASES)


@pytest.mark.parametrize(
    ("name", "field", "value"),
    [
        ("mt_news_updated", "headline", "Ferry Service Across the Lake Resumes After Winter"),
        ("mt_news_updated", "subtitle", "Boats will run twice a day until the ice returns"),
        ("mt_split_seed", "subtitle", ""),
        ("mt_opinion", "label", "opinion"),
        ("mt_news_updated", "label", ""),
        ("mt_news_updated", "authors", ["Anna Petrova", "Boris Ivanov", "Clara Smith"]),
        ("mt_gallery", "authors", ["Ivan Orlov"]),
        ("mt_archive", "authors", ["Peter Mills"]),
        ("mt_news_updated", "updated_at", "2024-01-05T16:02:11+03:00"),
        ("mt_opinion", "updated_at", None),
        ("mt_split_seed", "updated_at", None),
        ("mt_news_updated", "published_at", "2024-01-05T14:30:00+03:00"),
        ("mt_opinion", "published_at", "2024-03-07T09:00:00+03:00"),  # from JSON-LD
        ("mt_gallery", "published_at", "2024-01-05T14:30:00+03:00"),  # raw byline time
        ("mt_opinion", "modified_at", "2024-03-07T09:05:00+03:00"),
        ("mt_news_updated", "intro", "The lake ferry is back. Tickets cost the same as last year."),
        ("mt_news_updated", "tags", ["Transport", "Karelia"]),
        ("mt_archive", "tags", []),
    ],
)
def test_field(name: str, field: str, value: object) -> None:
    assert getattr(extract(name).fields, field) == value


def test_split_paragraph_is_joined_across_injected_block() -> None:
    paragraphs = extract("mt_split_seed").fields.paragraphs
    joined = [p for p in paragraphs if "architect of Iranian" in p]
    assert joined == [
        "Qassem Soleimani, who was one of the key figures in Syria's war as the architect of "
        "Iranian military operations in the Middle East, had just arrived in Iraq from Syria when "
        "he was killed by a U.S. drone on Friday at Baghdad airport."
    ]
    assert not any(p.startswith("military operations") for p in paragraphs)


def _article(*blocks: str) -> Selector:
    inner = "".join(
        f'<div data-id="article-block-type" class="article__block article__block--{kind} '
        f'article__block--column ">{html}</div>'
        for kind, html in (b.split(":", 1) for b in blocks)
    )
    page = f'<article class="article"><div class="article__content">{inner}</div></article>'
    return Selector(text=page).css("article.article")[0]


AD = '<section y-name="banner"><div y-use="Banner"><p>Ad text</p></div></section>'


@pytest.mark.parametrize(
    ("blocks", "expected"),
    [
        # cut by an ad slot / related card / image: joined
        (["html:<p>the architect of Iranian</p>", f"article:<aside>card</aside>{AD}",
          "html:<p>military operations.</p>"], ["the architect of Iranian military operations."]),
        (["html:<p>one two</p>", "image:<figure class='article__image'></figure>",
          "html:<p>three four.</p><p>Next.</p>"], ["one two three four.", "Next."]),
        # sentence-final punctuation: kept apart
        (["html:<p>Done.</p>", "html:<p>lowercase start.</p>"], ["Done.", "lowercase start."]),
        (["html:<p>He said “yes”</p>", "html:<p>and left.</p>"], ["He said “yes”", "and left."]),
        (["html:<p>A list:</p>", "html:<p>item.</p>"], ["A list:", "item."]),
        # next block starts uppercase: kept apart
        (["html:<p>No stop here</p>", "html:<p>New start.</p>"], ["No stop here", "New start."]),
        # a subhead in between ends the paragraph
        (["html:<p>No stop here</p>", "header:<h2>Subhead</h2>", "html:<p>low start.</p>"],
         ["No stop here", "Subhead", "low start."]),
        # banners inside html blocks are dropped
        ([f"html:<p>Kept.</p>{AD}<p>Also kept.</p>"], ["Kept.", "Also kept."]),
    ],
)
def test_paragraph_join_rule(blocks: list[str], expected: list[str]) -> None:
    assert read_body(_article(*blocks)).paragraphs == expected


def test_banners_and_donation_box_are_dropped() -> None:
    fields = extract("mt_news_updated").fields
    text = " ".join([*fields.paragraphs, *(q.text for q in fields.quotes), fields.intro])
    for noise in ("Advertisement", "buy a boat", "Dear readers", "Every contribution",
                  "Support independent", "Most read", "Newer Story", "Popular Story",
                  "Related Story", "Teaser text", "Placeholder copyright", "Read more"):
        assert noise not in text
    seed = extract("mt_split_seed").fields
    assert not any("sponsored message" in p or "unprecedented" in p for p in seed.paragraphs)


def test_opinion_disclaimer_and_author_boxes_are_not_text() -> None:
    fields = extract("mt_opinion").fields
    assert not any("views expressed" in p or "economist" in p for p in fields.paragraphs)
    assert fields.authors == ["Elena Volkova"]


def test_quote_blocks_are_quotes_not_paragraphs() -> None:
    fields = extract("mt_news_updated").fields
    block = [q for q in fields.quotes if q.kind == "block"]
    assert [(q.text, q.speaker) for q in block] == [
        ("The lake is the road for the people who live here. Without the ferry there is no way "
         "out.", "Marina Kuznetsova, a village head")
    ]
    assert not any("road for the people" in p for p in fields.paragraphs)


def test_seed_quotes() -> None:
    quotes = extract("mt_split_seed").fields.quotes
    assert [(q.speaker, q.kind, q.paragraph) for q in quotes] == [("David Lesch", "inline", 8)]
    assert not any("eliminate terrorism" in q.text for q in quotes)


def test_image_src_query_is_stripped() -> None:
    images = extract("mt_news_updated").fields.images
    assert [i.src for i in images] == [
        "https://static.themoscowtimes.com/image/article_1360/ab/ferry.jpg",
        "https://static.themoscowtimes.com/image/1360/ef/pier.jpg",
        "https://static.themoscowtimes.com/image/1920/11/deck.jpg",
        "https://static.themoscowtimes.com/image/1920/22/cabin.jpg",
    ]
    assert [i.role for i in images] == ["featured", "inline", "inline", "inline"]
    assert all("?" not in i.src for i in extract("mt_gallery").fields.images)


def test_related_href_is_stable_across_render_dates() -> None:
    expected, html = load("mt_news_updated")
    day1 = extract_page(expected["url"], html).fields.related
    next_day = html.replace(b"/2025/03/14/", b"/2025/03/15/")
    day2 = extract_page(expected["url"], next_day).fields.related
    assert day1 == day2
    assert "https://www.themoscowtimes.com/0000/00/00/ice-closes-lake-ferry-early" in [
        r.url for r in day1
    ]


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        ("https://www.themoscowtimes.com/2025/03/14/older-story",
         "https://www.themoscowtimes.com/0000/00/00/older-story"),
        ("https://www.themoscowtimes.com/2026/12/31/older-story/",
         "https://www.themoscowtimes.com/0000/00/00/older-story"),
        ("http://127.0.0.1:8765/2025/03/14/older-story?x=1#top",
         "http://127.0.0.1:8765/0000/00/00/older-story"),
        ("https://www.themoscowtimes.com/news", "https://www.themoscowtimes.com/news"),
    ],
)
def test_normalise_related_href(href: str, expected: str) -> None:
    assert normalise_related_href(href) == expected


def test_related_excludes_sidebar_and_cluster_but_keeps_in_body_article_links() -> None:
    urls = [r.url for r in extract("mt_news_updated").fields.related]
    assert urls == [
        "https://www.themoscowtimes.com/2023/11/02/bus-line-to-the-north-opens-a11999",
        "https://www.themoscowtimes.com/0000/00/00/ice-closes-lake-ferry-early",
        "https://example.org/lake-guide",
    ]


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://www.themoscowtimes.com/2020/01/07/putin-a68828", "moscowtimes:68828"),
        ("https://www.themoscowtimes.com/2020/01/07/putin-a68828/pdf", "moscowtimes:68828"),
        ("https://www.themoscowtimes.com/2020/01/07/putin-a68828?utm=x", "moscowtimes:68828"),
        ("https://www.themoscowtimes.com/articles/some-story-12345", "moscowtimes:12345"),
        ("https://www.themoscowtimes.com/2020/01/07/a-bare-slug", None),
        ("https://www.themoscowtimes.com/archive/old-bridge-reopens", None),
    ],
)
def test_article_key_from_url(url: str, key: str | None) -> None:
    assert MoscowTimes.article_key_from_url(url) == key


def test_local_copy_is_recognised_by_markup() -> None:
    _, html = load("mt_news_updated")
    local = html.replace(b"https://www.themoscowtimes.com/", b"http://127.0.0.1:8765/")
    extraction = extract_page("http://127.0.0.1:8765/2024/01/05/ferry-a12345", local)
    assert extraction.site == "moscowtimes"
    assert extraction.article_key == "moscowtimes:12345"
    assert extraction.canonical_url.startswith("http://127.0.0.1:8765/")
    assert "http://127.0.0.1:8765/2023/11/02/bus-line-to-the-north-opens-a11999" in [
        r.url for r in extraction.fields.related
    ]
    assert extraction.fields.paragraphs == extract("mt_news_updated").fields.paragraphs


def test_invalid_website_json_ld_does_not_break_extraction() -> None:
    _, html = load("mt_opinion")
    assert b'"url":"https://www.themoscowtimes.com/",}' in html
    assert extract("mt_opinion").fields.published_at == "2024-03-07T09:00:00+03:00"


def test_adapter_extract_accepts_text_and_encoding() -> None:
    _, html = load("mt_split_seed")
    adapter = registry["moscowtimes"]()
    from_bytes = adapter.extract(NEWS_URL, html, encoding="utf-8")
    from_text = adapter.extract(NEWS_URL, html.decode("utf-8"))
    assert from_bytes == from_text
