"""Commands for running editwatch for weeks: daemon, status."""

from __future__ import annotations

import json
import logging
import signal
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import click
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.cli.options import AppContext, UsageError, check_config, parse_duration
from storage import Alert, Article, Check
from storage.models import utcnow
from storage.queries import check_counts, heartbeats, recent_errors, upcoming_articles

if TYPE_CHECKING:
    from monitor.daemon import DaemonOptions

logger = logging.getLogger(__name__)

#: A daemon beats every few seconds; silence for this long means it is not running.
ALIVE_WITHIN = timedelta(seconds=30)
STATUS_SCHEMA = "editwatch.status/1"
NEXT_RUNS = 5
DAEMONS_SHOWN = 5


@click.command()
@click.option("--tick", default="5s", show_default=True, help="How often to look for due articles.")
@click.option(
    "--batch", default=500, show_default=True, type=click.IntRange(min=1),
    help="Most articles claimed per dispatch, and in flight at once.",
)  # fmt: skip
@click.option(
    "--lease", default="10m", show_default=True,
    help="Re-check a claimed article after this if its check never finished (a crash).",
)  # fmt: skip
@click.option("--deliver-every", default="10s", show_default=True, help="How often to send alerts.")
@click.option("--run-for", metavar="DURATION", help="Stop by itself after this long.")
@click.option(
    "-s", "--set", "settings", multiple=True, metavar="NAME=VALUE",
    help="Override a Scrapy setting for this run, e.g. -s CONCURRENT_REQUESTS_PER_DOMAIN=8.",
)  # fmt: skip
@click.pass_obj
def daemon(
    app: AppContext,
    tick: str,
    batch: int,
    lease: str,
    deliver_every: str,
    run_for: str | None,
    settings: tuple[str, ...],
) -> None:
    """Check due articles on their schedule and deliver alerts, until SIGTERM/SIGINT.

    On SIGTERM or SIGINT it takes no new work, lets in-flight checks finish for
    a few seconds, abandons the rest (they are due again at once), and exits 0.
    """
    early = _catch_early_signals()
    options = _daemon_options(tick, batch, lease, deliver_every, run_for, settings)
    check_config(app.config)
    app.sessions  # noqa: B018  (migrate, and fail with one line, before the loop starts)
    from monitor.crawl import run_with_reactor
    from monitor.daemon import Daemon

    worker = Daemon(app.db_url, app.config, options, early_signals=early)
    code = run_with_reactor(worker.run, twisted_signals=False)
    raise click.exceptions.Exit(code)


def _catch_early_signals() -> list[int]:
    """Remember SIGTERM/SIGINT that arrive before the event loop takes them over."""
    received: list[int] = []

    def remember(signum: int, _frame: object) -> None:
        received.append(signum)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, remember)
    return received


def _daemon_options(
    tick: str,
    batch: int,
    lease: str,
    deliver_every: str,
    run_for: str | None,
    settings: tuple[str, ...],
) -> DaemonOptions:
    from monitor.daemon import DaemonOptions

    durations = {
        "--tick": parse_duration(tick),
        "--lease": parse_duration(lease),
        "--deliver-every": parse_duration(deliver_every),
    }
    for name, value in durations.items():
        if value.total_seconds() <= 0:
            raise UsageError(f"{name} must be longer than zero")
    overrides: dict[str, Any] = {}
    for entry in settings:
        key, sep, text = entry.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set wants NAME=VALUE, not {entry!r}")
        overrides[key.strip()] = text.strip()
    return DaemonOptions(
        tick=durations["--tick"].total_seconds(),
        batch=batch,
        lease=durations["--lease"],
        deliver_every=durations["--deliver-every"].total_seconds(),
        run_for=parse_duration(run_for).total_seconds() if run_for else None,
        overrides=overrides,
    )


def _count(session: Session, query: Any) -> int:
    return int(session.scalar(query) or 0)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _error_json(check: Check) -> dict[str, Any]:
    return {
        "article_id": check.article_id,
        "url": check.url,
        "checked_at": check.checked_at.isoformat(),
        "error": check.error,
    }


def status_data(session: Session, now: datetime | None = None) -> dict[str, Any]:
    """Figures for the operator: tracked, due, checks and errors, next runs, outbox, daemons."""
    now = now or utcnow()
    active = Article.active.is_(True)
    data: dict[str, Any] = {
        "schema": STATUS_SCHEMA,
        "now": now.isoformat(),
        "articles": _count(session, select(func.count(Article.id))),
        "active": _count(session, select(func.count(Article.id)).where(active)),
        "due_now": _count(
            session, select(func.count(Article.id)).where(active, Article.next_check_at <= now)
        ),
        "next_check_at": None,
        "next_runs": [
            {"id": a.id, "url": a.url, "next_check_at": a.next_check_at.isoformat()}
            for a in upcoming_articles(session, NEXT_RUNS)
        ],
        "checks": {},
        "errors": {},
        "recent_errors": [_error_json(c) for c in recent_errors(session, now - timedelta(days=1))],
        "outbox": {},
        "outbox_backlog": 0,
        "daemon_alive": False,
        "daemons": [],
    }
    if data["next_runs"]:
        data["next_check_at"] = data["next_runs"][0]["next_check_at"]
    for label, span in (("last_hour", timedelta(hours=1)), ("last_day", timedelta(days=1))):
        counts = check_counts(session, now - span)
        data["checks"][label] = counts
        data["errors"][label] = counts.get("error", 0)
    for state, count in session.execute(select(Alert.state, func.count()).group_by(Alert.state)):
        data["outbox"][state] = count
    data["outbox_backlog"] = data["outbox"].get("pending", 0)
    for row in heartbeats(session)[:DAEMONS_SHOWN]:
        alive = row.state == "running" and now - row.beat_at < ALIVE_WITHIN
        state = "unresponsive" if row.state == "running" and not alive else row.state
        data["daemons"].append(
            {"name": row.name, "alive": alive, "state": state,
             "started_at": _iso(row.started_at), "beat_at": _iso(row.beat_at)}
        )  # fmt: skip
    data["daemon_alive"] = any(d["alive"] for d in data["daemons"])
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
    for line in status_lines(data):
        click.echo(line)


def status_lines(data: dict[str, Any]) -> list[str]:
    """The text form of `status_data`."""
    lines = [
        f"articles: {data['articles']} tracked, {data['active']} active, {data['due_now']} due now"
    ]
    for label, counts in data["checks"].items():
        summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"
        lines.append(f"checks {label.replace('_', ' ')}: {summary}")
    for error in data["recent_errors"][:3]:
        lines.append(f"  error {error['checked_at']} {error['url']}: {error['error']}")
    lines.append("next checks:" if data["next_runs"] else "next checks: -")
    for run in data["next_runs"]:
        lines.append(f"  {run['next_check_at']}  #{run['id']} {run['url']}")
    outbox = ", ".join(f"{k} {v}" for k, v in sorted(data["outbox"].items())) or "empty"
    lines.append(f"alert outbox: {outbox} (backlog {data['outbox_backlog']})")
    alive = [d for d in data["daemons"] if d["alive"]]
    for entry in alive:
        lines.append(
            f"daemon: running ({entry['name']}, since {entry['started_at']}, "
            f"last beat {entry['beat_at']})"
        )
    if not alive:
        last = data["daemons"][0] if data["daemons"] else None
        detail = f"{last['state']}, last beat {last['beat_at']}" if last else "never ran"
        lines.append(f"daemon: not running ({detail})")
    return lines


COMMANDS = (daemon, status)
