import datetime as dt

import pytest

from coordination.domain.identification import ScreeningPolicy, Signal, screen
from coordination.domain.vocabulary import IdentificationReason as R
from coordination.domain.vocabulary import SignalKind as S

TODAY = dt.date(2026, 11, 25)


def days_ago(n):
    return TODAY - dt.timedelta(days=n)


def sig(kind, ago=5, days=None):
    return Signal(kind, days_ago(ago), days)


@pytest.mark.parametrize("kind, reason", [
    (S.READMISSION, R.READMITTED),
    (S.MULTIMORBIDITY, R.MULTIMORBID_FAILING_HEALTH),
    (S.PALLIATIVE, R.PALLIATIVE_END_OF_LIFE),
    (S.LASTING_IMPAIRMENT, R.LASTING_IMPAIRMENT),
    (S.SENIOR_ALERT_RISK, R.SENIOR_ALERT_RISK),
    (S.HOSPITAL_DISCHARGE, R.DISCHARGE_COORDINATION),
])
def test_adult_criteria_met_by_one_signal(kind, reason):
    assert screen(age=80, signals=[sig(kind)], today=TODAY) == [reason]


def test_frequent_visitor_needs_three_visits_in_a_year():
    two = [sig(S.EMERGENCY_VISIT, 10), sig(S.HEALTH_CENTRE_VISIT, 100)]
    assert screen(age=70, signals=two, today=TODAY) == []
    assert screen(age=70, signals=two + [sig(S.EMERGENCY_VISIT, 200)], today=TODAY) == [R.FREQUENT_VISITOR]
    assert screen(age=70, signals=two + [sig(S.EMERGENCY_VISIT, 400)], today=TODAY) == []


def test_relatives_concern_flags_frail_elderly_from_65():
    assert screen(age=66, signals=[sig(S.CONCERN_RAISED)], today=TODAY) == [R.FRAIL_ELDERLY_WORSENING]
    assert screen(age=50, signals=[sig(S.CONCERN_RAISED)], today=TODAY) == []


@pytest.mark.parametrize("signals, reason", [
    ([sig(S.MANY_CARE_PROVIDERS)], R.CHILD_LARGE_CARE_NEEDS),
    ([sig(S.EXTENSIVE_DISABILITY)], R.CHILD_EXTENSIVE_DISABILITY),
    ([sig(S.FAILING_PARENTAL_ABILITY)], R.CHILD_FAILING_PARENTAL_ABILITY),
    ([sig(S.MISSED_APPOINTMENT, 5), sig(S.MISSED_APPOINTMENT, 60)], R.CHILD_REPEATED_NO_SHOWS),
    ([sig(S.SCHOOL_ABSENCE, 5), sig(S.SCHOOL_ABSENCE, 60)], R.CHILD_SCHOOL_ABSENCE),
    ([sig(S.SCHOOL_ABSENCE, 5, days=20)], R.CHILD_SCHOOL_ABSENCE),
    ([sig(S.SOMATIC_PSYCHIATRIC_COMORBIDITY)], R.CHILD_COMORBIDITY),
    ([sig(S.CONCERN_RAISED)], R.CHILD_CONCERN_RAISED),
])
def test_child_criteria(signals, reason):
    assert screen(age=9, signals=signals, today=TODAY) == [reason]


def test_single_no_show_or_short_absence_is_not_repeated():
    assert screen(age=9, signals=[sig(S.MISSED_APPOINTMENT)], today=TODAY) == []
    assert screen(age=9, signals=[sig(S.SCHOOL_ABSENCE, days=3)], today=TODAY) == []


def test_several_reasons_in_stable_order_and_policy_is_adjustable():
    signals = [sig(S.HOSPITAL_DISCHARGE), sig(S.READMISSION), sig(S.EMERGENCY_VISIT), sig(S.EMERGENCY_VISIT)]
    assert screen(age=80, signals=signals, today=TODAY) == [R.READMITTED, R.DISCHARGE_COORDINATION]
    strict = ScreeningPolicy(frequent_visits=2)
    assert R.FREQUENT_VISITOR in screen(age=80, signals=signals, today=TODAY, policy=strict)


def test_future_signals_are_ignored():
    assert screen(age=80, signals=[Signal(S.READMISSION, TODAY + dt.timedelta(days=1))], today=TODAY) == []
