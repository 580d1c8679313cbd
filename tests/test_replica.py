"""The Moscow Times replica: real HTTP behaviour, markup quirks, revisions and noise."""

from __future__ import annotations

import json
import logging
import os
import re
import socket
from collections.abc import Iterator
from xml.etree import ElementTree

import lxml.html
import pytest

from tests.replica.client import Replica, ReplicaError
from tests.replica.seo import description, share_image

logger = logging.getLogger(__name__)

SEED = 68828
SEED_PATH = (
    "2020/01/07/putin-makes-rare-visit-to-syria-meets-assad-amid-middle-east-tensions-a68828"
)
HEADLINE_1 = "Putin Makes Rare Visit to Syria, Meets Assad Amid Middle East Tensions"
HEADLINE_2 = "Putin Makes Surprise Visit to Syria, Meets Assad Amid Middle East Tensions"


@pytest.fixture(scope="module")
def server() -> Iterator[Replica]:
    with Replica.start() as replica:
        yield replica


@pytest.fixture
def rep(server: Replica) -> Replica:
    """The module's replica, reset to its YAML before each test."""
    server.reset()
    return server


def page(rep: Replica, path: str = SEED_PATH) -> lxml.html.HtmlElement:
    resp = rep.fetch(path)
    assert resp.status == 200, resp.status
    return lxml.html.fromstring(resp.text)


def content_text(doc: lxml.html.HtmlElement) -> str:
    """Text of div.article__content with banner subtrees dropped (the extractor's view)."""
    (content,) = doc.cssselect("div.article__content")
    for banner in content.cssselect('[y-name="banner"], [y-use="Banner"]'):
        banner.drop_tree()
    return " ".join(content.text_content().split())


def paragraphs(doc: lxml.html.HtmlElement) -> list[str]:
    return [
        " ".join(p.text_content().split())
        for p in doc.cssselect("div.article__content > div.article__block--html > p")
    ]


def byline_time(doc: lxml.html.HtmlElement) -> tuple[bool, str, str]:
    (details,) = doc.cssselect("div.byline__details__column")
    (time_el,) = details.cssselect("time.byline__datetime")
    return "Updated:" in details.text_content(), time_el.get("datetime"), time_el.text


# ---- HTTP behaviour ------------------------------------------------------------------------


def test_canonical_page_is_200_with_the_sites_cache_header(rep: Replica) -> None:
    assert rep.article_url(SEED) == rep.url(SEED_PATH)
    resp = rep.fetch(SEED_PATH)
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
    assert resp.headers["Cache-Control"] == "max-age=300, 300, public"
    assert resp.headers["ETag"] is None and resp.headers["Last-Modified"] is None
    doc = lxml.html.fromstring(resp.text)
    assert doc.cssselect("link[rel=canonical]")[0].get("href") == rep.url(SEED_PATH)
    assert doc.cssselect("base")[0].get("href") == rep.base_url


@pytest.mark.parametrize(
    "path",
    [
        "2020/01/07/some-old-wording-a68828",  # wrong slug, right id
        "2020/01/08/putin-makes-rare-visit-to-syria-meets-assad-amid-middle-east-tensions-a68828",
        "articles/putin-in-damascus-68828",  # legacy /articles/{…-NNNN}
        "news/putin-in-damascus-68828",  # legacy /news/{…-NNNN}
    ],
)
def test_non_canonical_paths_301_with_an_empty_body(rep: Replica, path: str) -> None:
    resp = rep.fetch(path)
    assert resp.status == 301
    assert resp.headers["Location"] == rep.url(SEED_PATH)
    assert resp.body == b""
    assert resp.headers["Cache-Control"] == "max-age=300, 300, public"


def test_related_card_href_is_a_bare_slug_that_301s(rep: Replica) -> None:
    doc = page(rep)
    (card,) = doc.cssselect("aside.article__related-article a.related-article__inner")
    href = card.get("href")
    assert re.fullmatch(
        re.escape(rep.base_url)
        + r"\d{4}/\d{2}/\d{2}/russias-lavrov-irans-zarif-discuss-soleimani-killing",
        href,
    )
    assert card.cssselect("h3.related-article__title")[0].text == (
        "Russia's Lavrov, Iran's Zarif Discuss Soleimani Killing"
    )
    resp = rep.fetch(href)
    assert resp.status == 301
    assert resp.headers["Location"] == rep.article_url(68797)
    assert rep.fetch(resp.headers["Location"]).status == 200


