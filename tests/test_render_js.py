"""JS-built pages: sites or articles marked `render` go through the system Chromium."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from scrapy.utils.test import get_crawler
from sqlalchemy import create_engine, text
from twisted.python.failure import Failure

from crawler.extractors import extract_page
from crawler.render import (
    LAUNCH_ARGS,
    PLAYWRIGHT_HANDLER,
    find_chromium,
    render_settings,
    wants_render,
)
from crawler.spiders.articles import ArticleSpider, describe_failure
from tests.conftest import CliRunner
from tests.replica.client import Replica

SEED = 68828
OTHER = 68797
RENDER_SITE = {"sites": {"127.0.0.1": {"render": True}}}


@pytest.fixture
def chromium() -> str:
    """The system browser; missing is a failure on CI and a skip elsewhere."""
    found = find_chromium()
    if found is None:
        message = "no Chromium: install the Debian package chromium (scripts/system-deps.sh)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture
def config_file(tmp_path: Path) -> Callable[[dict[str, Any]], str]:
    def write(config: dict[str, Any]) -> str:
        path = tmp_path / "config.yaml"
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        return str(path)

    return write


def stored_fields(db_url: str, url_part: str) -> list[dict[str, Any]]:
    """`fields` of each revision of the article whose URL contains `url_part`."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            found = connection.execute(
                text(
                    "SELECT r.fields FROM revision r JOIN article a ON a.id = r.article_id"
                    " WHERE a.url LIKE :part ORDER BY r.number"
                ),
                {"part": f"%{url_part}%"},
            )
            return [yaml.safe_load(row[0]) if isinstance(row[0], str) else row[0] for row in found]
    finally:
        engine.dispose()


def static_paragraphs(replica: Replica, article_id: int) -> list[str]:
    """What the page says when its body is plain HTML (js_body off)."""
    url = replica.article_url(article_id)
    paragraphs: list[str] = extract_page(url, replica.fetch(url).body).fields.paragraphs
    assert len(paragraphs) >= 3
    return paragraphs


