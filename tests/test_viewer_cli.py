"""The viewer through the real CLI: show, diff formats, changes, history, colour and the pager."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import jsonschema
import pytest
from rich.cells import cell_len
from sqlalchemy import select as sql_select

from storage import Revision, open_database
from storage.queries import decompress_html
from tests.conftest import REPO, CliResult, CliRunner
from tests.replica.client import Replica
from tests.test_cli_e2e import ok, one_line_error, schema

pytestmark = pytest.mark.slow

SEED = 68828
ANSI = re.compile(r"\x1b\[[0-9;]*m")
EDITS = {
    "blocks": [
        {"edit": "erdogan", "find": "in 2017", "to": "in December 2017"},
        {
            "edit": "visit",
            "find": "Putin also delivered greetings to Russian forces in Syria.",
            "to": "",
        },
    ]
}


def three_revisions(replica: Replica, editwatch: CliRunner) -> str:
    """Revision 1 as published, 2 with the scripted headline rewrite, 3 with body edits."""
    url = replica.article_url(SEED)
    ok(editwatch("add", url))
    ok(editwatch("check", url))
    replica.set_revision(SEED, 2)
    ok(editwatch("check", url))
    replica.patch_article(SEED, EDITS)
    assert "changed" in ok(editwatch("check", url)).stdout
    return url


def run_in_pty(
    args: list[str], env: dict[str, str], *, columns: int = 100, lines: int = 200
) -> CliResult:
    """Run the CLI with stdin, stdout and stderr on a pseudo-terminal of the given size."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
    environment = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    environment.update(TERM="xterm-256color", COLUMNS=str(columns), LINES=str(lines), **env)
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor", *args],
        cwd=REPO,
        env=environment,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        close_fds=True,
    )
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        code = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    return CliResult(code, b"".join(chunks).decode("utf-8", "replace"), "")


@pytest.fixture
def tty_env(db_url: str, tmp_path: Path) -> dict[str, str]:
    """The environment for a run on a terminal, with a pager that leaves a mark when used."""
    marker = tmp_path / "pager-used"
    pager = tmp_path / "pager"
    pager.write_text(f"#!/bin/sh\necho used >> '{marker}'\ncat\n")
    pager.chmod(0o755)
    return {
        "EDITWATCH_DB": db_url,
        "EDITWATCH_CONFIG": str(tmp_path / "no-config.yaml"),
        "PAGER": str(pager),
        "MARKER": str(marker),
    }


def test_show_text_json_and_html(replica: Replica, editwatch: CliRunner, db_url: str) -> None:
    url = three_revisions(replica, editwatch)
    text = ok(editwatch("show", url)).stdout
    assert text.startswith("Putin Makes Surprise Visit")
    for part in (
        "By Reuters",
        "Published 2020-01-07 13:42 +03:00",
        "revision 3",
        "[featured image] Russian President Vladimir Putin",
        "Credit: Zuma / TASS",
        "Putin's previous trip to Syria was in December 2017",
        "> I think Putin is there to reinforce the Russian position in Syria.",
        "— David Lesch",
        "Related",
        "Tags: Putin, Syria",
    ):
        assert part in text, part
    assert "Putin also delivered greetings" not in text
    assert text.index("Allies and rivals") < text.index("> I think Putin")

    first = ok(editwatch("show", url, "--revision", "1")).stdout
    assert first.startswith("Putin Makes Rare Visit")
    assert "Putin also delivered greetings to Russian forces in Syria." in first
    assert ok(editwatch("show", url, "--revision", "-3")).stdout == first

    data = ok(editwatch("show", url, "--format", "json")).json()
    assert (data["revision"], data["state"], data["status"]) == (3, "article", 200)
    assert data["article_key"] == "moscowtimes:68828" and data["url"] == url
    assert data["silent"] is True
    assert {"paragraph_edited", "paragraph_removed"} <= set(data["kinds"])
    assert data["fields"]["headline"].startswith("Putin Makes Surprise Visit")
    assert data["fields"]["authors"] == ["Reuters"]

    raw = subprocess.run(
        [sys.executable, "-m", "monitor", "show", url, "--revision", "2", "--format", "html"],
        cwd=REPO,
        env={**os.environ, "EDITWATCH_DB": db_url, "NO_COLOR": "1"},
        capture_output=True,
        check=True,
    ).stdout
    sessions = open_database(db_url)
    try:
        with sessions.begin() as session:
            stored = session.scalars(sql_select(Revision).where(Revision.number == 2)).one()
            evidence = decompress_html(stored.raw_html_zstd)
    finally:
        sessions.kw["bind"].dispose()
    assert raw == evidence  # the page as fetched, byte for byte
    assert raw.lstrip().lower().startswith(b"<!doctype html")


def test_show_errors_are_one_line(replica: Replica, editwatch: CliRunner) -> None:
    url = replica.article_url(SEED)
    assert "not tracked" in one_line_error(editwatch("show", url))
    ok(editwatch("add", url))
    assert "no revisions yet" in one_line_error(editwatch("show", url))
    ok(editwatch("check", url))
    assert "no revision 5" in one_line_error(editwatch("show", url, "--revision", "5"))


