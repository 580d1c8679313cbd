"""The adaptive re-check schedule and per-site policy: pure functions, table-driven."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from crawler.schedule import DEFAULT_TABLE, check_interval, next_check_at
from crawler.sites import SiteConfigError, parse_duration, schedule_table, site_policy

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("quiet_for", "every"),
    [
        (timedelta(minutes=5), timedelta(minutes=15)),
        (timedelta(hours=2, minutes=59), timedelta(minutes=15)),
        (timedelta(hours=3), timedelta(hours=1)),
        (timedelta(hours=23), timedelta(hours=1)),
        (timedelta(days=2), timedelta(hours=3)),
        (timedelta(days=20), timedelta(days=3)),
        (timedelta(days=200), timedelta(days=30)),
        (timedelta(days=400), None),
    ],
)
def test_newsdiffs_table(quiet_for: timedelta, every: timedelta | None) -> None:
    assert check_interval(quiet_for) == every


def test_jitter_stays_within_ten_percent_and_varies() -> None:
    rng = random.Random(7)
    dues = {next_check_at(NOW, NOW - timedelta(days=2), rng=rng) for _ in range(50)}
    assert len(dues) > 40
    for due in dues:
        assert due is not None
        assert timedelta(hours=2.7) <= due - NOW <= timedelta(hours=3.3)


def test_pinned_interval_has_no_jitter_but_respects_minimum() -> None:
    assert next_check_at(NOW, NOW, pinned=timedelta(seconds=5)) == NOW + timedelta(seconds=5)
    floor = next_check_at(NOW, NOW, pinned=timedelta(seconds=5), minimum=timedelta(minutes=5))
    assert floor == NOW + timedelta(minutes=5)


def test_old_quiet_article_stops() -> None:
    assert next_check_at(NOW, NOW - timedelta(days=500)) is None


def test_site_policy_defaults_and_overrides() -> None:
    assert site_policy({}, "www.themoscowtimes.com").min_interval == timedelta(minutes=5)
    assert site_policy({}, "127.0.0.1").min_interval == timedelta(0)
    config = {
        "sites": {
            "themoscowtimes.com": {"min_interval": "10m", "robots": False},
            "news.example.org": {"render": True},
        }
    }
    mt = site_policy(config, "www.themoscowtimes.com")
    assert (mt.min_interval, mt.robots, mt.render) == (timedelta(minutes=10), False, False)
    assert site_policy(config, "news.example.org").render is True
    assert site_policy(config, "example.org").render is False


def test_schedule_table_from_config_and_errors() -> None:
    assert schedule_table({}) == DEFAULT_TABLE
    table = schedule_table(
        {"schedule": [{"quiet_under": "1d", "every": "2h"}, {"quiet_under": "1h", "every": "5m"}]}
    )
    assert table == (
        (timedelta(hours=1), timedelta(minutes=5)),
        (timedelta(days=1), timedelta(hours=2)),
    )
    with pytest.raises(SiteConfigError, match="quiet_under"):
        schedule_table({"schedule": [{"every": "1h"}]})
    with pytest.raises(SiteConfigError, match="not a duration"):
        parse_duration("soon")
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert parse_duration(2.5) == timedelta(seconds=2.5)