@pytest.mark.parametrize(
    "path",
    [
        "2020/01/07/nothing-here-a99999",
        "2099/01/01/scheduled-replica-story-a68900",
        "articles/x-99999",
    ],
)
def test_unknown_or_scheduled_article_is_a_soft_404(rep: Replica, path: str) -> None:
    resp = rep.fetch(path)
    assert resp.status == 200
    assert resp.headers["Cache-Control"] == "max-age=300, 300, public"
    doc = lxml.html.fromstring(resp.text)
    assert "page-item" in doc.body.get("class").split()
    assert doc.cssselect("article.page > header.page__header > h1 + h2")
    assert doc.cssselect("div.page__intro")
    assert not doc.cssselect("div.article__content")


def test_unmatched_path_is_a_real_404(rep: Replica) -> None:
    resp = rep.fetch("no/such/route/here")
    assert resp.status == 404
    assert "<title>Oops</title>" in resp.text
    assert rep.fetch("202/01/07/short-year-a68828").status == 404


def test_unpublish_and_publish(rep: Replica) -> None:
    rep.unpublish(SEED)
    doc = page(rep)
    assert doc.cssselect("header.page__header") and not doc.cssselect("h1 a")
    rep.publish(SEED)
    assert page(rep).cssselect("#article-id-68828")


def test_set_slug_moves_the_canonical_and_the_old_url_301s(rep: Replica) -> None:
    old = rep.article_url(SEED)
    rep.set_slug(SEED, "putin-visits-damascus")
    new = rep.article_url(SEED)
    assert new == rep.url("2020/01/07/putin-visits-damascus-a68828")
    resp = rep.fetch(old)
    assert resp.status == 301 and resp.headers["Location"] == new
    assert rep.fetch(new).status == 200


def test_query_string_redirect_is_an_option(rep: Replica) -> None:
    assert rep.fetch(SEED_PATH + "?utm_source=x").status == 200
    rep.set_options(redirect_query=True)
    resp = rep.fetch(SEED_PATH + "?utm_source=x")
    assert resp.status == 301 and resp.headers["Location"] == rep.url(SEED_PATH)


def test_conditional_option_adds_etag_and_304(rep: Replica) -> None:
    rep.set_options(conditional=True)
    first = rep.fetch(SEED_PATH)
    etag, last_modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag and last_modified == "Tue, 07 Jan 2020 10:47:00 GMT"
    assert rep.fetch(SEED_PATH, headers={"If-None-Match": etag}).status == 304
    assert rep.fetch(SEED_PATH, headers={"If-Modified-Since": last_modified}).status == 304
    rep.set_revision(SEED, 2)
    assert rep.fetch(SEED_PATH, headers={"If-None-Match": etag}).status == 200


def test_stats_count_requests_per_path(rep: Replica) -> None:
    rep.fetch(SEED_PATH)
    rep.fetch(SEED_PATH, method="HEAD")
    rep.fetch("robots.txt")
    assert rep.hits(SEED_PATH) == 2
    assert rep.hits(rep.url("robots.txt")) == 1
    stats = rep.stats()
    assert stats["total"] == 3
    assert [e["method"] for e in stats["log"]] == ["GET", "HEAD", "GET"]


def test_feed_and_robots(rep: Replica) -> None:
    resp = rep.fetch("rss/news")
    assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/xml")
    channel = ElementTree.fromstring(resp.body).find("channel")
    assert channel is not None
    links = [item.findtext("link") for item in channel.iter("item")]
    assert rep.url(SEED_PATH) in links
    assert channel.findtext("ttl") == "600"
    assert "Disallow: /__replica__/" in rep.fetch("robots.txt").text


