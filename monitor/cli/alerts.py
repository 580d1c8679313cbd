"""`editwatch alerts`: test the configured channels, list the outbox, re-queue failed alerts."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from datetime import datetime
from pathlib import Path

import click
import platformdirs
from rich.console import Console
from rich.table import Table

from monitor.alerts import Alerting, ConfigError, load_alerting
from monitor.alerts.delivery import attempt, deliver_due, send_digests
from monitor.alerts.message import AlertMessage, sample_report
from monitor.alerts.outbox import FAILED, PENDING, list_alerts, retry_failed
from monitor.cli.options import AppContext, UsageError
from storage.models import utcnow

logger = logging.getLogger(__name__)


def config_source(ctx: click.Context) -> str | None:
    """Return the config file this run read, for "how to stop these alerts" footers."""
    path = ctx.find_root().params.get("config_path") or os.environ.get("EDITWATCH_CONFIG")
    if not path:  # the same default as monitor.cli.main.default_config_path
        default = Path(platformdirs.user_config_dir("editwatch", appauthor=False)) / "config.yaml"
        path = default if default.exists() else None
    return str(Path(path).expanduser().resolve()) if path else None


def alerting_of(ctx: click.Context, app: AppContext) -> Alerting:
    """Load the configured channels and rules, or fail with a one-line usage error."""
    try:
        alerting = load_alerting(app.config, source=config_source(ctx))
    except ConfigError as exc:
        raise UsageError(f"alert config: {exc}") from None
    if not alerting.channels:
        raise UsageError("no alert channels configured (add channels: to the config file)")
    return alerting


@click.group()
def alerts() -> None:
    """Alert channels and the alert outbox."""


@alerts.command("test")
@click.argument("channel", required=False)
@click.pass_context
def test_command(ctx: click.Context, channel: str | None) -> None:
    """Send a sample alert through each configured channel (or CHANNEL) and report the result."""
    app: AppContext = ctx.obj
    alerting = alerting_of(ctx, app)
    names = list(alerting.channels)
    if channel is not None:
        if channel not in alerting.channels:
            raise UsageError(f"no channel {channel!r} in the config (have: {', '.join(names)})")
        names = [channel]
    stamp = utcnow().strftime("%Y%m%dT%H%M%S")

    async def run_all() -> list[str | None]:
        return await asyncio.gather(
            *(
                _test_one(alerting, AlertMessage(name, f"ew-test-{stamp}-{name}", sample_report()))
                for name in names
            )
        )

    errors = asyncio.run(run_all())
    failures = []
    for name, error in zip(names, errors, strict=True):
        if error is None:
            click.echo(f"ok {name}")
        else:
            failures.append(f"channel {name}: {error}")
    if failures:
        raise UsageError("; ".join(failures))


async def _test_one(alerting: Alerting, message: AlertMessage) -> str | None:
    channel = alerting.channels[message.channel]
    return await attempt(channel, message, channel.timeout * 2, test=True)


@alerts.command("list")
@click.option("--pending", "state", flag_value=PENDING, help="Only alerts still to be sent.")
@click.option("--failed", "state", flag_value=FAILED, help="Only dead letters (gave up).")
@click.option("--limit", type=click.IntRange(min=1), default=200, show_default=True)
@click.pass_obj
def list_command(app: AppContext, state: str | None, limit: int) -> None:
    """List alerts in the outbox, newest first."""
    with app.sessions.begin() as session:
        rows = [
            (
                str(a.id),
                a.state,
                a.channel,
                a.mode,
                str(a.attempts),
                _when(a.delivered_at if a.state == "delivered" else a.next_attempt_at),
                str(a.payload.get("headline") or a.payload.get("url") or ""),
                a.last_error or "",
            )
            for a in list_alerts(session, state, limit)
        ]
    if not rows:
        click.echo(f"no {state + ' ' if state else ''}alerts")
        return
    table = Table(box=None, header_style="bold")
    for name in ("id", "state", "channel", "mode", "tries", "when (UTC)", "article", "last error"):
        table.add_column(name, overflow="fold")
    for row in rows:
        table.add_row(*row)
    # On a terminal, fit it; in a pipe, one line per alert (for grep and friends).
    width = None if sys.stdout.isatty() else 10_000
    Console(width=width, no_color=True, highlight=False).print(table)


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else ""


@alerts.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.pass_obj
def retry_command(app: AppContext, ids: tuple[int, ...]) -> None:
    """Re-queue failed alerts (all of them, or those with the given IDs)."""
    with app.sessions.begin() as session:
        requeued = retry_failed(session, list(ids) if ids else None)
    missing = sorted(set(ids) - set(requeued))
    if requeued:
        click.echo(f"re-queued {len(requeued)} alert{'s' if len(requeued) != 1 else ''}")
    elif not ids:
        click.echo("no failed alerts")
    if missing:
        raise UsageError(f"no failed alert with id {', '.join(map(str, missing))}")


@alerts.command("deliver")
@click.option(
    "--digest", type=click.Choice(["hourly", "daily"]), help="Send this period's digests instead."
)
@click.pass_context
def deliver_command(ctx: click.Context, digest: str | None) -> None:
    """Send the due alerts now (what the daemon's delivery job does), then exit."""
    app: AppContext = ctx.obj
    alerting = alerting_of(ctx, app)
    sessions = app.sessions
    if digest:
        stats = asyncio.run(send_digests(sessions, alerting, digest))
    else:
        stats = asyncio.run(deliver_due(sessions, alerting))
    click.echo(
        f"delivered {stats.delivered}, retrying {stats.retrying}, "
        f"failed {stats.dead}, deferred {stats.deferred}"
    )
    for error in stats.errors:
        click.echo(f"  {error}", err=True)


COMMANDS = (alerts,)
