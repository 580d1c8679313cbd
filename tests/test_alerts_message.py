"""Alert messages: the subject names the article and its most important change; short texts."""

from __future__ import annotations

from monitor.alerts import AlertMessage
from monitor.alerts.message import main_change, report_subject
from tests.alerts_fixtures import MT_URL, change, report


def test_subject_names_the_most_important_change() -> None:
    body = report(
        [
            change("paragraph_edited", "major", "paragraphs[1]"),
            change("quote_edited", "major", "quotes[0]", "we will", "we may"),
            change("caption", "minor", "images[0].caption", "a", "b"),
        ],
        headline="Putin in Syria",
    )
    assert main_change(body) == body["changes"][1]
    assert report_subject(body) == "Quote edited: Putin in Syria (+2 more changes)"


def test_subject_marks_silent_edits_and_removals() -> None:
    removed = report([change("removed", "major", "page", "x", None)], silent=True)
    assert report_subject(removed).startswith("Article removed (silent edit): Putin Makes")
    nothing = report([])
    assert report_subject(nothing).startswith("No change: ")


def test_subject_is_one_short_line() -> None:
    body = report(headline="Line one\nBcc: victim@example.org " + "long " * 80)
    subject = report_subject(body)
    assert "\n" not in subject and len(subject) <= 200 and subject.endswith("…")


def test_short_text_lists_a_few_changes() -> None:
    body = report([change(field_=f"paragraphs[{i}]") for i in range(8)], silent=True)
    text = AlertMessage("chat", "ew-1-chat", body).short_text()
    lines = text.splitlines()
    assert lines[0] == MT_URL
    assert lines[1] == "revision 1 → 2 · SILENT EDIT · minor"
    assert lines[2] == (
        "• Paragraph edited (minor): The president arrived on [-Tuesday.-]{+Monday.+}"
    )
    assert lines[-1] == "… and 3 more changes"


def test_digest_message_summarises_several_reports() -> None:
    reports = [
        report(key="a", headline="A"),
        report(key="a", headline="A", new=3),
        report(key="b", headline="B"),
    ]
    message = AlertMessage.digest("desk", "ew-daily-desk-1", "daily", reports)
    assert message.is_digest and message.reports == reports
    assert message.subject() == "editwatch daily digest: 3 changes in 2 articles"
    assert message.text().count("@@ paragraph_edited") == 3
    assert message.html().count("<hr") == 2
    assert message.short_text().splitlines()[0] == "• Paragraph edited: A"