def test_every_article_and_listing_page_renders(rep: Replica) -> None:
    for article in rep.state()["articles"]:
        expected = 200
        resp = rep.fetch(article["url"])
        assert resp.status == expected, article["url"]
        doc = lxml.html.fromstring(resp.text)
        if article["id"] == 68900:  # scheduled for 2099
            assert doc.cssselect("header.page__header")
        else:
            assert doc.cssselect(f"#article-id-{article['id']}"), article["url"]
    for path in ["", "news", "opinion", "business/1", "tag/middle-east", "author/reuters"]:
        resp = rep.fetch(path)
        assert resp.status == 200 and "page__header" not in resp.text, path
    assert "page__header" in rep.fetch("tag/no-such-tag").text


def test_control_errors_are_reported(rep: Replica) -> None:
    with pytest.raises(ReplicaError, match="unknown revision 9"):
        rep.set_revision(SEED, 9)
    with pytest.raises(ReplicaError, match="unknown option"):
        rep.set_options(bogus=True)


# ---- markup ----------------------------------------------------------------------------------


def test_head_metas_follow_the_spec(rep: Replica) -> None:
    resp = rep.fetch(SEED_PATH)
    head = resp.text.split("</head>")[0]
    # fmt: off
    order = ['name="googlebot"', "<base href=", 'property="og:site_name"', "<title>",
             'rel="canonical"', 'name="keywords"', 'name="news_keywords"', 'name="description"',
             'name="thumbnail"', 'name="author"', 'property="og:url"',
             'property="article:modified_time"', 'property="article:published_time"',
             'property="article:section"', "NewsArticle", "BreadcrumbList", "main.css?v=",
             "NewsMediaOrganization", '"WebSite"']
    # fmt: on
    positions = [head.index(marker) for marker in order]
    assert positions == sorted(positions)
    assert "og:type" not in head
    assert '<meta property="twitter:title"' in head and '<meta name="twitter:title"' not in head
    doc = lxml.html.fromstring(resp.text)
    meta = {m.get("name") or m.get("property"): m.get("content") for m in doc.cssselect("meta")}
    assert doc.findtext(".//title") == f"{HEADLINE_1} - The Moscow Times"
    assert meta["keywords"] == "Putin,Syria,Assad,Iran,middle east"
    assert meta["article:section"] == "news"
    assert meta["description"].startswith("Vladimir Putin met Bashar al-Assad in Damascus")
    assert meta["description"].endswith("in the country's civil war.")
    assert meta["og:image"] == rep.url(
        "static/image/og/d9/68828__d95ddfe8db8b9c7cc122c4a94e2d69ec.jpg"
    )


def test_json_ld_news_article_parses_and_website_block_does_not(rep: Replica) -> None:
    rep.set_options(noise=False)
    text = rep.fetch(SEED_PATH).text
    blocks = re.findall(r'<script type="application/ld\+json"([^>]*)>(.*?)</script>', text, re.S)
    assert len(blocks) == 4
    tagged = [body for attrs, body in blocks if "data-json-ld-for-pagemetadata" in attrs]
    article, crumbs = (json.loads(body) for body in tagged)
    keys = "@context @type dateCreated datePublished dateModified name headline description"
    assert list(article)[:8] == keys.split()
    assert list(article)[-2:] == ["creator", "author"]
    assert article["@type"] == "NewsArticle" and article["headline"] == HEADLINE_1
    assert article["datePublished"] == "2020-01-07T13:42:00+03:00"
    assert article["author"] == {
        "@type": "Person",
        "name": "Reuters",
        "description": None,
        "image": rep.url("static/avatar_default.jpg"),
        "url": rep.url("author/reuters"),
    }
    assert '"http:\\/\\/schema.org\\/"' in tagged[0]
    assert [i["name"] for i in crumbs["itemListElement"]] == [
        "The Moscow Times",
        "News",
        HEADLINE_1,
    ]
    json.loads(blocks[2][1])  # NewsMediaOrganization is valid
    with pytest.raises(json.JSONDecodeError):
        json.loads(blocks[3][1])  # WebSite has the trailing comma


def test_non_ascii_is_escaped_in_json_ld(rep: Replica) -> None:
    text = rep.fetch(rep.article_url(68822)).text
    assert "\\u2014" in text and "\\u2212" in text  # em dash and minus sign in the description


