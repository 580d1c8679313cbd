"""A local replica of themoscowtimes.com article pages, served over real HTTP for tests."""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)
