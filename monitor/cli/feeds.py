"""Commands for news feeds: `editwatch feeds check` tracks the new stories they announce."""

from __future__ import annotations

import logging

import click

from crawler.feeds import FeedConfigError, FeedResult, feed_rules
from monitor.cli.options import AppContext, UsageError, check_config

logger = logging.getLogger(__name__)


@click.group()
def feeds() -> None:
    """Follow news feeds (`feeds:` in the config) to track new stories automatically."""


@feeds.command("check")
@click.pass_obj
def check_feeds(app: AppContext) -> None:
    """Read each configured feed now and track its new matching stories.

    Prints each article added and one line per feed. Exit code 2 when a feed failed.
    """
    check_config(app.config)
    try:
        rules = feed_rules(app.config)
    except FeedConfigError as exc:
        raise UsageError(str(exc)) from None
    if not rules:
        raise UsageError("no feeds in the config file (feeds: [{url: https://.../rss/news}])")
    app.sessions  # noqa: B018  (migrate, and fail with one line, before crawling)
    from monitor.crawl import run_with_reactor
    from monitor.feedpoll import poll_feeds_report

    results = run_with_reactor(lambda: poll_feeds_report(app.db_url, app.config))
    for result in results:
        for article_id, url in result.added:
            click.echo(f"{'added':<10} #{article_id} {url}")
    for result in results:
        click.echo(_summary(result))
    failed = [result for result in results if result.error]
    if len(results) < len(rules):
        raise UsageError(f"{len(rules) - len(results)} feed(s) were not read")
    if failed:
        raise UsageError(f"{failed[0].feed}: {failed[0].error}")


def _summary(result: FeedResult) -> str:
    if result.error:
        return f"{'error':<10} {result.feed}: {result.error}"
    return (
        f"{'feed':<10} {result.feed}: {result.entries} entries, {result.matched} matched,"
        f" {len(result.added)} new"
    )


COMMANDS = (feeds,)
