"""`editwatch alerts`: test, list, retry, deliver; bad configs are one line and exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from monitor.alerts import load_alerting
from monitor.cli.alerts import alerts
from monitor.cli.options import AppContext
from storage import open_database
from tests import alerts_fixtures
from tests.alerts_fixtures import (
    REPO,
    Receiver,
    SmtpSink,
    free_port,
    store_alerts,
)

# Fixtures shared by the alert tests (pytest finds them as module attributes).
no_leftover_threads = alerts_fixtures.no_leftover_threads
receiver = alerts_fixtures.receiver
smtp_sink = alerts_fixtures.smtp_sink


def invoke(config: dict[str, Any], *args: str, db: str | None = None) -> Result:
    app = AppContext(config=config)
    if db:
        app.db_url = db
    return CliRunner().invoke(alerts, list(args), obj=app)


def mail(port: int) -> dict[str, Any]:
    return {
        "kind": "email",
        "host": "127.0.0.1",
        "port": port,
        "security": "plain",
        "from": "ew@example.org",
        "to": "desk@example.org",
        "timeout": 3,
    }


def test_alerts_test_sends_a_sample_through_every_channel(
    smtp_sink: SmtpSink, receiver: Receiver, tmp_path: Path
) -> None:
    config = {
        "channels": {
            "mail": mail(smtp_sink.port),
            "hook": {"kind": "webhook", "url": receiver.url},
            "atom": {"kind": "feed", "directory": str(tmp_path / "feeds")},
        }
    }
    result = invoke(config, "test")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["ok mail", "ok hook", "ok atom"]
    [message] = smtp_sink.messages
    assert "(editwatch test alert)" in message["Subject"]
    assert message["Message-ID"].startswith("<ew-test-")
    assert len(receiver.accepted()) == 1
    assert not (tmp_path / "feeds" / "all.xml").exists()  # a test leaves the real feed alone

    result = invoke(config, "test", "hook")
    assert result.stdout.splitlines() == ["ok hook"]


def test_alerts_test_with_an_unreachable_host_is_one_line_and_exit_2(receiver: Receiver) -> None:
    port = free_port()
    config = {"channels": {"mail": mail(port), "hook": {"kind": "webhook", "url": receiver.url}}}
    result = invoke(config, "test")
    assert result.exit_code == 2
    assert result.stdout == "ok hook\n"
    assert result.stderr.splitlines() == [
        f"editwatch: error: channel mail: smtp 127.0.0.1:{port}: "
        "ConnectionRefusedError: [Errno 111] Connection refused"
    ]


@pytest.mark.parametrize(
    ("config", "args", "expected"),
    [
        (
            {"channels": {"x": {"kind": "pigeon"}}},
            ["test"],
            "editwatch: error: alert config: channel 'x': unknown kind 'pigeon' "
            "(known: apprise, email, feed, webhook)",
        ),
        (
            {
                "channels": {
                    "x": {"kind": "webhook", "url": "http://a/", "secret_env": "EW_UNSET_X"}
                }
            },
            ["test"],
            "editwatch: error: alert config: channel 'x': secret_env: "
            "environment variable EW_UNSET_X is not set",
        ),
        (
            {},
            ["test"],
            "editwatch: error: no alert channels configured (add channels: to the config file)",
        ),
        (
            {"channels": {"x": {"kind": "feed", "directory": "/tmp"}}},
            ["test", "y"],
            "editwatch: error: no channel 'y' in the config (have: x)",
        ),
    ],
)
def test_alerts_test_config_errors(config: dict[str, Any], args: list[str], expected: str) -> None:
    result = invoke(config, *args)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [expected]


def test_alerts_list_and_retry(tmp_path: Path, receiver: Receiver) -> None:
    db = f"sqlite:///{tmp_path}/x.db"
    config = {"channels": {"hook": {"kind": "webhook", "url": receiver.url, "timeout": 2}}}
    sessions = open_database(db)
    store_alerts(sessions, load_alerting(config), 2)
    sessions.kw["bind"].dispose()

    result = invoke(config, "list", "--pending", db=db)
    assert result.exit_code == 0, result.output
    assert result.stdout.count("pending") == 2 and "Article 0 edit 0" in result.stdout
    assert invoke(config, "list", "--failed", db=db).stdout == "no failed alerts\n"

    receiver.mode = "error"
    result = invoke(config, "deliver", db=db)
    assert result.stdout == "delivered 0, retrying 1, failed 0, deferred 1\n"
    assert "HTTP 500" in result.stderr

    assert invoke(config, "retry", db=db).stdout == "no failed alerts\n"
    result = invoke(config, "retry", "7", db=db)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == ["editwatch: error: no failed alert with id 7"]


def test_alerts_retry_requeues_dead_letters(tmp_path: Path, receiver: Receiver) -> None:
    db = f"sqlite:///{tmp_path}/x.db"
    old = {"channels": {"gone": {"kind": "webhook", "url": receiver.url}}}
    sessions = open_database(db)
    store_alerts(sessions, load_alerting(old), 1)
    sessions.kw["bind"].dispose()
    new = {"channels": {"hook": {"kind": "webhook", "url": receiver.url}}}
    invoke(new, "deliver", db=db)  # 'gone' is no longer configured: a dead letter

    result = invoke(new, "list", "--failed", db=db)
    assert "failed" in result.stdout and "channel 'gone' is not in the config" in result.stdout
    result = invoke(old, "retry", "1", db=db)
    assert result.exit_code == 0 and result.stdout == "re-queued 1 alert\n"
    assert invoke(old, "deliver", db=db).stdout.startswith("delivered 1,")
    assert "delivered" in invoke(old, "list", db=db).stdout


def test_cli_subprocess_unreachable_smtp_exits_2_with_one_line(tmp_path: Path) -> None:
    port = free_port()
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"channels": {"mail": mail(port)}}))
    proc = subprocess.run(
        [sys.executable, "-m", "monitor", "--config", str(path), "alerts", "test"],
        cwd=REPO,
        env={**os.environ, "EDITWATCH_DB": f"sqlite:///{tmp_path}/x.db", "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        f"editwatch: error: channel mail: smtp 127.0.0.1:{port}: "
        "ConnectionRefusedError: [Errno 111] Connection refused"
    ]
