"""Identification: screen reported signals against the seeds' criteria lists.

Adults: Västerbotten manual and Jönköping agreement. Children: Jönköping, deepened for
children. The seeds name groups, not thresholds; the thresholds below ("frequent",
"repeated", "long") are policy and can be changed per region through ScreeningPolicy.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from coordination.domain.vocabulary import IdentificationReason as R
from coordination.domain.vocabulary import SignalKind as S


@dataclass(frozen=True)
class Signal:
    kind: S
    occurred_on: dt.date
    days: int | None = None  # length, for school absence


@dataclass(frozen=True)
class ScreeningPolicy:
    lookback_days: int = 365
    frequent_visits: int = 3  # emergency or health-centre visits in the look-back window
    repeated_no_shows: int = 2
    repeated_school_absences: int = 2
    long_school_absence_days: int = 15  # about three school weeks
    elderly_age: int = 65


# Signals that are a criterion on their own, once within the window.
_ADULT_DIRECT = {
    S.READMISSION: R.READMITTED,
    S.MULTIMORBIDITY: R.MULTIMORBID_FAILING_HEALTH,
    S.PALLIATIVE: R.PALLIATIVE_END_OF_LIFE,
    S.LASTING_IMPAIRMENT: R.LASTING_IMPAIRMENT,
    S.SENIOR_ALERT_RISK: R.SENIOR_ALERT_RISK,
    S.HOSPITAL_DISCHARGE: R.DISCHARGE_COORDINATION,
}
_CHILD_DIRECT = {
    S.MANY_CARE_PROVIDERS: R.CHILD_LARGE_CARE_NEEDS,
    S.EXTENSIVE_DISABILITY: R.CHILD_EXTENSIVE_DISABILITY,
    S.LASTING_IMPAIRMENT: R.CHILD_EXTENSIVE_DISABILITY,
    S.FAILING_PARENTAL_ABILITY: R.CHILD_FAILING_PARENTAL_ABILITY,
    S.SOMATIC_PSYCHIATRIC_COMORBIDITY: R.CHILD_COMORBIDITY,
    S.CONCERN_RAISED: R.CHILD_CONCERN_RAISED,
    S.PALLIATIVE: R.PALLIATIVE_END_OF_LIFE,
    S.HOSPITAL_DISCHARGE: R.DISCHARGE_COORDINATION,
}


def screen(*, age: int, signals: Iterable[Signal], today: dt.date,
           policy: ScreeningPolicy = ScreeningPolicy()) -> list[R]:
    """The identification reasons the signals meet, in a stable order; [] if none."""
    since = today - dt.timedelta(days=policy.lookback_days)
    recent = [s for s in signals if since <= s.occurred_on <= today]
    counts = Counter(s.kind for s in recent)
    reasons: set[R] = set()
    child = age < 18
    direct = _CHILD_DIRECT if child else _ADULT_DIRECT
    reasons.update(reason for kind, reason in direct.items() if counts[kind])
    if child:
        if counts[S.MISSED_APPOINTMENT] >= policy.repeated_no_shows:
            reasons.add(R.CHILD_REPEATED_NO_SHOWS)
        long_absence = any(s.kind == S.SCHOOL_ABSENCE and (s.days or 0) >= policy.long_school_absence_days
                           for s in recent)
        if long_absence or counts[S.SCHOOL_ABSENCE] >= policy.repeated_school_absences:
            reasons.add(R.CHILD_SCHOOL_ABSENCE)
    else:
        if counts[S.EMERGENCY_VISIT] + counts[S.HEALTH_CENTRE_VISIT] >= policy.frequent_visits:
            reasons.add(R.FREQUENT_VISITOR)
        if counts[S.CONCERN_RAISED] and age >= policy.elderly_age:
            reasons.add(R.FRAIL_ELDERLY_WORSENING)
    return sorted(reasons, key=list(R).index)
