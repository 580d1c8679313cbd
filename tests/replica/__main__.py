"""Entry point: `python -m tests.replica [--host H] [--port P] [--site DIR]`."""

from __future__ import annotations

import logging

from .server import main

logger = logging.getLogger(__name__)

if __name__ == "__main__":
    raise SystemExit(main())
