"""Commands that change what is tracked or fetch it: add, list, check."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import click
from rich.console import Console
from rich.table import Table
from rich.tree import Tree
from sqlalchemy.orm import Session

from crawler.extractors.identity import provisional_key
from monitor.cli.options import (
    AppContext,
    UsageError,
    check_config,
    check_url,
    parse_duration,
)
from storage.models import Article, Check, Revision
from storage.queries import (
    add_article,
    checks_since,
    find_article,
    last_check_id,
    list_articles,
    revision_count,
)

logger = logging.getLogger(__name__)

PROGRESS_AFTER = 3  # show a progress bar when checking more articles than this


@click.command()
@click.argument("urls", nargs=-1, required=True, metavar="URL...")
@click.option("--every", metavar="DURATION", help="Pin the check interval (30s, 10m, 2h, 1d).")
@click.pass_obj
def add(app: AppContext, urls: Sequence[str], every: str | None) -> None:
    """Start tracking one or more article URLs (checked at the next `check`)."""
    interval = parse_duration(every).total_seconds() if every else None
    if interval is not None and interval <= 0:
        raise UsageError("--every must be longer than zero")
    checked = [check_url(url) for url in urls]
    with app.sessions.begin() as session:
        for url in checked:
            article, created = add_article(
                session, url, provisional_key(url), interval_seconds=interval
            )
            verb = "tracking" if created else "already tracked"
            click.echo(f"{verb} #{article.id} {url}")


@click.command("list")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--tree", is_flag=True, help="Show related articles under the article linking them.")
@click.pass_obj
def list_(app: AppContext, fmt: str, tree: bool) -> None:
    """List tracked articles with their revision counts and next check."""
    with app.sessions.begin() as session:
        rows = [(a, revision_count(session, a.id)) for a in list_articles(session)]
    if tree and fmt == "table":
        _print_tree([a for a, _ in rows], {a.id: count for a, count in rows})
        return
    if fmt == "json":
        click.echo(json.dumps([_article_json(a, count) for a, count in rows], indent=2))
        return
    if not rows:
        click.echo("nothing tracked yet: editwatch add URL")
        return
    table = Table(box=None, header_style="bold")
    for name in ("#", "revisions", "last checked", "next check", "url"):
        table.add_column(name)
    for article, count in rows:
        table.add_row(
            str(article.id),
            str(count),
            _when(article.last_checked_at),
            _when(article.next_check_at) if article.active else "stopped",
            article.url,
        )
    Console(soft_wrap=True).print(table)


def _article_json(article: Article, revisions: int) -> dict[str, object]:
    return {
        "id": article.id,
        "url": article.url,
        "article_key": article.article_key,
        "site": article.site,
        "active": article.active,
        "revisions": revisions,
        "depth": article.depth,
        "found_on": article.found_on_id,
        "interval_seconds": article.interval_seconds,
        "last_checked_at": article.last_checked_at.isoformat() if article.last_checked_at else None,
        "next_check_at": article.next_check_at.isoformat(),
    }


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if hasattr(value, "strftime") else "-"


@click.command()
@click.argument("urls", nargs=-1, metavar="[URL...]")
@click.option("--exit-code", is_flag=True, help="Exit 1 when any article changed.")
@click.pass_obj
def check(app: AppContext, urls: Sequence[str], exit_code: bool) -> None:
    """Fetch articles now (all tracked ones by default) and report what changed.

    An untracked URL is added first. Exit code 2 when any fetch failed.
    """
    check_config(app.config)
    targets = _targets(app, urls)
    if not targets:
        click.echo("nothing tracked yet: editwatch add URL")
        return
    with app.sessions.begin() as session:
        before = last_check_id(session)
    from monitor.crawl import run_once  # Scrapy and Twisted load only for commands that crawl

    with _progress(len(targets)) as advance:
        run_once(app.db_url, targets, {"EDITWATCH_CONFIG": app.config}, on_page=advance)
    with app.sessions.begin() as session:
        checks = checks_since(session, before)
        lines = [_describe(session, check) for check in checks]
        failed = [c for c in checks if c.result == "error"]
        changed = [c for c in checks if c.result == "changed"]
    for line in lines:
        click.echo(line)
    if len(checks) < len(targets):
        raise UsageError(f"{len(targets) - len(checks)} article(s) were not checked")
    if failed:
        first = failed[0]
        raise UsageError(f"{first.url}: {first.error}")
    if exit_code and changed:
        raise click.exceptions.Exit(1)


@contextmanager
def _progress(total: int) -> Iterator[Callable[[object], None]]:
    """A progress bar on stderr when checking more than a few articles on a terminal."""
    if total <= PROGRESS_AFTER or not sys.stderr.isatty():
        yield lambda _page: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    columns = (BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress("checking", *columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("check", total=total)
        yield lambda _page: bar.advance(task)


def _targets(app: AppContext, urls: Sequence[str]) -> list[tuple[int, str]]:
    checked = [check_url(url) for url in urls]
    with app.sessions.begin() as session:
        if not checked:
            return [(a.id, a.url) for a in list_articles(session) if a.active]
        targets = []
        for url in checked:
            article = find_article(session, url) or find_article(session, provisional_key(url))
            if article is None:
                article, _ = add_article(session, url, provisional_key(url))
            targets.append((article.id, article.url))
        return targets


def _describe(session: Session, check: Check) -> str:
    article = session.get(Article, check.article_id)
    url = article.url if article else check.url
    if check.result == "error":
        return f"error      {url}: {check.error}"
    revision = session.get(Revision, check.revision_id) if check.revision_id else None
    if revision is None:
        return f"{check.result:<10} {url}"
    kinds = ", ".join(dict.fromkeys(change.kind for change in revision.changes))
    summary = f"revision {revision.number}" + (f": {kinds}" if kinds else "")
    if revision.silent:
        summary += " [silent]"
    return f"{check.result:<10} {url} ({summary})"


def _print_tree(articles: Sequence[Article], counts: dict[int, int]) -> None:
    """Articles under the article they were found on (`list --tree`)."""
    children: dict[int | None, list[Article]] = {}
    for article in articles:
        children.setdefault(article.found_on_id, []).append(article)
    tree = Tree("tracked articles", guide_style="dim")

    def grow(branch: Tree, parent: int | None) -> None:
        for article in children.get(parent, []):
            state = "" if article.active else " [stopped]"
            label = f"#{article.id} {article.url} ({counts[article.id]} revisions){state}"
            grow(branch.add(label), article.id)

    grow(tree, None)
    tty = sys.stdout.isatty()
    # In a pipe nothing should be cut: URLs are what a reader copies.
    Console(no_color=not tty, width=None if tty else 10_000).print(tree)


COMMANDS = (add, list_, check)
