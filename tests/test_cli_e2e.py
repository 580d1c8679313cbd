"""The CLI end to end, as a user runs it: real subprocesses against the replica site."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.conftest import REPO, CliResult, CliRunner
from tests.replica.client import Replica

pytestmark = pytest.mark.slow

SEED = 68828
SCHEMAS = REPO / "monitor" / "schemas"


def schema(name: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / name).read_text())


def ok(result: CliResult) -> CliResult:
    assert result.code == 0, (
        f"exit {result.code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    )
    return result


def track_and_check(editwatch: CliRunner, url: str) -> None:
    ok(editwatch("add", url))
    first = ok(editwatch("check", url))
    assert "new" in first.stdout


def diff_json(editwatch: CliRunner, url: str) -> dict[str, Any]:
    report = ok(editwatch("diff", url, "--format", "json")).json()
    jsonschema.validate(report, schema("editwatch.change-1.json"))
    return report


def test_scripted_revisions_are_captured_and_noise_is_not(
    replica: Replica, editwatch: CliRunner
) -> None:
    url = replica.article_url(SEED)
    track_and_check(editwatch, url)
    unchanged = ok(editwatch("check", url))
    assert "unchanged" in unchanged.stdout  # per-request noise alone makes no revision
    replica.set_options(modified_noise=True)
    for _ in range(3):  # nor does a flickering article:modified_time
        assert "unchanged" in ok(editwatch("check", url)).stdout
    replica.set_options(modified_noise=False)

    replica.set_revision(SEED, 2)
    ok(editwatch("check", url))
    report = diff_json(editwatch, url)
    headline = [c for c in report["changes"] if c["kind"] == "headline"]
    assert headline and headline[0]["significance"] == "major"
    assert headline[0]["before"].startswith("Putin Makes Rare Visit")
    assert headline[0]["after"].startswith("Putin Makes Surprise Visit")
    assert {"op": "insert", "text": "Surprise"} in headline[0]["diff"]

    replica.set_revision(SEED, 5)  # 3 and 4 edit; 5 only moves modified_time
    ok(editwatch("check", url))
    replica.set_revision(SEED, 5)
    assert "unchanged" in ok(editwatch("check", url)).stdout

    history = ok(editwatch("history", url, "--format", "json")).json()
    jsonschema.validate(history, schema("editwatch.history-1.json"))
    assert [entry["revision"] for entry in history] == [1, 2, 3]
    assert "headline" in history[1]["kinds"]
    assert {"quote_edited", "caption"} <= set(history[2]["kinds"])


CASES: list[tuple[str, dict[str, Any], str, str | None, str | None]] = [
    (
        "subtitle",
        {"set": {"subtitle": "The Kremlin called it a working visit"}},
        "subtitle",
        None,
        "The Kremlin called it a working visit",
    ),
    (
        "byline",
        {
            "set": {
                "authors": [{"name": "Reuters", "slug": "reuters"}, {"name": "AFP", "slug": "afp"}]
            }
        },
        "byline",
        "Reuters",
        "Reuters, AFP",
    ),
    (
        "caption",
        {"set": {"featured_image.caption": "Putin and Assad in Sochi in 2018."}},
        "caption",
        "Russian President Vladimir Putin and Syrian President Bashar al-Assad during a 2018 "
        "meeting in the Russian Black Sea resort city of Sochi.",
        "Putin and Assad in Sochi in 2018.",
    ),
    (
        "credit",
        {"set": {"featured_image.credits": "Kremlin Press Service"}},
        "credit",
        "Zuma / TASS",
        "Kremlin Press Service",
    ),
    (
        "quote",
        {"blocks": [{"edit": "lesch", "find": "indelibly weakened", "to": "somewhat weakened"}]},
        "quote_edited",
        None,
        None,
    ),
    (
        "paragraph_edited",
        {"blocks": [{"edit": "erdogan", "find": "in 2017", "to": "in December 2017"}]},
        "paragraph_edited",
        "Putin's previous trip to Syria was in 2017, when he visited Russia's Hmeymim air base.",
        "Putin's previous trip to Syria was in December 2017, when he visited Russia's Hmeymim "
        "air base.",
    ),
    (
        "paragraph_added",
        {
            "blocks": [
                {
                    "insert_after": "erdogan",
                    "block": {
                        "type": "html",
                        "paragraphs": ["The Kremlin gave no further details."],
                    },
                }
            ]
        },
        "paragraph_added",
        None,
        "The Kremlin gave no further details.",
    ),
    (
        "paragraph_removed",
        {
            "blocks": [
                {
                    "edit": "visit",
                    "find": "Putin also delivered greetings to Russian forces in Syria.",
                    "to": "",
                }
            ]
        },
        "paragraph_removed",
        "Putin also delivered greetings to Russian forces in Syria.",
        None,
    ),
    ("related_removed", {"blocks": [{"remove": "read-also"}]}, "related_removed", None, None),
]


@pytest.mark.parametrize(
    ("name", "patch", "kind", "before", "after"), CASES, ids=[c[0] for c in CASES]
)
def test_each_edit_is_reported_with_its_kind(
    replica: Replica,
    editwatch: CliRunner,
    name: str,
    patch: dict[str, Any],
    kind: str,
    before: str | None,
    after: str | None,
) -> None:
    url = replica.article_url(SEED)
    track_and_check(editwatch, url)
    replica.patch_article(SEED, patch)
    checked = ok(editwatch("check", url))
    assert "changed" in checked.stdout
    report = diff_json(editwatch, url)
    matching = [c for c in report["changes"] if c["kind"] == kind]
    assert matching, f"no {kind} in {[c['kind'] for c in report['changes']]}"
    if before is not None:
        assert matching[0]["before"] == before
    if after is not None:
        assert matching[0]["after"] == after
    assert report["silent"] is True  # the patch moved no update time


def test_typographic_edit_makes_no_major_change(replica: Replica, editwatch: CliRunner) -> None:
    url = replica.article_url(SEED)
    track_and_check(editwatch, url)
    replica.patch_article(
        SEED,
        {"blocks": [{"edit": "lesch", "find": '"I think Putin', "to": "\u201cI\u00a0think Putin"}]},
    )
    ok(editwatch("check", url))
    history = ok(editwatch("history", url, "--format", "json")).json()
    assert len(history) in (1, 2)
    if len(history) == 2:
        assert history[1]["significance"] == "typographic"


def test_removal_restore_and_slug_redirect(replica: Replica, editwatch: CliRunner) -> None:
    url = replica.article_url(SEED)
    track_and_check(editwatch, url)
    replica.unpublish(SEED)
    ok(editwatch("check", url))
    assert [c["kind"] for c in diff_json(editwatch, url)["changes"]] == ["removed"]
    replica.publish(SEED)
    ok(editwatch("check", url))
    assert [c["kind"] for c in diff_json(editwatch, url)["changes"]] == ["restored"]
    replica.set_slug(SEED, "putin-visits-syria")
    ok(editwatch("check", url))
    report = diff_json(editwatch, url)
    assert "redirected" in [c["kind"] for c in report["changes"]]
    assert report["url"].endswith("/putin-visits-syria-a68828")
    listing = ok(editwatch("list", "--format", "json")).json()
    seed = [a for a in listing if a["article_key"] == "moscowtimes:68828"]
    assert len(seed) == 1 and seed[0]["url"].endswith("/putin-visits-syria-a68828")
    assert not [a for a in listing if a["active"] and "a68828" in a["url"] and a is not seed[0]]


def one_line_error(result: CliResult) -> str:
    assert result.code == 2, f"exit {result.code}: {result.stdout}{result.stderr}"
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def test_url_that_is_not_http_is_refused(editwatch: CliRunner) -> None:
    assert "not an http(s) URL" in one_line_error(editwatch("add", "ftp://example.org/a"))
    assert "not an http(s) URL" in one_line_error(editwatch("check", "file:///etc/passwd"))


def test_unreachable_host_is_one_line(editwatch: CliRunner) -> None:
    line = one_line_error(editwatch("check", "http://127.0.0.1:9/2020/01/07/x-a1"))
    assert "refused" in line or "cannot" in line


def test_non_html_response_is_one_line(replica: Replica, editwatch: CliRunner) -> None:
    line = one_line_error(editwatch("check", replica.url("rss/news")))
    assert "not an HTML page" in line


def test_malformed_page_is_one_line(tmp_path: Path, editwatch: CliRunner) -> None:
    page = tmp_path / "broken.html"
    page.write_bytes(b"\x00\x01\x02<<<>>> not a page")
    line = one_line_error(editwatch("extract", str(page)))
    assert str(page) in line


def test_unwritable_database_is_one_line(tmp_path: Path, editwatch: CliRunner) -> None:
    blocker = tmp_path / "plain-file"
    blocker.write_text("x")
    line = one_line_error(editwatch("list", env={"EDITWATCH_DB": str(blocker / "db.sqlite")}))
    assert "database" in line


def test_unknown_revision_and_untracked_url_are_usage_errors(
    replica: Replica, editwatch: CliRunner
) -> None:
    url = replica.article_url(SEED)
    assert "not tracked" in one_line_error(editwatch("diff", url))
    track_and_check(editwatch, url)
    assert "nothing to compare" in one_line_error(editwatch("diff", url))
    assert "no revision 7" in one_line_error(editwatch("diff", url, "--from", "1", "--to", "7"))


def test_check_exit_code_reports_changes(replica: Replica, editwatch: CliRunner) -> None:
    url = replica.article_url(SEED)
    track_and_check(editwatch, url)
    quiet = editwatch("check", "--exit-code", url)
    assert quiet.code == 0, quiet
    replica.set_revision(SEED, 2)
    changed = editwatch("check", "--exit-code", url)
    assert changed.code == 1, changed


def test_extract_shows_fields_from_a_live_page(replica: Replica, editwatch: CliRunner) -> None:
    data = ok(editwatch("extract", replica.article_url(SEED))).json()
    assert data["site"] == "moscowtimes"
    assert data["article_key"] == "moscowtimes:68828"
    assert data["fields"]["authors"] == ["Reuters"]
    assert any(
        p.startswith("Qassem Soleimani") and "Iranian military" in p
        for p in data["fields"]["paragraphs"]
    )


def test_terminal_diff_is_plain_without_tty(replica: Replica, editwatch: CliRunner) -> None:
    url = replica.article_url(SEED)
    track_and_check(editwatch, url)
    replica.set_revision(SEED, 2)
    ok(editwatch("check", url))
    text = ok(editwatch("diff", url)).stdout
    assert "\x1b[" not in text
    assert "headline" in text and "[-Rare-]" in text and "{+Surprise+}" in text


def test_related_articles_are_tracked_and_shown_as_a_tree(
    replica: Replica, editwatch: CliRunner
) -> None:
    url = replica.article_url(SEED)
    track_and_check(editwatch, url)
    listing = ok(editwatch("list", "--format", "json")).json()
    children = [a for a in listing if a["found_on"] == listing[0]["id"]]
    assert len(children) == 2 and all(a["depth"] == 1 for a in children)
    ok(editwatch("check"))  # the discovered articles are checked like the others
    listing = ok(editwatch("list", "--format", "json")).json()
    keys = {a["article_key"] for a in listing}
    assert {"moscowtimes:68797", "moscowtimes:68790"} <= keys
    tree = ok(editwatch("list", "--tree")).stdout
    lines = tree.splitlines()
    seed_line = next(i for i, line in enumerate(lines) if "a68828" in line)
    assert "a68797" in tree and "a68790" in tree
    assert all(line.startswith(("│", " ")) for line in lines[seed_line + 1 : seed_line + 3])
