"""Commands for running editwatch for weeks: daemon, status."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import click
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.cli.options import AppContext, check_alerting, parse_duration
from storage import Alert, Article, Check
from storage.models import utcnow
from storage.queries import heartbeats

logger = logging.getLogger(__name__)

ALIVE_WITHIN = timedelta(seconds=30)


@click.command()
@click.option("--tick", default="5s", show_default=True, help="How often to look for due articles.")
@click.option("--batch", default=2000, show_default=True, help="Most articles per dispatch.")
@click.option("--lease", default="10m", show_default=True, help="Re-check a claimed article after this if its check never finished.")
@click.option("--run-for", metavar="DURATION", help="Stop by itself after this long.")
@click.pass_obj
def daemon(app: AppContext, tick: str, batch: int, lease: str, run_for: str | None) -> None:
    """Check due articles on their schedule and deliver alerts, until SIGTERM/SIGINT."""
    from monitor.crawl import run_with_reactor
    from monitor.daemon import Daemon, DaemonOptions

    options = DaemonOptions(
        tick=parse_duration(tick).total_seconds(),
        batch=batch,
        lease=parse_duration(lease),
        run_for=parse_duration(run_for).total_seconds() if run_for else None,
    )
    check_alerting(app.config)
    app.sessions  # noqa: B018  (migrate, and fail with one line, before the loop starts)
    worker = Daemon(app.db_url, app.config, options)
    code = run_with_reactor(worker.run, twisted_signals=False)
    raise click.exceptions.Exit(code)


def _count(session: Session, query: Any) -> int:
    return int(session.scalar(query) or 0)


def status_data(session: Session) -> dict[str, Any]:
    """Figures for the operator: tracked, due, checks and errors, outbox, daemons."""
    now = utcnow()
    data: dict[str, Any] = {
        "articles": _count(session, select(func.count(Article.id))),
        "active": _count(session, select(func.count(Article.id)).where(Article.active.is_(True))),
        "due_now": _count(
            session,
            select(func.count(Article.id)).where(
                Article.active.is_(True), Article.next_check_at <= now
            ),
        ),
        "next_check_at": None,
        "checks": {},
        "outbox": {},
        "daemons": [],
    }
    upcoming = session.scalar(select(func.min(Article.next_check_at)).where(Article.active.is_(True)))
    data["next_check_at"] = upcoming.isoformat() if upcoming else None
    for label, span in (("last_hour", timedelta(hours=1)), ("last_day", timedelta(days=1))):
        since = now - span
        rows = session.execute(
            select(Check.result, func.count()).where(Check.checked_at >= since).group_by(Check.result)
        ).all()
        data["checks"][label] = {result: count for result, count in rows}
    for state, count in session.execute(select(Alert.state, func.count()).group_by(Alert.state)):
        data["outbox"][state] = count
    for row in heartbeats(session):
        alive = row.state == "running" and now - row.beat_at < ALIVE_WITHIN
        data["daemons"].append(
            {"name": row.name, "alive": alive, "state": row.state, "beat_at": row.beat_at.isoformat()}
        )
    return data


@click.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.pass_obj
def status(app: AppContext, fmt: str) -> None:
    """What the daemon is doing: tracked, due, recent checks and errors, outbox, heartbeat."""
    with app.sessions.begin() as session:
        data = status_data(session)
    if fmt == "json":
        click.echo(json.dumps(data, indent=2))
        return
    click.echo(f"articles: {data['articles']} tracked, {data['active']} active, {data['due_now']} due now")
    click.echo(f"next check: {data['next_check_at'] or '-'}")
    for label, counts in data["checks"].items():
        summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"
        click.echo(f"checks {label.replace('_', ' ')}: {summary}")
    outbox = ", ".join(f"{k} {v}" for k, v in sorted(data["outbox"].items())) or "empty"
    click.echo(f"alert outbox: {outbox}")
    alive = [d for d in data["daemons"] if d["alive"]]
    if alive:
        for entry in alive:
            click.echo(f"daemon: running ({entry['name']}, last beat {entry['beat_at']})")
    else:
        last = data["daemons"][0]["beat_at"] if data["daemons"] else "never"
        click.echo(f"daemon: not running (last beat {last})")


COMMANDS = (daemon, status)