def processes_with(marker: str) -> list[str]:
    """Command lines of live processes whose environment carries `marker` (ours only)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker.encode() in (entry / "environ").read_bytes():
                found.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:
            continue
    return found


# -- settings, without a browser --------------------------------------------------------------


def test_nothing_is_configured_without_a_render_site() -> None:
    assert render_settings({}) == {}
    assert render_settings({"sites": {"example.org": {"robots": False}}}) == {}


def test_render_site_configures_playwright_with_the_system_chromium(tmp_path: Path) -> None:
    browser = tmp_path / "chromium"
    browser.write_text("#!/bin/sh\n")
    browser.chmod(0o755)
    settings = render_settings(RENDER_SITE, {"EDITWATCH_CHROMIUM": str(browser)})
    assert settings["DOWNLOAD_HANDLERS"] == {
        "http": PLAYWRIGHT_HANDLER,
        "https": PLAYWRIGHT_HANDLER,
    }
    assert settings["PLAYWRIGHT_BROWSER_TYPE"] == "chromium"
    options = settings["PLAYWRIGHT_LAUNCH_OPTIONS"]
    assert options["executable_path"] == str(browser)
    assert options["headless"] is True
    assert list(LAUNCH_ARGS) == options["args"]
    assert {"--headless", "--no-sandbox", "--disable-gpu"} <= set(options["args"])
    assert settings["EDITWATCH_RENDER"] is True


def test_missing_chromium_is_one_line_not_an_install(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-browser")
    assert find_chromium({"EDITWATCH_CHROMIUM": missing}) is None
    settings = render_settings(RENDER_SITE, {"EDITWATCH_CHROMIUM": missing})
    assert set(settings) == {"EDITWATCH_RENDER_ERROR"}
    assert missing in settings["EDITWATCH_RENDER_ERROR"]
    assert "\n" not in settings["EDITWATCH_RENDER_ERROR"]


def test_sites_and_single_articles_can_be_marked_render() -> None:
    config = {
        "sites": {"spa.example.org": {"render": True}},
        "render_urls": ["https://news.example.com/live/*", "re:-a68828$"],
    }
    assert wants_render(config, "https://www.spa.example.org/story")
    assert wants_render(config, "https://news.example.com/live/2026/vote")
    assert wants_render(config, "https://www.themoscowtimes.com/2020/01/07/x-a68828")
    assert not wants_render(config, "https://news.example.com/world/vote")
    assert not wants_render(config, "https://www.themoscowtimes.com/2020/01/07/x-a68797")
    assert render_settings({"render_urls": ["re:x"]}, {"EDITWATCH_CHROMIUM": "/nope"})


def test_only_render_pages_are_sent_to_the_browser() -> None:
    crawler = get_crawler(
        ArticleSpider, {"EDITWATCH_CONFIG": RENDER_SITE, "EDITWATCH_RENDER": True}
    )
    spider = ArticleSpider.from_crawler(crawler)
    rendered = spider.request(1, "http://127.0.0.1:8000/a", {}, RENDER_SITE, render=True)
    plain = spider.request(2, "https://example.org/a", {}, RENDER_SITE, render=False)
    assert rendered.meta["playwright"] is True
    assert "playwright" not in plain.meta
    saved = {"etag": '"v1"', "last_modified": "Tue, 07 Jan 2020 10:47:00 GMT"}
    whole = spider.request(1, "http://127.0.0.1:8000/a", saved, RENDER_SITE, render=True)
    assert b"If-None-Match" not in whole.headers  # a browser cannot show a 304
    assert b"If-Modified-Since" not in whole.headers


def test_browser_failures_are_one_line() -> None:
    error = Exception(
        "Page.goto: net::ERR_CONNECTION_REFUSED at http://127.0.0.1:9/a\nCall log:\n  - navigating"
    )
    assert describe_failure(Failure(error)) == (
        "browser could not load the page: net::ERR_CONNECTION_REFUSED"
    )


# -- against the replica ----------------------------------------------------------------------


@pytest.mark.slow
def test_js_page_without_render_has_no_paragraphs(
    replica: Replica, editwatch: CliRunner, db_url: str
) -> None:
    replica.set_options(js_body=True)
    result = editwatch("check", replica.article_url(SEED))
    assert result.code == 0, result
    # The headline is in the static HTML, so a revision is stored, but the body is not.
    [fields] = stored_fields(db_url, f"-a{SEED}")
    assert fields["headline"].startswith("Putin Makes Rare Visit")
    assert fields["paragraphs"] == []


@pytest.mark.slow
def test_missing_chromium_is_a_one_line_error_check(
    replica: Replica,
    editwatch: CliRunner,
    config_file: Callable[[dict[str, Any]], str],
    tmp_path: Path,
) -> None:
    missing = str(tmp_path / "no-such-browser")
    result = editwatch(
        "--config", config_file(RENDER_SITE), "check", replica.article_url(SEED),
        env={"EDITWATCH_CHROMIUM": missing},
    )  # fmt: skip
    assert result.code == 2, result
    [line] = result.stderr.strip().splitlines()
    assert f"cannot render the page: EDITWATCH_CHROMIUM={missing} is not an executable" in line
    assert replica.hits(replica.article_url(SEED)) == 0


@pytest.mark.slow
@pytest.mark.browser
def test_render_site_is_tracked_with_its_script_built_body(
    chromium: str,
    replica: Replica,
    editwatch: CliRunner,
    db_url: str,
    config_file: Callable[[dict[str, Any]], str],
) -> None:
    expected = static_paragraphs(replica, SEED)
    replica.set_options(js_body=True, conditional=True)
    marker = f"EDITWATCH_TEST_MARKER={uuid.uuid4().hex}"
    name, value = marker.split("=")
    url = replica.article_url(SEED)
    result = editwatch("--config", config_file(RENDER_SITE), "check", url, env={name: value})
    assert result.code == 0, result
    assert result.stdout.startswith("new")
    [fields] = stored_fields(db_url, f"-a{SEED}")
    assert fields["paragraphs"] == expected
    assert processes_with(marker) == []  # Chromium and the Playwright driver are gone

    same = editwatch("--config", config_file(RENDER_SITE), "check", url)
    assert same.code == 0 and same.stdout.startswith("unchanged"), same

    replica.set_revision(SEED, 2)  # edits are seen through the browser too
    again = editwatch("--config", config_file(RENDER_SITE), "check", url)
    assert again.code == 0 and again.stdout.startswith("changed"), again
    assert len(stored_fields(db_url, f"-a{SEED}")) == 2


@pytest.mark.slow
@pytest.mark.browser
def test_single_article_marked_render(
    chromium: str,
    replica: Replica,
    editwatch: CliRunner,
    db_url: str,
    config_file: Callable[[dict[str, Any]], str],
) -> None:
    expected = static_paragraphs(replica, SEED)
    replica.set_options(js_body=True)
    config = config_file({"render_urls": [f"re:-a{SEED}$"]})
    urls = [replica.article_url(SEED), replica.article_url(OTHER)]
    result = editwatch("--config", config, "check", *urls)
    assert result.code == 0, result
    assert stored_fields(db_url, f"-a{SEED}")[0]["paragraphs"] == expected
    assert stored_fields(db_url, f"-a{OTHER}")[0]["paragraphs"] == []
