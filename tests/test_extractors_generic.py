"""The generic adapter: metadata from JSON-LD/OpenGraph, main text on real pages.

Thresholds sit a little under the figures measured with bench/bench_extract.py
(AEB first 40 pages F1 0.979; trafilatura subset with 0.916 / without 0.960;
readability headlines 28/32).
"""

from __future__ import annotations

import gzip
import json
import re
import statistics
from collections import Counter
from pathlib import Path

import pytest

from crawler.extractors import registry
from crawler.normalize import typographic_key

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="shared/corpus not present")
TOKEN = re.compile(r"\w+")

PAGE = """<!DOCTYPE html><html><head>
<title>Bridge Opens After Long Delay | Example Gazette</title>
<meta property="og:site_name" content="Example Gazette">
<meta property="og:title" content="Bridge Opens After Long Delay | Example Gazette">
<link rel="canonical" href="/news/2024/bridge-opens?utm_source=x#top">
<meta property="article:tag" content="Roads">
<script type="application/ld+json">{"@context": "https://schema.org", "@graph": [
  {"@type": "WebSite", "name": "Example Gazette",},
  {"@type": "ReportageNewsArticle", "headline": "Bridge Opens After Long Delay",
   "datePublished": "2024-02-01T08:00:00Z", "dateModified": "2024-02-01T09:00:00Z",
   "articleSection": "Local", "keywords": ["Roads", "City"],
   "author": [{"@type": "Person", "name": "Jane Roe"}, {"@type": "Person", "name": "Li Wei"}]}
]}</script>
</head><body>
<nav class="menu"><a href="/">Home</a> <a href="/news">News</a></nav>
<div class="sidebar"><p>Most read: something else entirely, with commas, and more.</p></div>
<article class="story">
  <h1>Bridge Opens After Long Delay</h1>
  <div class="story-body">
    <p>The new bridge over the river opened on Thursday, three years later than planned, after
       a long dispute between the city, the builder and the regional government.</p>
    <figure><img src="/img/bridge.jpg?w=800"><figcaption>The bridge at dawn.</figcaption></figure>
    <p>“We are very happy that people can finally cross the river here,” said Mayor Ann Smith,
       speaking at the opening ceremony, which hundreds of residents attended.</p>
    <p>Traffic on the old crossing is expected to fall by half, according to the city's own
       estimates, which were published last year and revised in the spring.</p>
  </div>
</article>
<footer><p>Copyright Example Gazette, all rights reserved, 2024.</p></footer>
</body></html>"""


def _generic(url: str, body: bytes | str):
    return registry["generic"]().extract(url, body)


def test_metadata_from_json_ld_graph_and_opengraph() -> None:
    extraction = _generic("https://gazette.example/news/2024/bridge-opens", PAGE)
    fields = extraction.fields
    assert extraction.site == "generic"
    assert extraction.canonical_url == (
        "https://gazette.example/news/2024/bridge-opens?utm_source=x#top"
    )
    assert extraction.article_key == "https://gazette.example/news/2024/bridge-opens"
    assert fields.headline == "Bridge Opens After Long Delay"
    assert fields.authors == ["Jane Roe", "Li Wei"]
    assert fields.published_at == "2024-02-01T08:00:00Z"
    assert fields.modified_at == "2024-02-01T09:00:00Z"
    assert fields.label == "Local"
    assert fields.tags == ["Roads", "City"]


def test_main_text_paragraphs_images_and_quotes() -> None:
    fields = _generic("https://gazette.example/news/2024/bridge-opens", PAGE).fields
    assert len(fields.paragraphs) == 3
    assert fields.paragraphs[0].startswith("The new bridge over the river opened")
    assert not any("Most read" in p or "Copyright" in p or "Home" in p for p in fields.paragraphs)
    assert [(i.src, i.caption) for i in fields.images] == [
        ("https://gazette.example/img/bridge.jpg", "The bridge at dawn.")
    ]
    assert [(q.speaker, q.paragraph) for q in fields.quotes] == [("Ann Smith", 1)]


def test_title_site_suffix_without_site_name() -> None:
    page = PAGE.replace('<meta property="og:site_name" content="Example Gazette">', "")
    page = re.sub(r'<script type="application/ld\+json">.*?</script>', "", page, flags=re.S)
    assert _generic("https://gazette.example/b", page).fields.headline == (
        "Bridge Opens After Long Delay"
    )


def _shingles(text: str) -> Counter[tuple[str, ...]]:
    tokens = TOKEN.findall(text)
    return Counter(tuple(tokens[i : i + 4]) for i in range(max(1, len(tokens) - 3)))


@needs_corpus
def test_body_f1_on_aeb_sample() -> None:
    folder = CORPUS / "scrapinghub-aeb"
    truth = json.loads((folder / "ground-truth.json").read_text(encoding="utf-8"))
    precisions, recalls = [], []
    for key in sorted(truth)[:40]:
        html = gzip.decompress((folder / "html" / f"{key}.html.gz").read_bytes())
        got = _shingles("\n".join(_generic(truth[key]["url"], html).fields.paragraphs))
        want = _shingles(truth[key]["articleBody"])
        tp = sum((got & want).values())
        precisions.append(tp / max(1, sum(got.values())))
        recalls.append(tp / max(1, sum(want.values())))
    p, r = statistics.mean(precisions), statistics.mean(recalls)
    assert 2 * p * r / (p + r) >= 0.95


@needs_corpus
def test_trafilatura_snippets() -> None:
    folder = CORPUS / "trafilatura"
    data = json.loads((folder / "evaldata-subset.json").read_text(encoding="utf-8"))
    found = absent = n_with = n_without = 0
    for url, item in data.items():
        body = _generic(url, (folder / "html" / item["file"]).read_bytes()).fields.paragraphs
        text = typographic_key("\n".join(body))
        found += sum(typographic_key(s) in text for s in item["with"])
        absent += sum(typographic_key(s) not in text for s in item["without"])
        n_with += len(item["with"])
        n_without += len(item["without"])
    assert found / n_with >= 0.88
    assert absent / n_without >= 0.94


@needs_corpus
@pytest.mark.parametrize(
    "name", ["reuters.com.parasite.html", "bbc.com.52241221.html", "theguardian.com.academics.html",
             "tagesschau.de.rheinmetall.html", "latimes.com.bloomberg.html"],
)
def test_trafilatura_pages_fully_right(name: str) -> None:
    folder = CORPUS / "trafilatura"
    data = json.loads((folder / "evaldata-subset.json").read_text(encoding="utf-8"))
    url, item = next((u, i) for u, i in data.items() if i["file"] == name)
    text = typographic_key("\n".join(
        _generic(url, (folder / "html" / name).read_bytes()).fields.paragraphs
    ))
    assert all(typographic_key(s) in text for s in item["with"])
    assert not any(typographic_key(s) in text for s in item["without"])


@needs_corpus
def test_readability_headlines() -> None:
    pages = sorted(p for p in (CORPUS / "readability").iterdir() if p.is_dir())
    right = 0
    for page in pages:
        want = json.loads((page / "expected-metadata.json").read_text(encoding="utf-8"))["title"]
        got = _generic("https://example.com/", (page / "source.html").read_bytes()).fields.headline
        right += typographic_key(got).lower() == typographic_key(want or "").lower()
    assert right / len(pages) >= 0.84