def test_header_byline_and_featured_image(rep: Replica) -> None:
    doc = page(rep)
    assert doc.cssselect("header.article__header h1 a")[0].get("href") == rep.url(SEED_PATH)
    assert doc.cssselect("header.article__header h1 + h2")[0].text is None  # empty <h2> quirk
    assert not doc.cssselect("span.article__label")
    assert byline_time(doc) == (False, "2020-01-07T13:42:00+03:00", "Jan. 7, 2020")
    caption = doc.cssselect(".article__featured-image__caption")[0].text.strip()
    assert caption.endswith("during a 2018 meeting in the Russian Black Sea resort city of Sochi.")
    assert doc.cssselect(".article__featured-image__credits")[0].text.strip() == "Zuma / TASS"
    tags = [a.text for a in doc.cssselect("div.article__tags a.tag.article__tags__tag")]
    assert tags == ["Putin", "Syria", "Assad", "Iran", "Middle east"]


def test_opinion_variant_and_three_author_byline(rep: Replica) -> None:
    resp = rep.fetch(rep.article_url(68815))
    doc = lxml.html.fromstring(resp.text)
    assert doc.cssselect("span.label.article__label.label--opinion")[0].text == "opinion"
    assert 'class="article__byline byline byline--opinion "' in resp.text
    author = doc.cssselect("div.byline__author")[0].text_content()
    assert author == "By Anna Replica, Boris Placeholder and Clara Fixture"
    assert doc.cssselect("div.article__disclaimer")
    meta = {m.get("name") or m.get("property"): m.get("content") for m in doc.cssselect("meta")}
    assert meta["description"] == "Opinion | Mr."  # the naive sentence splitter
    assert meta["article:section"] == "news"  # the helper bug


def test_body_blocks_ads_and_split_paragraph(rep: Replica) -> None:
    text = rep.fetch(SEED_PATH).text
    doc = lxml.html.fromstring(text)
    wrappers = doc.cssselect('div.article__content > div[data-id="article-block-type"]')
    kinds = [w.get("class").split()[1].removeprefix("article__block--") for w in wrappers]
    assert kinds[:4] == ["html", "article", "html", "html"]
    assert {"image", "header", "quote", "link"} <= set(kinds)
    assert all(w.get("class").endswith("article__block--column ") for w in wrappers)
    # in-body slots only inside the second wrapper (noise may drop a slot, so check absence)
    for i, wrapper in enumerate(wrappers):
        if i != 1:
            assert not wrapper.cssselect('[y-name="banner"]')
    assert re.search(
        r"architect of Iranian</p>\s*</div>\s*<div data-id=\"article-block-type\""
        r"[^>]*>\s*<p>military operations in the Middle East",
        text,
    )
    joined = " ".join(paragraphs(doc)[2:4])
    assert "as the architect of Iranian military operations in the Middle East, had just" in joined
    (quote,) = doc.cssselect("blockquote.article__quote")
    assert quote.getnext().tag == "cite" and quote.getnext().text.startswith("\u2013 ")
    assert any(
        "especially as Iran's position has been indelibly weakened" in p for p in paragraphs(doc)
    )
    (link,) = doc.cssselect("div.article__link a")
    assert link.get("href") == rep.article_url(68790)


def test_contribute_banner_paragraphs_are_outside_the_content(rep: Replica) -> None:
    doc = page(rep)
    assert doc.cssselect("div.article__content-container > div.contribute-banner > p")
    assert not doc.cssselect("div.article__content div.contribute-banner")
    assert len(doc.cssselect("div.social")) == 2
    cards = doc.cssselect("section.cluster div.col-3.col-6-sm")
    assert len(cards) == 4


# ---- revisions and noise -------------------------------------------------------------------


def test_set_revision_changes_the_headline_not_the_url(rep: Replica) -> None:
    assert page(rep).cssselect("h1 a")[0].text == HEADLINE_1
    info = rep.set_revision(SEED, 2)
    assert info["revision"] == 2 and info["url"] == rep.url(SEED_PATH)
    doc = page(rep)
    assert doc.cssselect("h1 a")[0].text == HEADLINE_2
    assert doc.findtext(".//title") == f"{HEADLINE_2} - The Moscow Times"
    assert byline_time(doc)[0] is False  # saved 9 minutes after publication


