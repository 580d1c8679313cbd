"""New articles from feeds: parsing RSS/Atom, the filters, and `editwatch feeds check`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from crawler.feeds import (
    FeedConfigError,
    FeedEntry,
    FeedError,
    FeedRule,
    feed_interval,
    feed_rules,
    parse_feed,
)
from tests.conftest import REPO, CliResult
from tests.replica.client import Replica

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Desk</title><link>https://news.example.org/</link>
  <item><title>Kremlin  says
     <![CDATA[<b>no</b>]]> comment</title><link>https://news.example.org/politics/kremlin-a1</link>
    <description>Short &amp; sweet.</description><category>Politics</category>
    <category>Russia</category></item>
  <item><title>Relative link</title><link>/business/ruble-a2</link></item>
  <item><title>Guid only</title><guid>https://news.example.org/world/guid-a3</guid></item>
  <item><title>Not a permalink</title><guid isPermaLink="false">tag:x,1</guid></item>
  <item><title>Mail link</title><link>mailto:desk@example.org</link></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Blog</title>
  <entry><title type="html">First post</title>
    <link rel="self" href="https://blog.example.org/api/1"/>
    <link rel="alternate" href="https://blog.example.org/2026/first"/>
    <category term="climate"/><summary>About the weather.</summary></entry>
  <entry><title>Second</title><link href="second"/><content>Body text</content></entry>
</feed>"""

RDF = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
  <channel rdf:about="https://old.example.org/"><title>Old</title></channel>
  <item rdf:about="https://old.example.org/a"><title>Old style</title>
    <link>https://old.example.org/a</link><description>RSS 1.0</description></item>
