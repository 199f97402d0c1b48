"""What every command group shares: the root command, the common options and their parsing."""

from typing import Annotated, Optional

import typer

from coordination.errors import InvalidInput
from coordination.lazy import lazy

parsing = lazy("coordination.parsing")
clock = lazy("coordination.domain.calendar")
common = lazy("coordination.usecases.common")
commands = lazy("coordination.usecases.commands")
dispatch = lazy("coordination.usecases.dispatch")
db = lazy("coordination.persistence.engine")

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, add_completion=False, pretty_exceptions_enable=False,
                  help="Care coordination: identify, consent, assess and plan (SBAR, SIP), act, follow up.")

LARGE_IMPORT = 1000  # records; past this, SQLite's planner statistics are refreshed after an import
By = Annotated[str, typer.Option("--by", help="Code of the member who does this (audited).")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]
Now = Annotated[Optional[str], typer.Option(
    "--now", help="Act as at this moment, to replay a day: YYYY-MM-DD or YYYY-MM-DDTHH:MM (Stockholm).")]


def parse_now(text: str | None):
    """--now, in Europe/Stockholm, as aware UTC; the clock when not given."""
    if text is None:
        return clock.now_utc()
    import pendulum

    try:
        moment = pendulum.parse(text.strip(), tz="Europe/Stockholm")
    except Exception:  # pendulum raises several types for bad input; all mean the same here
        raise InvalidInput(f"'{text}' is not a date or a time", record="option", field="now",
                           hint="write 2026-11-27 or 2026-11-27T07:00 (Stockholm time)") from None
    if not isinstance(moment, pendulum.DateTime):
        raise InvalidInput(f"'{text}' is not a date or a time", record="option", field="now",
                           hint="write 2026-11-27 or 2026-11-27T07:00 (Stockholm time)")
    return moment.in_timezone("UTC")


def _version(value: bool) -> None:
    if value:
        from coordination import __version__

        typer.echo(f"coordination {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Print the version and exit.")] = False) -> None:
    """Care coordination: identify, consent, assess and plan (SBAR, SIP), act, follow up."""


def say(text: str) -> None:
    typer.echo(text)


def enum_option(enum_cls, value, field):
    return parsing.parse_enum(enum_cls, value, record="option", field=field)


def versions_option(text: str) -> tuple[int, int]:
    first, sep, second = text.partition(":")
    if not (sep and first.strip().isdigit() and second.strip().isdigit()):
        raise InvalidInput(f"'{text}' is not two version numbers", record="option", field="compare",
                           hint="give FROM:TO, e.g. 1:3")
    return int(first), int(second)


def pair_option(text: str, field: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip() or not value.strip():
        raise InvalidInput(f"'{text}' is not KEY=TEXT", record="option", field=field, hint="e.g. nursing=wound care")
    return key.strip(), value.strip()


def member_or_none(session, code: str | None, field: str):
    return common.member_by_code(session, code, field=field) if code else None


def carry_out(by: str, command: str, **options):
    """Build the command (`commands.<command>`) from the options, validated as the workspace
    validates its form, and carry it out as member `by` in one unit of work. Returns the
    command and what its use case returned. (Named, not imported: the commands load Pydantic and
    the use cases, which `--help` must not wait for.)"""
    cmd = commands.build(getattr(commands, command), **options)
    with db.unit_of_work() as session:
        return cmd, dispatch.execute(session, common.actor_for(session, by), cmd, now=clock.now_utc())
