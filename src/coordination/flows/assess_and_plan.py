from __future__ import annotations

import datetime as dt

from coordination.flows.alerts import operated_flow
from coordination.flows.tasks import case_status, check_consent, create_sip, deliver_now, record_assessment


@operated_flow("assess-and-plan")
def assess_and_plan(case_number: str, now: dt.datetime | None = None, deliver: bool = True) -> dict[str, int]:
    """Consent first; then take the SBAR assessment, draw up the SIP and tell the participants."""
    if not check_consent(case_number, now):
        return {"sips": 0, "blocked": 1}
    record_assessment(case_number, now)
    # a case that already has a SIP is revised through follow-up, not planned again
    sip_id = create_sip(case_number, now) if case_status(case_number) == "assessed" else None
    if deliver:
        deliver_now(now)
    return {"sips": int(sip_id is not None), "blocked": 0}
