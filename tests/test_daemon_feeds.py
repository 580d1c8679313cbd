"""The daemon polls configured feeds and checks the new stories it finds."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import CliRunner
from tests.replica.client import Replica

pytestmark = pytest.mark.slow


def test_daemon_tracks_and_checks_a_story_found_in_a_feed(
    replica: Replica, editwatch: CliRunner, tmp_path: Path
) -> None:
    config = tmp_path / "feeds.yaml"
    feeds = [{"url": replica.url("rss/news"), "url_pattern": "re:-a68828$"}]
    config.write_text(yaml.safe_dump({"feeds": feeds, "feeds_every": "1h"}), encoding="utf-8")
    run = editwatch("--config", str(config), "daemon", "--tick", "0.3s", "--run-for", "6s")
    assert run.code == 0, run.stderr
    listing = editwatch("list", "--format", "json").json()
    seed = [a for a in listing if a["article_key"] == "moscowtimes:68828"]
    assert len(seed) == 1 and seed[0]["depth"] == 0 and seed[0]["found_on"] is None
    assert seed[0]["revisions"] == 1  # found in the feed, then checked by the same daemon
