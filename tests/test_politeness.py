"""Politeness: robots.txt, the User-Agent, conditional GET, retries with backoff."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from scrapy import Request
from scrapy.utils.test import get_crawler
from sqlalchemy import create_engine, text

from crawler.middlewares import BackoffRetryMiddleware
from crawler.render import user_agent
from crawler.spiders.articles import ArticleSpider
from tests.conftest import CliResult, CliRunner
from tests.replica.client import Replica

SEED = 68828
ADDONS = {"crawler.render.ConfigAddon": 0}
PAGE = (
    b"<html><head><title>A test story</title></head><body><article><h1>A test story</h1>"
    + b"<p>" + b"A paragraph long enough to be read as the text of an article. " * 4 + b"</p>"
    + b"<p>A second paragraph, so the main-text finder has something to hold.</p>"
    + b"</article></body></html>"
)  # fmt: skip


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    at: float


@dataclass
class TinySite:
    """A 127.0.0.1 server whose answers the test scripts: path -> list of (status, body)."""

    answers: dict[str, list[tuple[int, bytes]]] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def paths(self) -> list[str]:
        return [hit.path for hit in self.hits]


@pytest.fixture
def tiny() -> Iterator[TinySite]:
    site = TinySite()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            site.hits.append(Hit(self.path, dict(self.headers.items()), time.monotonic()))
            queue = site.answers.get(self.path)
            status, body = (queue.pop(0) if len(queue) > 1 else queue[0]) if queue else (404, b"")
            self.send_response(status)
            kind = "text/plain" if self.path == "/robots.txt" else "text/html; charset=utf-8"
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    site.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def config_file(tmp_path: Path) -> Callable[[dict[str, Any]], str]:
    def write(config: dict[str, Any]) -> str:
        path = tmp_path / "config.yaml"
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        return str(path)

    return write


def rows(db_url: str, sql: str) -> list[Any]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(sql)))
    finally:
        engine.dispose()


def error_line(result: CliResult) -> str:
    assert result.code == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


# -- the User-Agent ---------------------------------------------------------------------------


def test_contact_url_goes_into_the_user_agent() -> None:
    assert user_agent({}) is None
    assert user_agent({"contact": "https://example.org/about"}) == (
        "editwatch/0.1 (+https://example.org/about; news revision monitor)"
    )
    with pytest.raises(ValueError, match="contact"):
        user_agent({"contact": "me (at) home"})


def test_config_addon_sets_the_user_agent_and_nothing_for_rendering() -> None:
    config = {"contact": "mailto:desk@x.org"}
    crawler = get_crawler(ArticleSpider, {"ADDONS": ADDONS, "EDITWATCH_CONFIG": config})
    settings = crawler.settings
    assert settings["USER_AGENT"] == "editwatch/0.1 (+mailto:desk@x.org; news revision monitor)"
    assert "playwright" not in str(settings.getdict("DOWNLOAD_HANDLERS"))
    assert not settings.getbool("EDITWATCH_RENDER")


def test_a_broken_contact_leaves_the_default_user_agent(caplog: pytest.LogCaptureFixture) -> None:
    config = {"contact": "me (at) home"}
    crawler = get_crawler(ArticleSpider, {"ADDONS": ADDONS, "EDITWATCH_CONFIG": config})
    assert "editwatch" not in crawler.settings["USER_AGENT"]  # Scrapy's default here
    assert "contact must be" in caplog.text


@pytest.mark.slow
def test_requests_carry_the_configured_user_agent(
    tiny: TinySite, editwatch: CliRunner, config_file: Callable[[dict[str, Any]], str]
) -> None:
    tiny.answers = {"/robots.txt": [(200, b"")], "/story": [(200, PAGE)]}
    path = config_file({"contact": "https://newsroom.example.org/editwatch"})
    result = editwatch("--config", path, "check", tiny.url("/story"))
    assert result.code == 0, result
    agents = {hit.path: hit.headers["User-Agent"] for hit in tiny.hits}
    expected = "editwatch/0.1 (+https://newsroom.example.org/editwatch; news revision monitor)"
    assert agents == {"/robots.txt": expected, "/story": expected}


# -- robots.txt -------------------------------------------------------------------------------


@pytest.mark.slow
def test_robots_disallow_is_an_error_check_and_robots_false_fetches(
    tiny: TinySite, editwatch: CliRunner, db_url: str, config_file: Callable[[dict[str, Any]], str]
) -> None:
    tiny.answers = {
        "/robots.txt": [(200, b"User-agent: *\nDisallow: /private/\n")],
        "/private/story": [(200, PAGE)],
    }
    line = error_line(editwatch("check", tiny.url("/private/story")))
    assert "forbidden by robots.txt" in line
    assert tiny.paths() == ["/robots.txt"]  # the page itself was never asked for
    checks = rows(db_url, "SELECT result, error FROM article_check")
    assert [tuple(c) for c in checks] == [("error", "forbidden by robots.txt")]

    path = config_file({"sites": {"127.0.0.1": {"robots": False}}})
    result = editwatch("--config", path, "check", tiny.url("/private/story"))
    assert result.code == 0, result
    assert result.stdout.startswith("new")
    assert "/private/story" in tiny.paths()


def test_robots_false_marks_the_request() -> None:
    crawler = get_crawler(
        ArticleSpider, {"EDITWATCH_CONFIG": {"sites": {"example.org": {"robots": False}}}}
    )
    spider = ArticleSpider.from_crawler(crawler)
    config = crawler.settings.getdict("EDITWATCH_CONFIG")
    skipped = spider.request(1, "https://www.example.org/a", {}, config, render=False)
    obeyed = spider.request(2, "https://example.com/a", {}, config, render=False)
    assert skipped.meta.get("dont_obey_robotstxt") is True
    assert "dont_obey_robotstxt" not in obeyed.meta
    assert "playwright" not in skipped.meta


# -- conditional GET --------------------------------------------------------------------------


@pytest.mark.slow
def test_second_check_is_conditional_and_304_is_unchanged(
    replica: Replica, editwatch: CliRunner, db_url: str
) -> None:
    replica.set_options(conditional=True, noise=False)
    url = replica.article_url(SEED)
    first = editwatch("check", url)
    assert first.code == 0 and first.stdout.startswith("new"), first
    replica.clear_stats()
    second = editwatch("check", url)
    assert second.code == 0 and second.stdout.startswith("unchanged"), second
    page = [e for e in replica.stats()["log"] if e["path"].endswith(f"-a{SEED}")]
    assert [e["status"] for e in page] == [304]  # validators sent, the site said "not modified"
    article = rows(db_url, "SELECT id, etag, last_modified FROM article ORDER BY id")[0]
    assert article.etag and article.last_modified
    checks = rows(db_url, f"SELECT result, status FROM article_check WHERE article_id={article.id}")
    assert [tuple(c) for c in checks] == [("new", 200), ("unchanged", 304)]
    revisions = rows(db_url, f"SELECT count(*) FROM revision WHERE article_id={article.id}")
    assert revisions[0][0] == 1

    replica.set_revision(SEED, 2)  # an edit changes the ETag: a full 200 and a new revision
    third = editwatch("check", url)
    assert third.code == 0 and third.stdout.startswith("changed"), third


def test_validators_become_request_headers() -> None:
    spider = ArticleSpider.from_crawler(get_crawler(ArticleSpider))
    saved = {"etag": '"abc"', "last_modified": "Tue, 07 Jan 2020 10:47:00 GMT"}
    request = spider.request(1, "https://example.org/a", saved, {}, render=False)
    assert request.headers[b"If-None-Match"] == b'"abc"'
    assert request.headers[b"If-Modified-Since"] == b"Tue, 07 Jan 2020 10:47:00 GMT"


# -- retries with backoff ---------------------------------------------------------------------


@pytest.mark.slow
def test_503_twice_then_200_succeeds_after_backing_off(
    tiny: TinySite, editwatch: CliRunner, db_url: str
) -> None:
    tiny.answers = {
        "/robots.txt": [(200, b"")],
        "/story": [(503, b"busy"), (503, b"busy"), (200, PAGE)],
    }
    result = editwatch("check", tiny.url("/story"))
    assert result.code == 0, result
    assert result.stdout.startswith("new")
    story = [hit.at for hit in tiny.hits if hit.path == "/story"]
    assert len(story) == 3
    first_wait, second_wait = story[1] - story[0], story[2] - story[1]
    assert 0.7 <= first_wait < 2.5  # ~1 s, then ~2 s: EDITWATCH_RETRY_BACKOFF doubled
    assert second_wait >= 1.4 and second_wait > first_wait
    assert [tuple(c) for c in rows(db_url, "SELECT result, status FROM article_check")] == [
        ("new", 200)
    ]


@pytest.mark.slow
def test_server_that_always_fails_is_one_error_check(
    tiny: TinySite, editwatch: CliRunner, db_url: str
) -> None:
    tiny.answers = {"/robots.txt": [(200, b"")], "/story": [(500, b"oops")]}
    line = error_line(editwatch("check", tiny.url("/story")))
    assert line.endswith("HTTP 500")
    assert tiny.paths().count("/story") == 3  # the first try and RETRY_TIMES = 2 retries
    assert [tuple(c) for c in rows(db_url, "SELECT result, status FROM article_check")] == [
        ("error", 500)
    ]


def test_backoff_doubles_and_honours_retry_after() -> None:
    crawler = get_crawler(
        ArticleSpider, {"EDITWATCH_RETRY_BACKOFF": 2.0, "EDITWATCH_RETRY_BACKOFF_MAX": 5.0}
    )
    middleware = BackoffRetryMiddleware.from_crawler(crawler)
    first = Request("https://example.org/a", meta={"retry_times": 1})
    second = Request("https://example.org/a", meta={"retry_times": 2})
    third = Request("https://example.org/a", meta={"retry_times": 3})
    assert 1.5 <= middleware.delay(first, None) <= 2.5
    assert 3.0 <= middleware.delay(second, None) <= 5.0
    assert middleware.delay(third, None) == 5.0  # capped
    assert middleware.delay(first, b"3") == 3.0
    assert middleware.delay(first, b"3600") == 5.0
    assert 0.0 <= middleware.delay(first, b"Wed, 21 Oct 2015 07:28:00 GMT") <= 0.0
    assert 1.5 <= middleware.delay(first, b"soon") <= 2.5  # unreadable: the usual backoff
