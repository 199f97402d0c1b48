"""Entry point for Prefect workers that load `flows/meeting.py:coordination_meeting` from this checkout; the
flow itself lives in the `coordination` package."""

from coordination.flows.meeting import coordination_meeting

__all__ = ["coordination_meeting"]
