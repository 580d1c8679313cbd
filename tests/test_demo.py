"""`editwatch demo` runs by itself and shows the edits and the alerts as they arrive."""

from __future__ import annotations

import pytest

from tests.conftest import CliRunner

pytestmark = pytest.mark.slow


def test_demo_shows_every_scripted_edit_and_alert(editwatch: CliRunner) -> None:
    result = editwatch("demo", timeout=90)
    assert result.code == 0, result.stderr
    out = result.stdout
    assert "Putin Makes [-Rare-]{+Surprise+} Visit" in out
    assert "quote_edited (major)" in out
    assert "caption (major)" in out
    assert "no new revision (the fingerprint did not move)" in out
    assert "SILENT EDIT" in out
    assert out.count("signature verified") >= 5
    assert "Headline changed:" in out and "text/plain, text/html" in out
    history = out.split("=== history", 1)[1]
    assert [
        line.split()[1] for line in history.splitlines() if line.strip().startswith("rev ")
    ] == [
        "1",
        "2",
        "3",
        "4",
        "5",
        "6",
    ]
    assert "Traceback" not in result.stderr
