"""Entry point for Prefect workers that load `flows/follow_up_sweep.py:follow_up_sweep` from this checkout; the
flow itself lives in the `coordination` package."""

from coordination.flows.follow_up_sweep import follow_up_sweep

__all__ = ["follow_up_sweep"]