</rdf:RDF>"""


def rule(**options: Any) -> FeedRule:
    return FeedRule.from_config({"url": "https://news.example.org/rss/news", **options}, 0)


# -- parsing ----------------------------------------------------------------------------------


def test_rss2_entries() -> None:
    entries = parse_feed(RSS, "https://news.example.org/rss/news")
    assert entries == [
        FeedEntry(
            "https://news.example.org/politics/kremlin-a1",
            "Kremlin says <b>no</b> comment",
            ("Politics", "Russia"),
            "Short & sweet.",
        ),
        FeedEntry("https://news.example.org/business/ruble-a2", "Relative link"),
        FeedEntry("https://news.example.org/world/guid-a3", "Guid only"),
    ]


def test_atom_and_rss1_entries() -> None:
    atom = parse_feed(ATOM, "https://blog.example.org/feed.atom")
    assert atom == [
        FeedEntry("https://blog.example.org/2026/first", "First post", ("climate",),
                  "About the weather."),
        FeedEntry("https://blog.example.org/second", "Second", (), "Body text"),
    ]  # fmt: skip
    assert parse_feed(RDF) == [FeedEntry("https://old.example.org/a", "Old style", (), "RSS 1.0")]


@pytest.mark.parametrize(
    "body", [b"<html><body><p>a page</p></body></html>", b"", b"\x00\x01 not xml", b"<rss><"]
)
def test_not_a_feed(body: bytes) -> None:
    with pytest.raises(FeedError, match="not a feed"):
        parse_feed(body)


def test_entities_are_not_expanded() -> None:
    hostile = (
        b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<rss><channel><item><title>&x;</title><link>https://a.example/1</link></item>"
        b"</channel></rss>"
    )
    [entry] = parse_feed(hostile)
    assert "root" not in entry.title


def test_replica_feed_parses(replica: Replica) -> None:
    entries = parse_feed(replica.fetch(replica.url("rss/news")).body, replica.url("rss/news"))
    assert len(entries) == 3
    assert entries[0].link == replica.article_url(68828)
    assert entries[0].title.startswith("Putin Makes Rare Visit")


# -- filters ----------------------------------------------------------------------------------


def test_keywords_are_whole_words_in_title_description_or_categories() -> None:
    kremlin = FeedEntry("https://x.org/a", "Kremlin says no", ("Politics",), "")
    ruble = FeedEntry("https://x.org/b", "Markets", (), "The ruble fell")
    assert rule(keywords=["kremlin"]).matches(kremlin)
    assert not rule(keywords=["krem"]).matches(kremlin)
    assert rule(keywords=["politics"]).matches(kremlin)
    assert rule(keywords=["Ruble", "oil"]).matches(ruble)
    assert not rule(keywords=["oil"]).matches(ruble)
    assert rule().matches(ruble)  # no filter: everything


def test_section_from_categories_link_path_or_section_feed() -> None:
    by_category = FeedEntry("https://x.org/2026/01/01/a-1", "A", ("Business",))
    by_path = FeedEntry("https://x.org/business/a-2", "B")
    bare = FeedEntry("https://x.org/2026/01/01/a-3", "C")
    business = rule(section="business")
    assert business.matches(by_category) and business.matches(by_path)
    assert not business.matches(bare)
    assert rule(section="news").matches(bare)  # the feed is /rss/news
    assert not rule(section="news").matches(by_category)  # its categories say otherwise


def test_url_pattern_glob_or_regex() -> None:
    story = FeedEntry("https://www.themoscowtimes.com/2026/05/01/a-story-a91234", "A")
    assert rule(url_pattern="https://www.themoscowtimes.com/2026/*").matches(story)
    assert not rule(url_pattern="https://www.themoscowtimes.com/2025/*").matches(story)
    assert rule(url_pattern=r"re:-a\d+$").matches(story)
    assert not rule(url_pattern=r"re:/opinion/").matches(story)
    assert rule(url_pattern=["re:/opinion/", "*-a91234"]).matches(story)


def test_all_filters_must_match_and_links_count_once() -> None:
    entries = [
        FeedEntry("https://x.org/news/a-1", "Kremlin one"),
        FeedEntry("https://x.org/news/a-1", "Kremlin one (again)"),
        FeedEntry("https://x.org/opinion/a-2", "Kremlin two"),
        FeedEntry("https://x.org/news/a-3", "Other"),
    ]
    chosen = rule(section="news", keywords=["Kremlin"], url_pattern="re:/news/").select(entries)
    assert [e.link for e in chosen] == ["https://x.org/news/a-1"]


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"feeds": {"url": "https://x.org/rss"}}, "feeds must be a list"),
        ({"feeds": [{"keywords": ["a"]}]}, r"feeds\[0\] needs a url"),
        ({"feeds": ["ftp://x.org/rss"]}, "not an http"),
        ({"feeds": [{"url": "https://x.org/rss", "sections": "a"}]}, "unknown option 'sections'"),
        ({"feeds": [{"url": "https://x.org/rss", "url_pattern": "re:("}]}, "bad regular exp"),
        ({"feeds": [{"url": "https://x.org/rss", "max_new": "lots"}]}, "max_new must be"),
        ({"feeds": [{"url": "https://x.org/rss", "max_new": -1}]}, "max_new must be"),
        ({"feeds": [{"url": "https://x.org/rss", "keywords": {"a": 1}}]}, "keywords must be"),
    ],
)
def test_bad_feed_config_is_one_line(config: dict[str, Any], message: str) -> None:
    with pytest.raises(FeedConfigError, match=message) as caught:
        feed_rules(config)
    assert "\n" not in str(caught.value)


def test_feed_rules_and_interval_from_config() -> None:
    rules = feed_rules({"feeds": ["https://x.org/rss/news", {"url": "https://y.org/atom"}]})
    assert [r.url for r in rules] == ["https://x.org/rss/news", "https://y.org/atom"]
    assert rules[0].max_new == 20
    assert feed_rules({}) == []
    assert feed_interval({}) == timedelta(minutes=10)
    assert feed_interval({"feeds_every": "30m"}) == timedelta(minutes=30)
    with pytest.raises(FeedConfigError, match="feeds_every"):
        feed_interval({"feeds_every": "often"})


# -- `editwatch feeds check` against the replica ------------------------------------------------

# The `feeds` group is registered here when monitor/cli/main.py does not list it (yet).
FEEDS_CLI = """
from monitor.cli.feeds import COMMANDS
from monitor.cli.main import cli, main
for command in COMMANDS:
    if command.name not in cli.commands:
        cli.add_command(command)