def test_revision_series(rep: Replica) -> None:
    rep.set_options(noise=False)
    texts = {}
    for n in range(1, 8):
        rep.set_revision(SEED, n)
        doc = page(rep)
        meta = {m.get("property"): m.get("content") for m in doc.cssselect("meta[property]")}
        texts[n] = (
            content_text(doc),
            byline_time(doc),
            meta["article:modified_time"],
            doc.cssselect(".article__featured-image__caption")[0].text.strip(),
        )
    assert "may have been weakened, since Soleimani was in many ways Iran" in texts[3][0]
    assert texts[3][1] == (True, "2020-01-07T14:30:00+03:00", "Jan. 7, 2020")
    assert "during a May 2018 meeting" in texts[4][3]
    assert texts[5][:2] == texts[4][:2] and texts[5][3] == texts[4][3]  # noise only
    assert texts[5][2] != texts[4][2]  # ... apart from the DB timestamp
    assert "delivered greetings" in texts[5][0] and "delivered greetings" not in texts[6][0]
    assert "launch of the TurkStream gas pipeline" in texts[6][0]
    assert texts[6][1] == (True, "2020-01-08T09:15:00+03:00", "Jan. 8, 2020")
    assert texts[7][0] != texts[6][0] and texts[7][1:3] == texts[6][1:3]  # silent edit
    assert "Old City of Damascus, including the 8th-century" in texts[7][0]


def test_noise_changes_every_request_but_not_the_article_text(rep: Replica) -> None:
    first, second = rep.fetch(SEED_PATH).text, rep.fetch(SEED_PATH).text
    assert first != second
    tokens = [re.findall(r'data-replica-analytics="(\w+)"', t) for t in (first, second)]
    assert len(tokens[0]) == 1 and tokens[0] != tokens[1]
    assert re.findall(r"main\.css\?v=(\d+)", first)
    one, two = lxml.html.fromstring(first), lxml.html.fromstring(second)
    assert content_text(one) == content_text(two)
    assert paragraphs(one) == paragraphs(two)
    assert re.search(r'article_1360/8e/putin-assad-sochi-2018\.jpg\?t=\d+"', first)


def test_noise_off_gives_byte_identical_pages(rep: Replica) -> None:
    rep.set_options(noise=False)
    first, second = rep.fetch(SEED_PATH).body, rep.fetch(SEED_PATH).body
    assert first == second
    assert b"?t=" not in first


def test_patch_and_set_article(rep: Replica) -> None:
    rep.patch_article(
        SEED, {"set": {"subtitle": "A new dek"}, "blocks": [{"remove": "pull-quote"}]}
    )
    doc = page(rep)
    assert doc.cssselect("header.article__header h2")[0].text == "A new dek"
    assert not doc.cssselect("blockquote.article__quote")
    content = rep.article(SEED)["content"]
    content["headline"] = "Replaced Wholesale"
    rep.set_article(SEED, content)
    assert page(rep).cssselect("h1 a")[0].text == "Replaced Wholesale"
    rep.reset()
    assert page(rep).cssselect("h1 a")[0].text == HEADLINE_1


def test_js_body_option_moves_the_body_into_a_script(rep: Replica) -> None:
    rep.set_options(js_body=True)
    doc = page(rep)
    assert not paragraphs(doc)
    assert doc.cssselect("div.article__content script#replica-article-body")


# ---- pure helpers and lifecycle ------------------------------------------------------------


def test_description_and_share_image_helpers() -> None:
    block = {"type": "html", "paragraphs": ['He said "Go." Then left.', "Second."]}
    assert description({"blocks": [{"type": "header", "text": "x"}, block]}) == 'He said "Go."'
    assert description({"blocks": [], "type": "video"}) == "Video | "
    assert share_image("S/", 72490) == "S/image/og/89/72490__897164c9a6008b121e00a388c14eaf75.jpg"


def test_stop_leaves_no_process_behind() -> None:
    replica = Replica.start()
    pid, port = replica.proc.pid, int(replica.base_url.rsplit(":", 1)[1].strip("/"))
    with replica:
        assert replica.fetch("robots.txt").status == 200
    assert replica.proc.returncode == 0  # clean exit on SIGTERM
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass
    replica.stop()  # idempotent


def test_start_reports_a_dying_process() -> None:
    with pytest.raises(ReplicaError, match="exited with code"):
        Replica.start(site_dir="/nonexistent/replica-site")
