"""`editwatch demo`: track the seed article on the local replica through scripted edits."""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import click

from monitor.cli.options import AppContext, UsageError
from monitor.render import get_renderer
from monitor.report import diff_report
from storage import Article, open_database
from storage.queries import add_article, checks_since, last_check_id, revisions_of

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[1]
SEED_ID = 68828
#: What each scripted revision of the seed article does (the replica's site/ data).
STEPS = (
    (1, "first publication"),
    (2, "the headline is rewritten"),
    (3, "the David Lesch quote is softened"),
    (4, "the photo caption is changed"),
    (5, "noise only: ads, 'Most read', tokens and cache-busting URLs change"),
    (6, "a paragraph added, another removed, the 'Updated:' stamp moves"),
    (7, "a silent edit: the text changes, the update time does not"),
)
# The demo talks only to 127.0.0.1, so politeness delays would only slow it down.
DEMO_CRAWL = {"AUTOTHROTTLE_ENABLED": False, "ROBOTSTXT_OBEY": True, "LOG_LEVEL": "ERROR"}


def _replica_class() -> Any:
    if not (REPO_ROOT / "tests" / "replica").is_dir():
        raise UsageError(
            "the demo needs the replica site in tests/replica (run it from a checkout)"
        )
    sys.path.insert(0, str(REPO_ROOT))
    from tests.replica.client import Replica

    return Replica


def _say(text: str, color: bool, style: str = "bold") -> None:
    click.echo(click.style(text, bold=True, fg="cyan") if color else text)


def _walk(replica: Any, db_url: str, color: bool) -> None:
    sessions = open_database(db_url)
    url = replica.article_url(SEED_ID)
    with sessions.begin() as session:
        article, _ = add_article(session, url, f"url:{url}")
        article_id = article.id
    renderer = get_renderer("terminal" if color else "unified", color=color, width=_width())
    from monitor.crawl import Checker, run_with_reactor

    async def main() -> None:
        checker = Checker(db_url, DEMO_CRAWL)
        for number, description in STEPS:
            replica.set_revision(SEED_ID, number)
            with sessions.begin() as session:
                before = last_check_id(session)
                target = session.get(Article, article_id)
                assert target is not None
                target_url = target.url
            _say(f"\n=== replica revision {number}: {description}", color)
            await checker.check([(article_id, target_url)])
            with sessions.begin() as session:
                _report_step(session, article_id, before, renderer)

    run_with_reactor(main)
    with sessions.begin() as session:
        _say("\n=== history", color)
        for revision in revisions_of(session, article_id):
            kinds = ", ".join(dict.fromkeys(c.kind for c in revision.changes)) or "first seen"
            silent = "  [silent]" if revision.silent else ""
            click.echo(f"  rev {revision.number}  {revision.fetched_at:%H:%M:%S}  {kinds}{silent}")


def _report_step(session: Any, article_id: int, before: int, renderer: Any) -> None:
    for check in checks_since(session, before):
        if check.result == "error":
            click.echo(f"check failed: {check.error}")
        elif check.result == "unchanged":
            click.echo("checked: no new revision (the fingerprint did not move)")
        elif check.result == "new":
            click.echo("checked: first revision stored")
        else:
            revisions = revisions_of(session, article_id)
            article = session.get(Article, article_id)
            click.echo(f"checked: revision {revisions[-1].number} stored\n")
            renderer.write_diff(diff_report(article, revisions[-2], revisions[-1]), sys.stdout)


def _width() -> int:
    return min(shutil.get_terminal_size((100, 24)).columns, 110)


@click.command()
@click.option("--keep", is_flag=True, help="Keep the demo database and print its path.")
@click.pass_obj
def demo(app: AppContext, keep: bool) -> None:
    """Walk the seed article through scripted edits on a local replica and show the diffs."""
    replica_class = _replica_class()
    color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    workdir = Path(tempfile.mkdtemp(prefix="editwatch-demo-"))
    db_url = f"sqlite:///{workdir / 'demo.db'}"
    started = time.monotonic()
    try:
        with replica_class.start() as replica:
            _say(f"replica of themoscowtimes.com at {replica.base_url}", color)
            _walk(replica, db_url, color)
    finally:
        if keep:
            click.echo(f"\ndatabase kept: {db_url}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    click.echo(f"\ndemo finished in {time.monotonic() - started:.1f} s")
