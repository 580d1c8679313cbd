"""Entry point of the `editwatch` command: global options, config file, command registry."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

import click
import platformdirs
import yaml

from monitor.cli import alerts, feeds, operating, tracking, viewing
from monitor.cli.options import AppContext, UsageError
from monitor.demo import demo

logger = logging.getLogger(__name__)

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "auto_envvar_prefix": "EDITWATCH"}


def default_config_path() -> Path:
    """`EDITWATCH_CONFIG`, else config.yaml in the user's config directory."""
    env = os.environ.get("EDITWATCH_CONFIG")
    if env:
        return Path(env)
    return Path(platformdirs.user_config_dir("editwatch", appauthor=False)) / "config.yaml"


def load_config(path: Path, explicit: bool) -> dict[str, Any]:
    """Read the YAML config file; a broken file is a one-line usage error."""
    if not path.exists():
        if explicit:
            raise UsageError(f"config file not found: {path}")
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        reason = str(exc).splitlines()[0]
        raise UsageError(f"cannot read config file {path}: {reason}") from None
    if not isinstance(data, dict):
        raise UsageError(f"config file {path} must be a mapping of option: value")
    return data


def configure_logging(verbose: int, log_format: str) -> None:
    """Our logs to stderr; Scrapy's own chatter only with -v."""
    level = logging.WARNING - 10 * verbose
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        from monitor.logjson import JsonFormatter

        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(max(level, logging.DEBUG))
    quiet = logging.WARNING if verbose >= 2 else logging.CRITICAL
    for name in (
        "scrapy",
        "scrapy-playwright",
        "twisted",
        "py.warnings",
        "alembic",
        "asyncio",
        "apprise",
    ):
        logging.getLogger(name).setLevel(max(quiet, level))
    # "skipped: maximum number of running instances" is the point of max_instances=1,
    # not a warning; job failures are still logged at ERROR.
    logging.getLogger("apscheduler").setLevel(logging.ERROR if verbose < 2 else level)


@click.group(context_settings=CONTEXT_SETTINGS)
@click.option(
    "--db", "db_url", metavar="URL", help="Database URL or SQLite path [env EDITWATCH_DB]."
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="YAML config file [default: ~/.config/editwatch/config.yaml].",
)
@click.option("-v", "--verbose", count=True, help="More logging (-vv: include Scrapy's).")
@click.option(
    "--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.version_option(package_name="editwatch")
@click.pass_context
def cli(
    ctx: click.Context, db_url: str | None, config_path: Path | None, verbose: int, log_format: str
) -> None:
    """Watch news articles for edits and show, field by field, what changed.

    Track an article with `editwatch add URL`, fetch it with `editwatch check`,
    then read its revisions with `editwatch history URL` and `editwatch diff URL`.
    """
    configure_logging(verbose, log_format)
    config = load_config(config_path or default_config_path(), explicit=config_path is not None)
    app = AppContext()
    url = db_url or config.get("db")
    if url:
        app.db_url = url if "://" in str(url) else f"sqlite:///{Path(url).expanduser().resolve()}"
    app.config = config
    ctx.obj = app


for command in (
    *tracking.COMMANDS,
    *viewing.COMMANDS,
    *operating.COMMANDS,
    *alerts.COMMANDS,
    *feeds.COMMANDS,
    demo,
):
    cli.add_command(command)


def main() -> None:
    """Console-script entry point: usage errors exit 2 with one line, never a traceback."""
    try:
        # Without standalone mode click returns the code of `ctx.exit(n)` instead of exiting.
        code = cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("editwatch: aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if exc.exit_code in (1, 2) else exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        sys.exit(0)
    sys.exit(code if isinstance(code, int) else 0)
