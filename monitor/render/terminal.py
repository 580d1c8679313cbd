"""`--format terminal`: coloured inline word diff per field (rich)."""

from __future__ import annotations

import logging
from typing import Any, TextIO

from rich.console import Console
from rich.text import Text

from monitor.render.base import Renderer
from monitor.render.unified import header_lines

logger = logging.getLogger(__name__)

_LEVEL_STYLE = {"major": "bold white on red", "minor": "black on yellow", "typographic": "dim"}
_DELETED = "red strike"
_INSERTED = "green bold"


def change_text(change: dict[str, Any]) -> Text:
    """The change as one rich Text: deleted words struck in red, inserted in green."""
    text = Text()
    ops = change.get("diff") or []
    if ops:
        for op in ops:
            style = {"delete": _DELETED, "insert": _INSERTED}.get(op["op"], "")
            text.append(op["text"], style=style)
        return text
    before, after = change.get("before"), change.get("after")
    if before:
        text.append(before, style=_DELETED)
    if before and after:
        text.append("  →  ")
    if after:
        text.append(after, style=_INSERTED)
    return text


class TerminalRenderer(Renderer, format="terminal"):
    """Colour on a terminal: one labelled block per changed field, inline word diff."""

    def write_diff(self, report: dict[str, Any], out: TextIO) -> None:
        console = Console(
            file=out,
            width=self.width,
            no_color=not self.color,
            force_terminal=self.color,
            highlight=False,
            soft_wrap=False,
        )
        title, *rest = header_lines(report)
        console.print(Text(title, style="bold"))
        for line in rest:
            style = "bold red" if line.startswith("SILENT") else "dim"
            console.print(Text(line, style=style))
        if not report["changes"]:
            console.print("\nno changes")
            return
        for change in report["changes"]:
            label = Text()
            label.append(f" {change['kind']} ", style="bold reverse")
            label.append(" ")
            label.append(f" {change['significance']} ", style=_LEVEL_STYLE[change["significance"]])
            label.append(f"  {change['field']}", style="dim")
            console.print()
            console.print(label)
            console.print(change_text(change))
