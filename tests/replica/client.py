"""`Replica`: start the replica server in a subprocess and drive it over its control API."""

from __future__ import annotations

import json
import logging
import os
import select
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from types import TracebackType
from typing import IO, Any

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 20.0
STOP_TIMEOUT = 5.0


class ReplicaError(RuntimeError):
    """The replica process failed to start, died, or rejected a control call."""


@dataclass
class Fetched:
    """One raw HTTP response (redirects are not followed)."""

    status: int
    headers: Message
    body: bytes

    @property
    def text(self) -> str:
        """The body decoded as UTF-8."""
        return self.body.decode("utf-8")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


class Replica:
    """A running replica server (use `Replica.start()`, ideally as a context manager)."""

    def __init__(self, proc: subprocess.Popen[bytes], stderr: IO[bytes], base_url: str) -> None:
        self.proc = proc
        self._stderr = stderr
        self.base_url = base_url

    # ---- lifecycle -------------------------------------------------------------------------

    @classmethod
    def start(cls, site_dir: str | Path | None = None, timeout: float = START_TIMEOUT) -> Replica:
        """Spawn `python -m tests.replica --port 0` from the repo root and wait for READY."""
        cmd = [sys.executable, "-m", "tests.replica", "--host", "127.0.0.1", "--port", "0"]
        if site_dir is not None:
            cmd += ["--site", str(Path(site_dir).resolve())]
        stderr = tempfile.TemporaryFile()  # noqa: SIM115 - owned by the Replica, closed in stop()
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        proc = subprocess.Popen(
            cmd, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL,
            env=env,
        )  # fmt: skip
        try:
            base_url = cls._wait_ready(proc, stderr, timeout)
        except BaseException:
            cls._terminate(proc)
            _close(proc.stdout, stderr)
            raise
        logger.info("replica ready at %s (pid %d)", base_url, proc.pid)
        return cls(proc, stderr, base_url)

    @staticmethod
    def _wait_ready(proc: subprocess.Popen[bytes], stderr: IO[bytes], timeout: float) -> str:
        assert proc.stdout is not None
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ReplicaError(f"replica did not print READY within {timeout:.0f}s")
            ready, _, _ = select.select([proc.stdout], [], [], min(remaining, 0.5))
            if ready:
                line = proc.stdout.readline().decode("utf-8", "replace").strip()
                if line.startswith("READY "):
                    return line.split(" ", 1)[1].strip()
                if line:
                    raise ReplicaError(f"unexpected replica output: {line!r}")
            if proc.poll() is not None:
                stderr.seek(0)
                err = stderr.read().decode("utf-8", "replace")[-4000:]
                raise ReplicaError(f"replica exited with code {proc.returncode}:\n{err}")

    @staticmethod
    def _terminate(proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                logger.warning("replica pid %d ignored SIGTERM; killing it", proc.pid)
                proc.kill()
                proc.wait()

    def stop(self) -> None:
        """Terminate the server (kill after 5 s) and release its pipes. Idempotent."""
        self._terminate(self.proc)
        _close(self.proc.stdout, self._stderr)

    def stderr_text(self) -> str:
        """What the server wrote to stderr so far (for debugging failures)."""
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")

    def __enter__(self) -> Replica:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:  # fmt: skip
        self.stop()

    # ---- URLs and raw fetches --------------------------------------------------------------

    def url(self, path: str = "") -> str:
        """Absolute URL of a path on the replica."""
        return self.base_url + path.lstrip("/")

    def fetch(
        self, path_or_url: str, method: str = "GET", headers: dict[str, str] | None = None
    ) -> Fetched:
        """One request without following redirects; 3xx/4xx/5xx are returned, not raised."""
        url = path_or_url if "://" in path_or_url else self.url(path_or_url)
        req = urllib.request.Request(url, method=method, headers=headers or {})
        try:
            with _OPENER.open(req, timeout=30) as resp:
                return Fetched(resp.status, resp.headers, resp.read())
        except urllib.error.HTTPError as err:
            with err:
                return Fetched(err.code, err.headers, err.read())

    # ---- control API -----------------------------------------------------------------------

    def _control(self, method: str, name: str, payload: Any = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode("utf-8")
        req = urllib.request.Request(
            self.url("__replica__/" + name), data=data, method=method,
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return json.loads(resp.read().decode("utf-8"))
        except urllib.error.HTTPError as err:
            with err:
                detail = err.read().decode("utf-8", "replace")
            raise ReplicaError(f"{method} {name} -> {err.code}: {detail}") from None

    def state(self) -> dict[str, Any]:
        """Options and a summary of every article."""
        return dict(self._control("GET", "state"))

    def stats(self) -> dict[str, Any]:
        """Request counters: {"total", "paths": {path: n}, "log": [...]}."""
        return dict(self._control("GET", "stats"))

    def clear_stats(self) -> None:
        """Reset the request counters."""
        self._control("POST", "stats/clear", {})

    def hits(self, path_or_url: str) -> int:
        """How many public requests hit this path."""
        path = "/" + path_or_url.removeprefix(self.base_url).split("?", 1)[0].lstrip("/")
        return int(self.stats()["paths"].get(path, 0))

    def article(self, article_id: int) -> dict[str, Any]:
        """Summary, canonical `url` and current `content` of one article."""
        return dict(self._control("GET", f"articles/{article_id}"))

    def article_url(self, article_id: int) -> str:
        """The current canonical URL."""
        return str(self.article(article_id)["url"])

    def set_revision(self, article_id: int, n: int) -> dict[str, Any]:
        """Serve scripted revision n (1 = the YAML base)."""
        return dict(self._control("POST", f"articles/{article_id}/revision", {"n": n}))

    def set_article(self, article_id: int, content: dict[str, Any]) -> dict[str, Any]:
        """Replace (or create) the whole current content, same shape as the YAML."""
        return dict(self._control("POST", f"articles/{article_id}/content", content))

    def patch_article(self, article_id: int, overrides: dict[str, Any]) -> dict[str, Any]:
        """Apply one override dict (the revision-entry format) to the current content."""
        return dict(self._control("POST", f"articles/{article_id}/patch", overrides))

    def unpublish(self, article_id: int) -> dict[str, Any]:
        """Take the article offline (its URLs then serve the soft 404)."""
        return dict(self._control("POST", f"articles/{article_id}/unpublish", {}))

    def publish(self, article_id: int) -> dict[str, Any]:
        """Put the article back online."""
        return dict(self._control("POST", f"articles/{article_id}/publish", {}))

    def set_slug(self, article_id: int, slug: str) -> dict[str, Any]:
        """Change the slug (the old `-a{id}` URL then 301s to the new canonical)."""
        return dict(self._control("POST", f"articles/{article_id}/slug", {"slug": slug}))

    def set_options(self, **opts: bool) -> dict[str, bool]:
        """Set server options: noise, modified_noise, js_body, conditional, redirect_query."""
        return dict(self._control("POST", "options", opts)["options"])

    def reset(self) -> None:
        """Reload the YAML; reset options, revisions, publish state and counters."""
        self._control("POST", "reset", {})


def _close(*streams: IO[bytes] | None) -> None:
    for stream in streams:
        if stream is not None and not stream.closed:
            stream.close()
