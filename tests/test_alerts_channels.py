"""Alert channels against real local receivers: SMTP (aiosmtpd), HTTP webhooks, apprise, Atom."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
from pathlib import Path
from typing import Any

import feedparser
import jsonschema
import pytest

from monitor.alerts import AlertMessage, ConfigError, DeliveryError, build_channel, channel_kinds
from monitor.alerts.base import Channel
from tests import alerts_fixtures
from tests.alerts_fixtures import (
    CHANGE_SCHEMA,
    MT_URL,
    Receiver,
    SmtpSink,
    change,
    free_port,
    headline_report,
    report,
)

# Fixtures shared by the alert tests (pytest finds them as module attributes).
apprise_pools = alerts_fixtures.apprise_pools
certificate = alerts_fixtures.certificate
no_leftover_threads = alerts_fixtures.no_leftover_threads
receiver = alerts_fixtures.receiver
smtp_auth_sink = alerts_fixtures.smtp_auth_sink
smtp_sink = alerts_fixtures.smtp_sink


def send(channel: Channel, message: AlertMessage) -> None:
    asyncio.run(channel.send(message))


def message_for(
    body: dict[str, Any], key: str = "ew-7-desk", channel: str = "desk"
) -> AlertMessage:
    return AlertMessage(channel, key, body)


# --- registry ------------------------------------------------------------------------------


def test_every_kind_is_registered_with_help_text_and_from_config() -> None:
    kinds = channel_kinds()
    assert {"email", "webhook", "apprise", "feed"} <= set(kinds)
    for kind, cls in kinds.items():
        assert cls.kind == kind
        assert cls.__doc__ and len(cls.__doc__.strip()) > 40, kind
        assert cls.from_config.__func__ is not Channel.from_config.__func__, kind  # type: ignore[attr-defined]
        assert cls.send is not Channel.send, kind


def test_a_kind_without_docstring_is_refused() -> None:
    with pytest.raises(TypeError, match="docstring"):

        class Nameless(Channel, kind="nameless-test"):
            pass


# --- e-mail --------------------------------------------------------------------------------


def email_channel(port: int, **options: Any) -> Channel:
    config = {
        "kind": "email",
        "host": "127.0.0.1",
        "port": port,
        "security": "plain",
        "from": "editwatch@example.org",
        "to": ["desk@example.org", "editor@example.org"],
        "timeout": 5,
        **options,
    }
    return build_channel("desk", config)


def test_email_arrives_with_both_parts_subject_diff_and_escaped_html(smtp_sink: SmtpSink) -> None:
    send(email_channel(smtp_sink.port), message_for(headline_report(), key="ew-42-desk"))

    assert len(smtp_sink.messages) == 1
    mail = smtp_sink.messages[0]
    assert mail.get_content_type() == "multipart/alternative"
    assert mail["Subject"] == (
        "Headline changed: Putin Makes Rare Visit to Syria, Meets Assad (+1 more change)"
    )
    assert mail["Message-ID"] == "<ew-42-desk@editwatch.invalid>"
    assert mail["X-Editwatch-Delivery"] == "ew-42-desk"
    assert mail["To"] == "desk@example.org, editor@example.org"

    plain = mail.get_body(("plain",))
    html_part = mail.get_body(("html",))
    assert plain is not None and html_part is not None
    text = plain.get_content()
    assert "@@ headline (major) headline" in text
    assert "Putin [-Visits Syria-]{+Makes Rare Visit to Syria, Meets Assad+}" in text
    assert "remove that channel or its rules from" in text  # the unsubscribe-style footer

    markup = html_part.get_content()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in markup
    assert not re.search(r"<\s*script", markup, re.IGNORECASE)
    assert "<del" in markup and "<ins" in markup
    assert "Makes Rare Visit to Syria, Meets Assad</ins>" in markup


def test_email_starttls_and_login_with_the_password_from_the_environment(
    smtp_auth_sink: SmtpSink,
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("EW_TEST_SMTP_PASSWORD", "s3cret-pw")
    channel = email_channel(
        smtp_auth_sink.port,
        security="starttls",
        ca_file=str(certificate[0]),
        username="desk",
        password_env="EW_TEST_SMTP_PASSWORD",
        unsubscribe="mailto:editwatch@example.org?subject=unsubscribe",
    )
    with caplog.at_level(logging.DEBUG):
        send(channel, message_for(report()))
    assert smtp_auth_sink.logins == ["desk"]
    mail = smtp_auth_sink.messages[0]
    assert mail["List-Unsubscribe"] == "<mailto:editwatch@example.org?subject=unsubscribe>"
    assert "s3cret-pw" not in caplog.text
    assert "s3cret-pw" not in repr(channel) and "s3cret-pw" not in channel.describe()


def test_email_to_a_closed_port_is_a_one_line_delivery_error() -> None:
    channel = email_channel(free_port())
    with pytest.raises(DeliveryError) as caught:
        send(channel, message_for(report()))
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("smtp 127.0.0.1:") and "Connection refused" in message


def test_email_starttls_with_an_untrusted_certificate_fails(smtp_auth_sink: SmtpSink) -> None:
    channel = email_channel(smtp_auth_sink.port, security="starttls")
    with pytest.raises(DeliveryError, match=r"SSLCertVerificationError"):
        send(channel, message_for(report()))
    assert smtp_auth_sink.messages == []


def test_email_without_login_where_the_server_requires_one_fails(
    smtp_auth_sink: SmtpSink, certificate: tuple[Path, Path]
) -> None:
    channel = email_channel(smtp_auth_sink.port, security="starttls", ca_file=str(certificate[0]))
    with pytest.raises(DeliveryError, match=r"530"):
        send(channel, message_for(report()))
    assert smtp_auth_sink.messages == []


# --- webhook -------------------------------------------------------------------------------


def webhook_channel(url: str, **options: Any) -> Channel:
    return build_channel("hook", {"kind": "webhook", "url": url, "timeout": 2, **options})


def test_webhook_body_validates_and_signature_verifies(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EW_TEST_HOOK_SECRET", "shared-secret")
    channel = webhook_channel(receiver.url, secret_env="EW_TEST_HOOK_SECRET")
    send(channel, message_for(headline_report(), key="ew-9-hook", channel="hook"))

    [receipt] = receiver.receipts
    body = json.loads(receipt.body)
    jsonschema.validate(body, CHANGE_SCHEMA)
    assert body["changes"][1]["after"] == "Putin Makes Rare Visit to Syria, Meets Assad"
    headers = {k.lower(): v for k, v in receipt.headers.items()}
    assert headers["content-type"] == "application/json"
    assert headers["x-editwatch-event"] == "change"
    assert headers["x-editwatch-delivery"] == "ew-9-hook"
    expected = hmac.new(b"shared-secret", receipt.body, hashlib.sha256).hexdigest()
    assert headers["x-editwatch-signature"] == f"sha256={expected}"
    wrong = hmac.new(b"other-secret", receipt.body, hashlib.sha256).hexdigest()
    assert headers["x-editwatch-signature"] != f"sha256={wrong}"


def test_webhook_redirect_is_a_failure_and_not_followed(receiver: Receiver) -> None:
    receiver.mode = "redirect"
    with pytest.raises(DeliveryError, match=r"HTTP 302 redirect to /moved"):
        send(webhook_channel(receiver.url), message_for(report()))
    assert [r.path for r in receiver.receipts] == ["/hook"]


def test_webhook_server_error_is_a_delivery_error_with_the_status(receiver: Receiver) -> None:
    receiver.mode = "error"
    with pytest.raises(DeliveryError, match=r"HTTP 500"):
        send(webhook_channel(receiver.url), message_for(report()))


def test_webhook_timeout_is_a_delivery_error() -> None:
    slow = Receiver(hang=1.0).start()
    try:
        slow.mode = "hang"
        with pytest.raises(DeliveryError, match=r"timed out"):
            send(webhook_channel(slow.url, timeout=0.3), message_for(report()))
    finally:
        slow.stop()


# --- apprise -------------------------------------------------------------------------------


@pytest.mark.usefixtures("apprise_pools")
def test_apprise_posts_the_short_text_to_a_json_url(receiver: Receiver) -> None:
    url = receiver.url.replace("http://", "json://")
    channel = build_channel("chat", {"kind": "apprise", "urls": [url], "timeout": 5})
    send(channel, message_for(headline_report(), channel="chat"))
    [receipt] = receiver.receipts
    body = json.loads(receipt.body)
    assert body["title"].startswith("Headline changed: Putin Makes Rare Visit")
    assert MT_URL in body["message"]
    assert "Headline changed (major): Putin [-Visits Syria-]" in body["message"]


@pytest.mark.usefixtures("apprise_pools")
def test_apprise_failure_is_a_delivery_error(receiver: Receiver) -> None:
    receiver.mode = "error"
    url = receiver.url.replace("http://", "json://")
    channel = build_channel("chat", {"kind": "apprise", "urls": url, "timeout": 5})
    with pytest.raises(DeliveryError, match=r"^apprise: JSON failure"):
        send(channel, message_for(report(), channel="chat"))


# --- feed ----------------------------------------------------------------------------------


def test_feed_writes_valid_atom_for_all_and_per_article(tmp_path: Path) -> None:
    channel = build_channel(
        "atom",
        {
            "kind": "feed",
            "directory": str(tmp_path / "feeds"),
            "base_url": "https://feeds.example.org/ew",
        },
    )
    first = headline_report(new=2)
    second = report([change()], new=3)
    other = report(
        [change("quote_edited", "major", "quotes[0]", "we will", "we may")],
        url=MT_URL + "-b",
        key="moscowtimes:1",
        headline="Another story",
    )
    for body in (first, second, other, second):  # `second` twice: a resend replaces its entry
        send(channel, AlertMessage("atom", "ew-x", body))

    everything = feedparser.parse(str(tmp_path / "feeds" / "all.xml"))
    assert everything.bozo == 0, everything.get("bozo_exception")
    assert everything.feed.title == "editwatch: changes"
    assert len(everything.entries) == 3
    titles = {entry.title for entry in everything.entries}
    assert "Quote edited: Another story" in titles
    assert any(link.href == "https://feeds.example.org/ew/all" for link in everything.feed.links)

    one = feedparser.parse(str(tmp_path / "feeds" / "articles" / "moscowtimes-68828.xml"))
    assert one.bozo == 0
    assert [e.link for e in one.entries] == [MT_URL, MT_URL]
    assert one.entries[0].updated.startswith("2026-01-07T13:00:00")  # newest first
    content = one.entries[1].content[0].value
    assert "&lt;script&gt;" in content and "<script" not in content
    assert not list((tmp_path / "feeds").glob(".*.tmp"))  # no temp files left behind


def test_feed_test_checks_the_directory_without_adding_an_entry(tmp_path: Path) -> None:
    channel = build_channel("atom", {"kind": "feed", "directory": str(tmp_path / "f")})
    asyncio.run(channel.test(AlertMessage("atom", "ew-test", report())))
    assert list((tmp_path / "f").iterdir()) == []


# --- bad configs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "options", "expected"),
    [
        (
            "x",
            {"kind": "pigeon"},
            "channel 'x': unknown kind 'pigeon' (known: apprise, email, feed, webhook)",
        ),
        (
            "x",
            {"url": "http://a"},
            "channel 'x': missing key 'kind' (one of apprise, email, feed, webhook)",
        ),
        (
            "x",
            {"kind": "webhook", "url": "http://a/h", "secret_env": "EW_TEST_UNSET_SECRET"},
            "channel 'x': secret_env: environment variable EW_TEST_UNSET_SECRET is not set",
        ),
        (
            "x",
            {
                "kind": "email",
                "host": "h",
                "from": "a@b.c",
                "to": "d@e.f",
                "username": "u",
                "password_env": "EW_TEST_UNSET_SECRET",
            },
            "channel 'x': password_env: environment variable EW_TEST_UNSET_SECRET is not set",
        ),
        (
            "x",
            {"kind": "webhook", "url": "htp:/example.org"},
            "channel 'x': url: must be an absolute http:// or https:// URL with a host",
        ),
        (
            "x",
            {"kind": "webhook", "url": "http://example.org:99999/"},
            "channel 'x': url: malformed URL (Port out of range 0-65535)",
        ),
        ("x", {"kind": "webhook"}, "channel 'x': missing key 'url'"),
        (
            "x",
            {"kind": "webhook", "url": "http://a/", "timeout": -1},
            "channel 'x': timeout: must be a number above 0, not -1",
        ),
        (
            "x",
            {"kind": "webhook", "url": "http://a/", "secret": "inline"},
            "channel 'x': unknown option 'secret'",
        ),
        (
            "x",
            {"kind": "email", "host": "h", "from": "nobody", "to": "d@e.f"},
            "channel 'x': from: not an e-mail address: 'nobody'",
        ),
        (
            "x",
            {"kind": "email", "host": "h", "from": "a@b.c", "to": "d@e.f", "security": "ssl"},
            "channel 'x': security: must be one of starttls, tls, plain, not 'ssl'",
        ),
        (
            "x",
            {"kind": "apprise", "urls": ["nonsense://"]},
            "channel 'x': urls[0] (nonsense://…) is not a valid apprise URL: "
            "Unparseable URL nonsense://...",
        ),
        ("x", {"kind": "apprise"}, "channel 'x': missing key 'urls' (or 'url_env')"),
        ("x", {"kind": "feed"}, "channel 'x': missing key 'directory'"),
        (
            "bad name",
            {"kind": "feed"},
            "channel name 'bad name' must be 1-64 letters, digits, '.', '_' or '-'",
        ),
    ],
)
def test_bad_channel_config_is_one_clear_line(
    name: str, options: dict[str, Any], expected: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        build_channel(name, options)
    assert str(caught.value) == expected
