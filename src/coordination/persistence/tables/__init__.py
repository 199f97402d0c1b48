"""The tables of the coordination database, one module an area; `persistence.models` gathers them."""
