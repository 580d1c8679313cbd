"""`--format unified`: plain text with [-deleted-]{+inserted+} word marks, for pipes and email."""

from __future__ import annotations

import logging
import textwrap
from typing import Any, TextIO

from monitor.render.base import Renderer

logger = logging.getLogger(__name__)


def marked_text(change: dict[str, Any]) -> str:
    """The change as one text with wdiff-style marks."""
    ops = change.get("diff") or []
    if ops:
        parts = []
        for op in ops:
            if op["op"] == "delete":
                parts.append(f"[-{op['text']}-]")
            elif op["op"] == "insert":
                parts.append(f"{{+{op['text']}+}}")
            else:
                parts.append(op["text"])
        return "".join(parts)
    before, after = change.get("before"), change.get("after")
    if before and after:
        return f"[-{before}-] {{+{after}+}}"
    if before:
        return f"[-{before}-]"
    return f"{{+{after or ''}+}}"


def header_lines(report: dict[str, Any]) -> list[str]:
    """Title lines shared by the text formats."""
    old, new = report["from"], report["to"]
    lines = [
        f"{report.get('headline') or report['url']}",
        f"{report['url']}",
        f"revision {old['revision']} ({old['fetched_at']}) -> "
        f"revision {new['revision']} ({new['fetched_at']})",
    ]
    if report["silent"]:
        lines.append("SILENT EDIT: the text changed but the update time did not")
    return lines


class UnifiedRenderer(Renderer, format="unified"):
    """Plain text, one block per change, word marks [-old-]{+new+}."""

    def write_diff(self, report: dict[str, Any], out: TextIO) -> None:
        for line in header_lines(report):
            out.write(line + "\n")
        changes = report["changes"]
        if not changes:
            out.write("\nno changes\n")
            return
        for change in changes:
            out.write(f"\n@@ {change['kind']} ({change['significance']}) {change['field']}\n")
            body = marked_text(change)
            for paragraph in body.split("\n"):
                out.write(textwrap.fill(paragraph, self.width, break_long_words=False) + "\n")
