"""`--format side-by-side`: before and after in two columns that fit the terminal (rich)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, TextIO

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from monitor.render.base import Renderer
from monitor.render.terminal import (
    FOLD,
    change_label,
    console_on,
    print_header,
    side_text,
)
from monitor.render.unified import Item, fold_text, layout

logger = logging.getLogger(__name__)

#: Below this width two columns are too narrow to read: before and after are stacked.
NARROW = 60


def _side_label(report: Mapping[str, Any], side: str) -> str:
    ref = report["from" if side == "before" else "to"]
    return f"{side} · revision {ref['revision']}"


def _table(report: Mapping[str, Any], items: list[Item], color: bool) -> Table:
    table = Table(
        box=box.MINIMAL,
        expand=True,
        show_edge=False,
        pad_edge=False,
        header_style="bold",
    )
    for side in ("before", "after"):
        table.add_column(_side_label(report, side), ratio=1, overflow="fold", no_wrap=False)
    for item in items:
        if isinstance(item, int):
            fold = Text(fold_text(item), style=FOLD)
            table.add_row(fold, fold.copy(), end_section=True)
            continue
        table.add_row(change_label(item, color), None)
        table.add_row(
            side_text(item, "before", color), side_text(item, "after", color), end_section=True
        )
    return table


def _stacked(console: Console, items: list[Item], color: bool) -> None:
    """Narrow terminals: the label, then before, then after, one under the other."""
    for item in items:
        console.print()
        if isinstance(item, int):
            console.print(Text(fold_text(item), style=FOLD))
            continue
        console.print(change_label(item, color))
        for side, mark in (("before", "- "), ("after", "+ ")):
            body = side_text(item, side, color)
            if body.plain:
                console.print(Text(mark, style="dim") + body)


class SideBySideRenderer(Renderer, format="side-by-side"):
    """Two columns, before | after, fitted to the terminal; stacked when it is very narrow."""

    def write_diff(self, report: dict[str, Any], out: TextIO) -> None:
        """Write the report as a two-column table (or stacked under 60 columns)."""
        with console_on(out, color=self.color, width=self.width) as console:
            print_header(console, report)
            if not report["changes"]:
                console.print("\nno changes")
                return
            items = layout(report)
            if self.width < NARROW:
                _stacked(console, items, self.color)
                return
            console.print()
            console.print(_table(report, items, self.color))
