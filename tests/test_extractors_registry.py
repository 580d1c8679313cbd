"""Adapter registry, adapter choice and refusal of non-HTML bodies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from parsel import Selector

from crawler.extractors import (
    ExtractionError,
    Extractor,
    choose_extractor,
    extract_page,
    registry,
)

DATA = Path(__file__).resolve().parent / "data" / "extractor"
PLAIN = (
    "<html><head><title>Local news</title></head><body><h1>Local news</h1>"
    "<p>Some text about a town.</p></body></html>"
)


def test_registry_has_the_adapters() -> None:
    assert {"moscowtimes", "generic"} <= set(registry)


@pytest.mark.parametrize("kind", sorted(registry))
def test_every_kind_has_docstring_domains_and_methods(kind: str) -> None:
    cls = registry[kind]
    assert cls.kind == kind
    assert (cls.__doc__ or "").strip()
    assert isinstance(cls.domains, tuple)
    assert all(isinstance(d, str) and d == d.lower() for d in cls.domains)
    if kind != "generic":
        assert cls.domains, "a site adapter names its domains"
    assert isinstance(cls.signature_score("https://example.org/", Selector(text=PLAIN)), int)
    assert cls.article_key_from_url("https://example.org/") is None
    assert callable(cls().extract)


def test_subclass_without_docstring_is_refused() -> None:
    with pytest.raises(TypeError, match="docstring"):

        class NoDoc(Extractor, kind="nodoc-test"):
            pass

    assert "nodoc-test" not in registry


def test_duplicate_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="already registered"):

        class Again(Extractor, kind="generic"):
            """Duplicate."""


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://www.themoscowtimes.com/2020/01/07/x-a1", "moscowtimes"),
        ("https://themoscowtimes.com/2020/01/07/x-a1", "moscowtimes"),
        ("https://static.themoscowtimes.com/anything", "moscowtimes"),
        ("https://WWW.THEMOSCOWTIMES.COM/news", "moscowtimes"),
        ("https://notthemoscowtimes.com/news", "generic"),
        ("https://example.org/news/story", "generic"),
    ],
)
def test_choose_by_domain(url: str, kind: str) -> None:
    assert choose_extractor(url, Selector(text=PLAIN)).kind == kind


@pytest.mark.parametrize("fixture", ["mt_news_updated", "mt_gallery", "mt_soft404"])
def test_choose_by_signature_on_local_host(fixture: str) -> None:
    sel = Selector(text=(DATA / f"{fixture}.html").read_text(encoding="utf-8"))
    assert choose_extractor("http://127.0.0.1:8765/some/path", sel).kind == "moscowtimes"


def test_signature_score_levels() -> None:
    mt = registry["moscowtimes"]
    page = Selector(text=(DATA / "mt_news_updated.html").read_text(encoding="utf-8"))
    assert mt.signature_score("http://127.0.0.1/", page) >= 5
    assert mt.signature_score("http://127.0.0.1/", Selector(text=PLAIN)) == 0


def test_generic_fallback() -> None:
    extraction = extract_page("http://127.0.0.1:9999/story?x=1#top", PLAIN)
    assert extraction.site == "generic"
    assert extraction.article_key == "http://127.0.0.1:9999/story"
    assert extraction.fields.headline == "Local news"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty"),
        (b"   \n\t ", "empty"),
        ("", "empty"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", "PDF"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary"),
        (json.dumps({"html": "<html><body>x</body></html>", "id": 1}).encode(), "JSON"),
        (b'[{"id": 1, "time": "2024-01-05T14:30:00+03:00", "body": []}]', "JSON"),
        (b"just some plain text without markup", "no <html>"),
        (b"<hr><div class='lazy-loaded article-container'>fragment</div>", "no <html>"),
        (b"<html><head></head><body>   </body></html>", "without any text"),
    ],
)
def test_non_html_bodies_raise_extraction_error(body: bytes | str, message: str) -> None:
    with pytest.raises(ExtractionError, match=message) as caught:
        extract_page("https://www.themoscowtimes.com/2020/01/07/x-a1", body)
    assert "\n" not in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_encoding_argument_is_used() -> None:
    html = "<html><head><title>Zürich</title></head><body><h1>Zürich</h1></body></html>"
    extraction = extract_page("https://example.org/z", html.encode("latin-1"), encoding="latin-1")
    assert extraction.fields.headline == "Zürich"
