"""Entry point for Prefect workers that load `flows/identify.py:identify` from this checkout; the
flow itself lives in the `coordination` package."""

from coordination.flows.identify import identify

__all__ = ["identify"]
