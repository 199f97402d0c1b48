"""The `coordination` command: one subcommand per step of the cycle, plus init, import and demo.

Every command is one unit of work: on any error it prints one line naming the record and
field, says how to fix it, exits non-zero and leaves the database as it was.

The heavy modules (SQLAlchemy, the models, alembic, the use cases) load on first use, so help and
the commands that need none of them start fast."""

import sys

from coordination import __version__, settings
from coordination.errors import CoordinationError

__all__ = ["app", "main"]


def __getattr__(name: str):
    """`app` is built on first use, so `--version` answers before Typer and the command modules load."""
    if name == "app":
        return _app()
    raise AttributeError(name)


def _app():
    # each module registers its commands on the root command; the order is the order of `--help`
    from coordination.entrypoints.cli import cases, consent, planning, acting, team_meetings, operations  # noqa: F401
    from coordination.entrypoints.cli.base import app

    return app


def main() -> None:
    if sys.argv[1:] == ["--version"]:  # the commonest question, answered by the interpreter alone
        print(f"coordination {__version__}")
        return
    try:
        if sys.argv[1:] == ["status"]:  # polled by operators' monitoring: answered before Typer loads
            from coordination.entrypoints.cli.status import status

            status()
        else:
            _app()()
    except CoordinationError as exc:
        import typer

        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except Exception as exc:
        import typer

        if _database_error(exc):
            typer.echo(f"error: {_database_hint(exc)}", err=True)
            sys.exit(6)
        if not _prefect_unreachable(exc):
            raise
        import os

        url = os.environ.get("PREFECT_API_URL")
        if url:
            typer.echo(f"error: cannot reach the Prefect API at {url} — check PREFECT_API_URL and that the Prefect "
                       f"server is running (`prefect server start`), or unset it to use the local server", err=True)
        else:
            timeout = os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "20")
            typer.echo(f"error: Prefect's local server did not start within {timeout} s — the machine may be busy: "
                       f"run the command again, raise PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, or start "
                       f"`prefect server start` and set PREFECT_API_URL", err=True)
        sys.exit(7)


def _database_error(exc: BaseException) -> bool:
    """SQLAlchemy's connection and missing-table errors; a command that never loaded SQLAlchemy
    cannot have raised one."""
    errors = sys.modules.get("sqlalchemy.exc")
    return errors is not None and isinstance(exc, (errors.OperationalError, errors.ProgrammingError))


def _prefect_unreachable(exc: BaseException) -> bool:
    import httpx

    while exc is not None:
        if isinstance(exc, httpx.TransportError) or "Failed to reach API" in str(exc) \
                or "attempting to connect to ephemeral Prefect API server" in str(exc):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _database_hint(exc: Exception) -> str:
    text = str(exc).lower()
    if "no such table" in text or "does not exist" in text and "relation" in text:
        return "the coordination database has no schema yet — run `coordination init`"
    return ("cannot reach the coordination database — check COORDINATION_DATABASE_URL "
            f"(now {_masked(settings.database_url())}) and that the database is running")


def _masked(url: str) -> str:
    from sqlalchemy.engine import make_url
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is itself the problem to report
        return "an invalid URL"