main()
"""

POLL = """
import json, sys, yaml
from monitor.crawl import run_with_reactor
from monitor.feedpoll import poll_feeds
config = yaml.safe_load(open(sys.argv[2]))
print(json.dumps(run_with_reactor(lambda: poll_feeds(sys.argv[1], config))))
"""


@pytest.fixture
def run(db_url: str, tmp_path: Path) -> Callable[..., CliResult]:
    """Run `editwatch ARGS` (or a snippet with `code=`) against this test's database."""

    def call(*args: str, code: str = FEEDS_CLI, config: dict[str, Any] | None = None) -> CliResult:
        env = {**os.environ, "EDITWATCH_DB": db_url, "NO_COLOR": "1",
               "EDITWATCH_CONFIG": str(tmp_path / "no-config.yaml")}  # fmt: skip
        if config is not None:
            path = tmp_path / "config.yaml"
            path.write_text(yaml.safe_dump(config), encoding="utf-8")
            env["EDITWATCH_CONFIG"] = str(path)
        proc = subprocess.run(
            [sys.executable, "-c", code, *args], cwd=REPO, env=env, capture_output=True,
            text=True, timeout=120, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    return call


def tracked(run: Callable[..., CliResult]) -> list[dict[str, Any]]:
    result = run("list", "--format", "json")
    assert result.code == 0, result
    articles: list[dict[str, Any]] = json.loads(result.stdout)
    return articles


def new_story(replica: Replica, article_id: int, headline: str) -> str:
    content = dict(replica.article(68797)["content"])
    content.update(id=article_id, slug=f"story-{article_id}", headline=headline,
                   published="2020-01-08T10:00:00+03:00", related=[])  # fmt: skip
    replica.set_article(article_id, content)
    return replica.article_url(article_id)


@pytest.mark.slow
def test_feed_check_tracks_matching_new_stories_once(
    replica: Replica, run: Callable[..., CliResult]
) -> None:
    feed = {"url": replica.url("rss/news"), "keywords": ["Soleimani"]}
    first = run("feeds", "check", config={"feeds": [feed]})
    assert first.code == 0, first
    lines = first.stdout.splitlines()
    added = [line for line in lines if line.startswith("added")]
    assert len(added) == 2
    assert lines[-1] == f"feed       {replica.url('rss/news')}: 3 entries, 2 matched, 2 new"
    articles = tracked(run)
    assert {a["url"] for a in articles} == {replica.article_url(68797), replica.article_url(68790)}
    assert all(a["depth"] == 0 and a["found_on"] is None and a["active"] for a in articles)
    assert all(a["article_key"] == "url:" + a["url"] for a in articles)  # provisional_key

    again = run("feeds", "check", config={"feeds": [feed]})
    assert again.code == 0, again
    assert again.stdout.splitlines() == [
        f"feed       {replica.url('rss/news')}: 3 entries, 2 matched, 0 new"
    ]

    url = new_story(replica, 69001, "Soleimani's Successor Visits Moscow")
    third = run("feeds", "check", config={"feeds": [feed]})
    assert third.stdout.splitlines()[0].endswith(url), third
    assert len(tracked(run)) == 3


@pytest.mark.slow
def test_feed_limits_and_a_failing_feed(replica: Replica, run: Callable[..., CliResult]) -> None:
    feeds = [
        {"url": replica.url("rss/no-such-section")},
        {"url": replica.url("rss/news"), "max_new": 1},
    ]
    result = run("feeds", "check", config={"feeds": feeds})
    assert result.code == 2, result
    assert result.stderr.strip() == (
        f"editwatch: error: {replica.url('rss/no-such-section')}: HTTP 404"
    )
    assert f"feed       {replica.url('rss/news')}: 3 entries, 3 matched, 1 new" in result.stdout
    assert len(tracked(run)) == 1  # the other feed was still read


@pytest.mark.slow
def test_feed_config_errors_are_usage_errors(run: Callable[..., CliResult]) -> None:
    missing = run("feeds", "check", config={})
    assert missing.code == 2 and "no feeds in the config" in missing.stderr
    bad = run("feeds", "check", config={"feeds": [{"url": "https://x.org/r", "max_new": "x"}]})
    assert bad.code == 2
    assert (
        bad.stderr.strip()
        == "editwatch: error: config: feeds[0].max_new must be a whole number >= 0, not 'x'"
    )


@pytest.mark.slow
def test_poll_feeds_for_the_daemon(
    replica: Replica, run: Callable[..., CliResult], db_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "feeds.yaml"
    feed = {"url": replica.url("rss/news"), "url_pattern": "re:-a68828$"}
    config.write_text(yaml.safe_dump({"feeds": [feed]}), encoding="utf-8")
    polled = run(db_url, str(config), code=POLL)
    assert polled.code == 0, polled
    assert json.loads(polled.stdout) == 1
    assert [a["url"] for a in tracked(run)] == [replica.article_url(68828)]
    assert json.loads(run(db_url, str(config), code=POLL).stdout) == 0
    check = run("check", config={})
    assert check.code == 0 and check.stdout.startswith("new"), check  # due at once
