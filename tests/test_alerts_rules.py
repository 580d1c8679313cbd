"""Alert rules: the table of cases in tests/data/alert_rules.yaml, and config validation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from monitor.alerts import ConfigError, load_alerting, match
from monitor.alerts.rules import Rule, parse_rule

DATA = yaml.safe_load((Path(__file__).parent / "data" / "alert_rules.yaml").read_text())


def short_report(case: dict[str, Any]) -> dict[str, Any]:
    changes = []
    for item in case["changes"]:
        kind, significance = item.split("/")
        changes.append(
            {"kind": kind, "significance": significance, "field": kind, "before": "a", "after": "b"}
        )
    return {
        "schema": "editwatch.change/1",
        "url": case.get("url", DATA["defaults"]["url"]),
        "article_key": case.get("key", DATA["defaults"]["key"]),
        "silent": case.get("silent", False),
        "changes": changes,
    }


@pytest.mark.parametrize("case", DATA["cases"], ids=[c["name"] for c in DATA["cases"]])
def test_rule_table(case: dict[str, Any]) -> None:
    channels: dict[str, Any] = dict.fromkeys(DATA["channels"])
    rules = [parse_rule(i, rule, channels) for i, rule in enumerate(case["rules"])]
    report = short_report(case)
    site = case.get("site", DATA["defaults"]["site"])
    got = match(rules, report, report["article_key"], site)
    assert got == [tuple(pair) for pair in case["expected"]]


def test_the_table_covers_every_rule_key_and_mode() -> None:
    used = {key for case in DATA["cases"] for rule in case["rules"] for key in rule}
    assert used == {
        "channel",
        "kinds",
        "min_significance",
        "silent_only",
        "site",
        "url_pattern",
        "articles",
        "mode",
    }
    modes = {rule.get("mode", "immediate") for case in DATA["cases"] for rule in case["rules"]}
    assert modes == {"immediate", "hourly", "daily"}
    assert len(DATA["cases"]) >= 20


def feed_channel(tmp_path: Path) -> dict[str, Any]:
    return {"kind": "feed", "directory": str(tmp_path)}


def test_without_rules_every_channel_gets_minor_and_major_changes(tmp_path: Path) -> None:
    alerting = load_alerting(
        {"channels": {"a": feed_channel(tmp_path), "b": feed_channel(tmp_path)}},
        source="/etc/editwatch.yaml",
    )
    assert alerting.rules == [Rule(channel="a"), Rule(channel="b")]
    assert alerting.channels["a"].config_source == "/etc/editwatch.yaml"
    report = {
        "url": "http://x/",
        "silent": False,
        "changes": [{"kind": "caption", "significance": "minor"}],
    }
    assert alerting.match(report, "k", None) == [("a", "immediate"), ("b", "immediate")]


def test_an_empty_config_has_no_channels() -> None:
    alerting = load_alerting({})
    assert alerting.channels == {} and alerting.rules == []


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        ([{"channel": "nowhere"}], "rules[0]: channel 'nowhere' is not defined under channels:"),
        ([{"kinds": ["headline"]}], "rules[0]: missing key 'channel'"),
        (
            [{"channel": "a"}, {"channel": "a", "kinds": ["headlines"]}],
            "rules[1]: kinds: unknown change kind 'headlines' (known: ",
        ),
        (
            [{"channel": "a", "mode": "weekly"}],
            "rules[0]: mode: must be one of immediate, hourly, daily, not 'weekly'",
        ),
        (
            [{"channel": "a", "min_significance": "huge"}],
            "rules[0]: min_significance: must be one of typographic, minor, major, not 'huge'",
        ),
        (
            [{"channel": "a", "url_pattern": "re:(unclosed"}],
            "rules[0]: url_pattern: bad regular expression: missing ), unterminated subpattern",
        ),
        ([{"channel": "a", "silent": True}], "rules[0]: unknown key 'silent' (known: channel, "),
        (
            [{"channel": "a", "silent_only": "yes"}],
            "rules[0]: silent_only: must be true or false, not 'yes'",
        ),
        ({"channel": "a"}, "rules: must be a list of rules"),
        (["a"], "rules[0]: must be a mapping with at least a 'channel' key"),
    ],
)
def test_bad_rules_are_one_clear_line(tmp_path: Path, rules: Any, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_alerting({"channels": {"a": feed_channel(tmp_path)}, "rules": rules})
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(expected)


def test_channels_must_be_a_mapping() -> None:
    with pytest.raises(ConfigError, match=r"^channels: must be a mapping"):
        load_alerting({"channels": ["mail"]})
