"""Moscow-time parsing and the date formats the Moscow Times pages use."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from email.utils import format_datetime

logger = logging.getLogger(__name__)


def _moscow() -> tzinfo:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("Europe/Moscow")
    except (ImportError, KeyError):  # no tz database; Moscow has been UTC+3 since 2014
        logger.warning("no tz database; using a fixed UTC+03:00 offset for Moscow")
        return timezone(timedelta(hours=3))


MOSCOW = _moscow()

# Abbreviated with a period, except March to July which are written in full.
_MONTHS = (
    "Jan.", "Feb.", "March", "April", "May", "June",
    "July", "Aug.", "Sep.", "Oct.", "Nov.", "Dec.",
)  # fmt: skip


def parse_dt(value: str | datetime | date) -> datetime:
    """Parse an ISO string (or YAML datetime); naive values are Moscow time."""
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day)
    else:
        dt = datetime.fromisoformat(str(value).strip())
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=MOSCOW)
    return dt.astimezone(MOSCOW)


def to_iso(value: str | datetime | date) -> str:
    """`2024-01-05T14:30:00+03:00`, seconds precision, Moscow offset."""
    return parse_dt(value).replace(microsecond=0).isoformat()


def display_date(value: str | datetime) -> str:
    """`Jan. 7, 2020` / `March 7, 2024`: no time of day, no leading zero."""
    dt = parse_dt(value)
    return f"{_MONTHS[dt.month - 1]} {dt.day}, {dt.year}"


def rfc2822(value: str | datetime) -> str:
    """`Tue, 07 Jan 2020 14:12:00 +0300` (RSS pubDate / lastBuildDate)."""
    return format_datetime(parse_dt(value).replace(microsecond=0))


def http_date(value: str | datetime) -> str:
    """`Tue, 07 Jan 2020 11:12:00 GMT` (Last-Modified)."""
    return format_datetime(parse_dt(value).astimezone(UTC).replace(microsecond=0), usegmt=True)


def now_moscow() -> datetime:
    """The current time in Moscow."""
    return datetime.now(MOSCOW).replace(microsecond=0)


def date_path(value: str | datetime) -> str:
    """`YYYY/MM/DD` of a timestamp in Moscow time."""
    return parse_dt(value).strftime("%Y/%m/%d")
