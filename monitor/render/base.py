"""The output-format plugin family: a base class and its registry."""

from __future__ import annotations

import logging
from typing import Any, ClassVar, TextIO

logger = logging.getLogger(__name__)

_REGISTRY: dict[str, type[Renderer]] = {}


class Renderer:
    """Base of output formats; subclasses register with `class X(Renderer, format="name")`."""

    format: ClassVar[str]

    def __init_subclass__(cls, format: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not cls.__doc__:
            raise TypeError(f"output format {format!r} needs a docstring (it is the help text)")
        cls.format = format
        _REGISTRY[format] = cls

    def __init__(self, *, color: bool = False, width: int = 100) -> None:
        self.color = color
        self.width = width

    def write_diff(self, report: dict[str, Any], out: TextIO) -> None:
        """Write one `editwatch.change/1` report."""
        raise NotImplementedError


def formats() -> dict[str, type[Renderer]]:
    """Registered formats by name."""
    return dict(_REGISTRY)


def get_renderer(name: str, **options: Any) -> Renderer:
    """An instance of the format called `name`."""
    try:
        return _REGISTRY[name](**options)
    except KeyError:
        raise KeyError(f"unknown format {name!r}; known: {', '.join(sorted(_REGISTRY))}") from None
