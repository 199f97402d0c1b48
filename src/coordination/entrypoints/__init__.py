"""Entry points: the `coordination` command, the demo and the importer. Thin: they parse
input, open a unit of work and call use cases; none decides access by itself."""
