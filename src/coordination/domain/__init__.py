"""Pure domain rules and value types: no I/O, no database, no Prefect."""
