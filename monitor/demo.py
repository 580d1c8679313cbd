"""`editwatch demo`: the daemon watches the seed article on the local replica through edits."""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from queue import Empty, Queue
from typing import Any

import click
from sqlalchemy.orm import Session, sessionmaker

from monitor.cli.options import AppContext, UsageError
from monitor.demo_sinks import demo_sinks, describe_delivery
from monitor.render import Renderer, get_renderer
from monitor.report import diff_report
from storage import Article, open_database
from storage.queries import add_article, checks_since, last_check_id, revisions_of

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[1]
SEED_ID = 68828
SECRET_ENV = "EDITWATCH_DEMO_WEBHOOK_SECRET"
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
# An accelerated clock: the seed is re-checked every second instead of every 15 minutes.
CHECK_EVERY_SECONDS = 1.0
STEP_TIMEOUT = 20.0


def _replica_class() -> Any:
    if not (REPO_ROOT / "tests" / "replica").is_dir():
        raise UsageError(
            "the demo needs the replica site in tests/replica (run it from a checkout)"
        )
    sys.path.insert(0, str(REPO_ROOT))
    from tests.replica.client import Replica

    return Replica


def demo_config(smtp_port: int, webhook_port: int) -> dict[str, Any]:
    """Alert channels pointing at the demo's own receivers."""
    return {
        "channels": {
            "desk-mail": {
                "kind": "email",
                "host": "127.0.0.1",
                "port": smtp_port,
                "security": "plain",
                "from": "editwatch <editwatch@localhost>",
                "to": ["desk@localhost"],
            },
            "newsroom-hook": {
                "kind": "webhook",
                "url": f"http://127.0.0.1:{webhook_port}/editwatch",
                "secret_env": SECRET_ENV,
            },
        },
        "rules": [
            {"channel": "desk-mail", "min_significance": "major"},
            {"channel": "newsroom-hook"},
        ],
    }


class DemoRun:
    """Moves the replica through the scripted revisions while the daemon watches it."""

    def __init__(self, replica: Any, db_url: str, inbox: Queue[tuple[str, Any]], color: bool):
        self.replica = replica
        self.db_url = db_url
        self.inbox = inbox
        self.color = color
        self.sessions: sessionmaker[Session] = open_database(db_url)
        width = min(shutil.get_terminal_size((100, 24)).columns, 110)
        self.renderer: Renderer = get_renderer(
            "terminal" if color else "unified", color=color, width=width
        )
        with self.sessions.begin() as session:
            url = replica.article_url(SEED_ID)
            article, _ = add_article(
                session, url, f"url:{url}", interval_seconds=CHECK_EVERY_SECONDS
            )
            self.article_id = article.id

    def say(self, text: str) -> None:
        """A section title."""
        click.echo(click.style(text, bold=True, fg="cyan") if self.color else text)

    async def drive(self, daemon: Any) -> None:
        """Walk the revisions; after each, show what the daemon stored and what alerts arrived."""
        try:
            for number, description in STEPS:
                with self.sessions.begin() as session:
                    before = last_check_id(session)
                self.replica.set_revision(SEED_ID, number)
                self.say(f"\n=== replica revision {number}: {description}")
                await self._settled(before)
                await asyncio.sleep(1.0)  # let the delivery job send this step's alerts
                self._show_alerts()
        finally:
            daemon.request_stop()

    async def _settled(self, before: int) -> None:
        """Wait for two checks that began after the page moved (one may have been in flight)."""
        deadline = time.monotonic() + STEP_TIMEOUT
        while time.monotonic() < deadline:
            with self.sessions.begin() as session:
                mine = [c for c in checks_since(session, before) if c.article_id == self.article_id]
                if len(mine) >= 2 or any(c.result in ("new", "changed", "error") for c in mine):
                    self._show_checks(session, mine)
                    return
            await asyncio.sleep(0.2)
        click.echo("no check finished in time (is the daemon running?)")

    def _show_checks(self, session: Session, checks: list[Any]) -> None:
        stored = [c for c in checks if c.result in ("new", "changed")]
        errors = [c for c in checks if c.result == "error"]
        if errors:
            click.echo(f"check failed: {errors[0].error}")
        elif not stored:
            click.echo(f"checked {len(checks)}x: no new revision (the fingerprint did not move)")
        elif stored[0].result == "new":
            click.echo("checked: first revision stored")
        else:
            revisions = revisions_of(session, self.article_id)
            article = session.get(Article, self.article_id)
            assert article is not None
            click.echo(f"checked: revision {revisions[-1].number} stored\n")
            self.renderer.write_diff(diff_report(article, revisions[-2], revisions[-1]), sys.stdout)

    def _show_alerts(self) -> None:
        while True:
            try:
                kind, payload = self.inbox.get_nowait()
            except Empty:
                return
            for line in describe_delivery(kind, payload):
                click.echo(click.style(line, fg="green") if self.color else line)

    def show_history(self) -> None:
        """The stored revisions, one line each."""
        self.say("\n=== history (editwatch history URL)")
        with self.sessions.begin() as session:
            for revision in revisions_of(session, self.article_id):
                kinds = ", ".join(dict.fromkeys(c.kind for c in revision.changes)) or "first seen"
                silent = "  [silent]" if revision.silent else ""
                click.echo(
                    f"  rev {revision.number}  {revision.fetched_at:%H:%M:%S}  {kinds}{silent}"
                )
            tracked = session.query(Article).count()
        click.echo(f"\n{tracked} articles tracked: the seed and the related articles it links to")


def _run_daemon(run: DemoRun, config: dict[str, Any]) -> None:
    from monitor.crawl import run_with_reactor
    from monitor.daemon import Daemon, DaemonOptions

    options = DaemonOptions(tick=0.3, heartbeat=1.0, deliver_every=0.5)
    daemon = Daemon(run.db_url, config, options)

    async def main() -> int:
        driver = asyncio.ensure_future(run.drive(daemon))
        code = await daemon.run()
        await driver
        return int(code)

    logging.getLogger("monitor.daemon").setLevel(logging.ERROR)
    run_with_reactor(main, twisted_signals=False)


@click.command()
@click.option("--keep", is_flag=True, help="Keep the demo database and print its path.")
@click.pass_obj
def demo(app: AppContext, keep: bool) -> None:
    """Run the daemon on a local replica of the Moscow Times while the seed article is edited.

    Shows each stored revision's diff and the e-mail and webhook alerts as they
    arrive at local receivers. Needs no network; ends by itself.
    """
    replica_class = _replica_class()
    color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    workdir = Path(tempfile.mkdtemp(prefix="editwatch-demo-"))
    db_url = f"sqlite:///{workdir / 'demo.db'}"
    os.environ.setdefault(SECRET_ENV, "demo-shared-secret")
    started = time.monotonic()
    try:
        with replica_class.start() as replica, demo_sinks(os.environ[SECRET_ENV]) as sinks:
            smtp_port, webhook_port, inbox = sinks
            run = DemoRun(replica, db_url, inbox, color)
            run.say(f"replica of themoscowtimes.com at {replica.base_url}")
            run.say(f"alerts go to SMTP 127.0.0.1:{smtp_port} and a webhook on :{webhook_port}")
            _run_daemon(run, demo_config(smtp_port, webhook_port))
            run.show_history()
    finally:
        if keep:
            click.echo(f"\ndatabase kept: {db_url}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    click.echo(f"\ndemo finished in {time.monotonic() - started:.1f} s")
