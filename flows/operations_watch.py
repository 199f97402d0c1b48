"""Entry point for Prefect workers that load `flows/operations_watch.py:operations_watch` from this checkout; the
flow itself lives in the `coordination` package."""

from coordination.flows.operations_watch import operations_watch

__all__ = ["operations_watch"]
