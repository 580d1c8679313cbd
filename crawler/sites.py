"""Per-site policy from the user's config: minimum re-check interval, robots.txt, rendering."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from crawler.schedule import DEFAULT_TABLE

logger = logging.getLogger(__name__)

#: Built-in floors: themoscowtimes.com serves each article from a 5-10 minute page
#: cache (MARKUP.md 1.5), so checking faster only re-reads the same cached bytes.
DEFAULT_MIN_INTERVALS = {"themoscowtimes.com": timedelta(minutes=5)}

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class SiteConfigError(ValueError):
    """A `sites:` or `schedule:` entry of the config cannot be used (one-line message)."""


@dataclass(frozen=True)
class SitePolicy:
    """How editwatch treats one domain."""

    min_interval: timedelta = timedelta(0)
    robots: bool = True  # obey robots.txt
    render: bool = False  # fetch through a headless browser (JS-built pages)


def parse_duration(value: Any) -> timedelta:
    """'90s', '10m', '1h30m', '2d' or a number of seconds."""
    if isinstance(value, int | float):
        return timedelta(seconds=float(value))
    text = str(value).strip().lower()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return timedelta(seconds=float(text))
    parts = _DURATION.findall(text)
    if not parts or _DURATION.sub("", text).strip():
        raise SiteConfigError(f"not a duration: {value!r} (try 30s, 10m, 2h, 1d)")
    return timedelta(seconds=sum(float(n) * _UNITS[u] for n, u in parts))


def _domain_entry(sites: Mapping[str, Any], host: str) -> tuple[str, Mapping[str, Any]] | None:
    host = host.lower().split(":")[0]
    best: tuple[str, Mapping[str, Any]] | None = None
    for domain, entry in sites.items():
        domain = str(domain).lower()
        if (host == domain or host.endswith("." + domain)) and (
            best is None or len(domain) > len(best[0])
        ):
            best = (domain, entry or {})
    return best


def site_policy(config: Mapping[str, Any], host: str) -> SitePolicy:
    """The policy for `host`: the most specific `sites:` entry, over the built-in floors."""
    floor = next(
        (v for d, v in DEFAULT_MIN_INTERVALS.items() if host == d or host.endswith("." + d)),
        timedelta(0),
    )
    found = _domain_entry(config.get("sites") or {}, host)
    if found is None:
        return SitePolicy(min_interval=floor)
    domain, entry = found
    if not isinstance(entry, Mapping):
        raise SiteConfigError(f"sites.{domain} must be a mapping")
    minimum = parse_duration(entry["min_interval"]) if "min_interval" in entry else floor
    return SitePolicy(
        min_interval=minimum,
        robots=bool(entry.get("robots", True)),
        render=bool(entry.get("render", False)),
    )


def schedule_table(config: Mapping[str, Any]) -> Sequence[tuple[timedelta, timedelta | None]]:
    """`schedule:` from the config ([{quiet_under: 3h, every: 15m}, ...]) or NewsDiffs' table."""
    entries = config.get("schedule")
    if not entries:
        return DEFAULT_TABLE
    table = []
    for position, entry in enumerate(entries):
        try:
            under = parse_duration(entry["quiet_under"])
            every = None if entry.get("every") in (None, "stop") else parse_duration(entry["every"])
        except (KeyError, TypeError) as exc:
            raise SiteConfigError(
                f"schedule[{position}] needs quiet_under and every (missing {exc})"
            ) from None
        table.append((under, every))
    return tuple(sorted(table, key=lambda row: row[0]))
