"""Shared CLI plumbing: the context object, durations, URL checks, one-line errors."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import click
from sqlalchemy.orm import Session, sessionmaker

from storage import DatabaseError, default_database_url, open_database

logger = logging.getLogger(__name__)


class UsageError(click.ClickException):
    """Bad input: printed as one line, exit code 2."""

    exit_code = 2

    def show(self, file: object = None) -> None:
        """Print the one-line error to stderr."""
        click.echo(f"editwatch: error: {self.format_message()}", err=True)


@dataclass
class AppContext:
    """What every command gets: the database URL and a lazily opened session factory."""

    db_url: str = field(default_factory=default_database_url)
    config: dict[str, Any] = field(default_factory=dict)
    _sessions: sessionmaker[Session] | None = None

    @property
    def sessions(self) -> sessionmaker[Session]:
        """The session factory, opening and migrating the database on first use."""
        if self._sessions is None:
            try:
                self._sessions = open_database(self.db_url)
            except DatabaseError as exc:
                raise UsageError(str(exc)) from None
        return self._sessions


def check_config(config: dict[str, Any]) -> None:
    """Refuse a broken config (sites, schedule, alerts) before any work starts: one line, exit 2."""
    from crawler.feeds import feed_interval, feed_rules
    from crawler.render import check_config as check_crawl_config
    from crawler.sites import schedule_table, site_policy

    try:
        schedule_table(config)
        for domain in config.get("sites") or {}:
            site_policy(config, str(domain))
        check_crawl_config(config)
        feed_rules(config)
        feed_interval(config)
    except ValueError as exc:  # SiteConfigError, FeedConfigError, render config errors
        raise UsageError(f"config: {exc}") from None
    if not config.get("channels"):
        return
    from monitor.alerts.base import ConfigError
    from monitor.alerts.rules import load_alerting

    try:
        load_alerting(config)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


def parse_duration(text: str) -> timedelta:
    """'90s', '10m', '1h30m', '2d' -> timedelta; a bare number is seconds."""
    from crawler.sites import SiteConfigError
    from crawler.sites import parse_duration as parse

    try:
        return parse(text)
    except SiteConfigError as exc:
        raise UsageError(str(exc)) from None


def check_url(url: str) -> str:
    """Accept only absolute http(s) URLs with a host."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"not an http(s) URL: {url!r}")
    return url.strip()
