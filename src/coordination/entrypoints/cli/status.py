"""`coordination status`, free of Typer and the models.

Operators and their monitoring run it often, so `main()` answers a bare `coordination status`
here before Typer loads; with options (`--help`) it goes through Typer like any command."""

import json
import sys

from coordination.lazy import lazy

# loaded when the command runs, not when `--help` lists it
db = lazy("coordination.persistence.engine")
totals = lazy("coordination.usecases.totals")


def status() -> None:
    """Counts of cases, SIPs, actions, follow-ups and notifications."""
    db.existing_database()
    # read-only: on SQLite it reads beside a writer instead of queueing for the write lock
    with db.get_engine().execution_options(read_only=True).connect() as connection:
        counts = totals.totals(connection)
    sys.stdout.write(json.dumps(counts, indent=2) + "\n")
