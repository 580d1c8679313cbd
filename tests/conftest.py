"""Shared fixtures: the replica site (one per session), a fresh database, the CLI subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.replica.client import Replica

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def replica_server() -> Iterator[Replica]:
    with Replica.start() as server:
        yield server


@pytest.fixture
def replica(replica_server: Replica) -> Replica:
    """The session's replica, reset to its data files before each test."""
    replica_server.reset()
    return replica_server


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'editwatch.db'}"


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


CliRunner = Callable[..., CliResult]


@pytest.fixture
def editwatch(db_url: str, tmp_path: Path) -> CliRunner:
    """Run the real `editwatch` command in a subprocess against this test's database."""

    def run(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> CliResult:
        environment = {
            **os.environ,
            "EDITWATCH_DB": db_url,
            "EDITWATCH_CONFIG": str(tmp_path / "no-config.yaml"),
            "NO_COLOR": "1",
            **(env or {}),
        }
        proc = subprocess.run(
            [sys.executable, "-m", "monitor", *args],
            cwd=REPO,
            env=environment,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    return run


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL server for this test session (marked tests only)."""
    from tests.services import postgres_cluster

    with postgres_cluster() as url:
        yield url