def test_diff_formats_without_a_terminal(replica: Replica, editwatch: CliRunner) -> None:
    url = three_revisions(replica, editwatch)
    unified = ok(editwatch("diff", url)).stdout  # not a TTY: unified by default
    assert "\x1b" not in unified
    assert "{+December +}2017" in unified
    assert "[-Putin also delivered greetings to Russian forces in Syria.-]" in unified
    assert re.search(r"⋯ \d+ unchanged paragraphs ⋯", unified)

    sbs = ok(editwatch("diff", url, "--format", "side-by-side", env={"COLUMNS": "80"})).stdout
    lines = sbs.splitlines()
    assert "\x1b" not in sbs
    assert all(cell_len(line) <= 80 for line in lines), max(lines, key=cell_len)
    header = next(line for line in lines if "before · revision 2" in line)
    assert "│" in header and "after · revision 3" in header
    assert any("{+December" in line.split("│")[-1] for line in lines if "│" in line)

    narrow = ok(editwatch("diff", url, "--format", "side-by-side", env={"COLUMNS": "50"})).stdout
    assert "│" not in narrow and all(cell_len(line) <= 50 for line in narrow.splitlines())

    terminal = ok(editwatch("diff", url, "--format", "terminal", env={"NO_COLOR": ""})).stdout
    assert "\x1b" not in terminal  # --format terminal into a pipe is still plain
    assert "@@ paragraph_edited" in terminal and "{+December" in terminal

    report = ok(editwatch("diff", url, "--format", "json")).json()
    jsonschema.validate(report, schema("editwatch.change-1.json"))
    context = report["context"]
    assert context["paragraphs"] == context["paragraphs_before"] - 1
    assert len(context["positions"]) == len(report["changes"])


def test_changes_feed_and_history(replica: Replica, editwatch: CliRunner) -> None:
    url = three_revisions(replica, editwatch)
    replica.patch_article(SEED, {"set": {"headline": "Putin and Assad Meet in Damascus"}})
    ok(editwatch("check", url))

    rows = ok(editwatch("changes", "--kind", "headline", "--format", "json")).json()
    assert [row["kind"] for row in rows] == ["headline", "headline"]
    assert rows[0]["after"] == "Putin and Assad Meet in Damascus"  # newest first
    assert rows[1]["after"].startswith("Putin Makes Surprise Visit")
    assert rows[0]["detected_at"] >= rows[1]["detected_at"]
    assert rows[0]["headline"] == "Putin and Assad Meet in Damascus" and rows[0]["url"] == url
    assert {"significance", "silent", "before", "revision", "diff"} <= set(rows[0])

    table = ok(editwatch("changes")).stdout
    assert "\x1b" not in table
    assert url in table and "Putin and Assad Meet in Damascus" in table
    assert "SILENT" in table and "major" in table
    assert "Rare → Surprise" in table
    assert "+ December" in table
    assert table.index("revision 4") < table.index("revision 3") < table.index("revision 2")
    edit = table.index("paragraph_edited")
    assert table.index("paragraph_removed") < edit  # reading order within a revision
    assert "no changes" in ok(editwatch("changes", "--kind", "caption")).stdout

    history = ok(editwatch("history", url)).stdout
    assert "\x1b" not in history
    header, *entries = [line for line in history.splitlines() if re.match(r"\s*(rev|\d)\s", line)]
    assert "silent" in header and "significance" in header
    assert "first seen" in entries[0] and "SILENT" not in entries[0]
    assert "major" in entries[2] and "SILENT" in entries[2]


def test_colour_on_a_terminal_and_the_pager_only_when_long(
    replica: Replica, editwatch: CliRunner, tty_env: dict[str, str]
) -> None:
    url = three_revisions(replica, editwatch)
    marker = Path(tty_env["MARKER"])

    short = run_in_pty(["diff", url], tty_env, lines=200)
    assert short.code == 0, short.stdout
    assert "\x1b[" in short.stdout and "\x1b[9;31m" in short.stdout  # struck red
    assert "\x1b[1;32m" in short.stdout  # green
    assert "unchanged paragraphs" in short.stdout
    assert not marker.exists()  # shorter than the terminal: no pager

    tall = run_in_pty(["diff", url], tty_env, lines=8)
    assert tall.code == 0 and marker.read_text().count("used") == 1
    assert "Putin also delivered greetings" in tall.stdout  # it went through the pager

    run_in_pty(["diff", url, "--no-pager"], tty_env, lines=8)
    run_in_pty(["show", url, "--no-pager"], tty_env, lines=8)
    assert marker.read_text().count("used") == 1

    for args in (["diff", url], ["show", url], ["history", url], ["changes"]):
        colour = run_in_pty([*args, "--no-pager"] if args[0] in ("diff", "show") else args, tty_env)
        assert colour.code == 0 and "\x1b[" in colour.stdout, args
        plain = run_in_pty(args, {**tty_env, "NO_COLOR": "1"})
        assert plain.code == 0 and plain.stdout.strip(), args
        assert ANSI.search(plain.stdout) is None, args


def test_side_by_side_on_a_terminal_fits_its_width(
    replica: Replica, editwatch: CliRunner, tty_env: dict[str, str]
) -> None:
    url = three_revisions(replica, editwatch)
    for columns in (72, 100, 160):
        result = run_in_pty(["diff", url, "--format", "side-by-side"], tty_env, columns=columns)
        assert result.code == 0
        lines = ANSI.sub("", result.stdout).replace("\r", "").splitlines()
        assert all(cell_len(line) <= columns for line in lines), columns
        assert "\x1b[9;31m" in result.stdout
