"""The closed vocabularies of the domain, taken from the seed documents.

Values are stable lower-case strings because they are stored in the database and written
by administrators in import files.
"""

from enum import StrEnum


class Organiser(StrEnum):
    """Huvudman: who is responsible for the unit."""

    REGION = "region"
    MUNICIPALITY = "municipality"


class UnitType(StrEnum):
    HEALTH_CENTRE = "health_centre"  # vårdcentral / hälsocentral
    HOME_HEALTH_CARE = "home_health_care"  # kommunal hemsjukvård
    MUNICIPAL_REHABILITATION = "municipal_rehabilitation"
    HOME_HELP = "home_help"  # hemtjänst
    SOCIAL_SERVICES = "social_services"  # socialtjänst, biståndshandläggning
    SPECIALIST_CARE = "specialist_care"
    HOSPITAL = "hospital"  # sluten hälso- och sjukvård
    PSYCHIATRY = "psychiatry"
    HABILITATION = "habilitation"
    CHILD_HEALTH_CARE = "child_health_care"  # barnhälsovård
    DENTAL_CARE = "dental_care"
    SCHOOL = "school"


class Role(StrEnum):
    """Professions named in the seeds (Västerbotten manual, Västmanland agreement)."""

    NURSE = "nurse"
    DISTRICT_NURSE = "district_nurse"
    OCCUPATIONAL_THERAPIST = "occupational_therapist"
    PHYSIOTHERAPIST = "physiotherapist"
    NEEDS_ASSESSOR = "needs_assessor"  # biståndshandläggare
    UNIT_MANAGER = "unit_manager"  # enhetschef
    HOME_HELP_COORDINATOR = "home_help_coordinator"
    DOCTOR = "doctor"
    MAS = "mas"  # medicinskt ansvarig sjuksköterska
    MAR = "mar"  # medicinskt ansvarig för rehabilitering
    MLA = "mla"  # medicinskt ledningsansvarig läkare
    SOCIAL_SECRETARY = "social_secretary"
    LOG_REVIEWER = "log_reviewer"  # reviews the audit log (Patientdatalagen 4 kap. 3 §)


class HandlingTime(StrEnum):
    """Önskad handläggningstid on the SBAR form (Västerbotten, Bilaga 2)."""

    URGENT = "urgent"  # skyndsamt
    NEXT_DAY = "next_day"  # nästa dag
    NEXT_WORKING_DAY = "next_working_day"  # nästa vardag
    WHEN_NEEDED = "when_needed"  # vid behov


class Perspective(StrEnum):
    """The perspectives needs are weighed from (Jönköping agreement)."""

    CARE = "care"  # omsorg
    NURSING = "nursing"  # omvårdnad
    MEDICAL = "medical"
    REHABILITATION = "rehabilitation"
    HEALTH_PROMOTION = "health_promotion"


class CaseStatus(StrEnum):
    IDENTIFIED = "identified"
    CONSENTED = "consented"
    ASSESSED = "assessed"
    PLANNED = "planned"  # a SIP exists, actions not yet dispatched
    ACTIVE = "active"  # actions dispatched, waiting for follow-up
    CLOSED = "closed"


class ConsentScope(StrEnum):
    SHARE_INFORMATION = "share_information"  # between the named organisations
    SIP = "sip"
    INVOLVE_RELATIVES = "involve_relatives"


class ConsentGiver(StrEnum):
    PERSON = "person"
    GUARDIAN = "guardian"


class ConsentForm(StrEnum):
    ORAL = "oral"
    WRITTEN = "written"


class ContactKind(StrEnum):
    GUARDIAN = "guardian"  # vårdnadshavare
    RELATIVE = "relative"  # närstående
    SOCIAL_SECRETARY = "social_secretary"  # for placed children
    CARER = "carer"  # familjehem, HVB, SiS


class Placement(StrEnum):
    FOSTER_HOME = "foster_home"  # familjehem
    RESIDENTIAL_HOME = "residential_home"  # HVB
    SIS = "sis"  # Statens institutionsstyrelse
    LSS_HOME = "lss_home"


class PlacementLaw(StrEnum):
    SOL = "sol"
    LVU = "lvu"
    LSS = "lss"


class ActionStatus(StrEnum):
    PLANNED = "planned"  # part of the SIP, not yet dispatched to the responsible member
    ASSIGNED = "assigned"  # the responsible member has been told; due date is set
    DONE = "done"
    CANCELLED = "cancelled"


class Initiator(StrEnum):
    """Who started coordination: the screening, staff, or the person or a relative (seeds 003, 004)."""

    IDENTIFICATION = "identification"
    STAFF = "staff"
    PERSON = "person"
    RELATIVE = "relative"
    GUARDIAN = "guardian"


class PersonVerdict(StrEnum):
    """The person's answer at a follow-up to the agreements' own measure of success: "I get the
    care and support I need, when I need it and where I need it" (seeds 000, 002)."""

    AGREE = "agree"
    PARTLY = "partly"
    DISAGREE = "disagree"


class SignalKind(StrEnum):
    """What staff observe and report; screened against the identification criteria."""

    EMERGENCY_VISIT = "emergency_visit"  # akutmottagning
    HEALTH_CENTRE_VISIT = "health_centre_visit"
    READMISSION = "readmission"
    HOSPITAL_DISCHARGE = "hospital_discharge"
    SENIOR_ALERT_RISK = "senior_alert_risk"
    MULTIMORBIDITY = "multimorbidity"
    PALLIATIVE = "palliative"
    LASTING_IMPAIRMENT = "lasting_impairment"
    CONCERN_RAISED = "concern_raised"  # by a relative, staff or anyone else
    SCHOOL_ABSENCE = "school_absence"
    MISSED_APPOINTMENT = "missed_appointment"  # including dental care
    MANY_CARE_PROVIDERS = "many_care_providers"
    EXTENSIVE_DISABILITY = "extensive_disability"
    FAILING_PARENTAL_ABILITY = "failing_parental_ability"
    SOMATIC_PSYCHIATRIC_COMORBIDITY = "somatic_psychiatric_comorbidity"


class IdentificationReason(StrEnum):
    """The criteria lists of the seeds: adults (Västerbotten, Jönköping) and children."""

    FREQUENT_VISITOR = "frequent_visitor"
    READMITTED = "readmitted"
    MULTIMORBID_FAILING_HEALTH = "multimorbid_failing_health"
    PALLIATIVE_END_OF_LIFE = "palliative_end_of_life"
    LASTING_IMPAIRMENT = "lasting_impairment"
    SENIOR_ALERT_RISK = "senior_alert_risk"
    FRAIL_ELDERLY_WORSENING = "frail_elderly_worsening"
    DISCHARGE_COORDINATION = "discharge_coordination"
    CHILD_LARGE_CARE_NEEDS = "child_large_care_needs"
    CHILD_EXTENSIVE_DISABILITY = "child_extensive_disability"
    CHILD_FAILING_PARENTAL_ABILITY = "child_failing_parental_ability"
    CHILD_REPEATED_NO_SHOWS = "child_repeated_no_shows"
    CHILD_SCHOOL_ABSENCE = "child_school_absence"
    CHILD_COMORBIDITY = "child_comorbidity"
    CHILD_CONCERN_RAISED = "child_concern_raised"
    MANUAL = "manual"  # anyone may initiate: staff, the person or a relative


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    CANCELLED = "cancelled"  # no longer allowed to be told (consent withdrawn); the reason is kept
    NO_TARGET = "no_target"  # recipient has no notification target; shown, never dropped
    FAILED = "failed"  # every target is permanently invalid; retried once the configuration changes
    # an event that promises to tell someone found no one it may tell: kept with the reason (never
    # sent), listed by `coordination outbox` and reported to operations once
    UNROUTABLE = "unroutable"


class MeetingStatus(StrEnum):
    """A team's coordination meeting: planned from its series, open while held, closed with minutes."""

    PLANNED = "planned"
    OPEN = "open"
    CLOSED = "closed"


class DecisionKind(StrEnum):
    """What a coordination meeting decides about a case (a note: the leadership group's, about no case)."""

    ACTION = "action"
    NEEDS_SIP = "needs_sip"
    DISCHARGE = "discharge"
    NOTE = "note"
    FOLLOW_UP = "follow_up"  # section 4: an ongoing case followed up (`FollowUpVerdict`)


class FollowUpVerdict(StrEnum):
    """What the meeting's short follow-up decides about an ongoing case (manual, section 4)."""

    CONTINUE = "continue"  # the plan goes on as agreed
    REVISE = "revise"  # the coordinator revises the SIP with the person
    CLOSE = "close"  # the needs look met: the coordinator follows up and closes with the person


class ItemKind(StrEnum):
    """What the follow-up sweep follows: an action's due date, or a SIP's next follow-up."""

    ACTION = "action"
    SIP_FOLLOW_UP = "sip_follow_up"


class NoticeClass(StrEnum):
    """How due an item is, from least to most: each is told once per item and recipient."""

    DUE_SOON = "due_soon"
    DUE_TODAY = "due_today"
    OVERDUE = "overdue"
    ESCALATED = "escalated"


class SipAnswer(StrEnum):
    """The person's (or a guardian's) answer to the plan at the SIP meeting: a SIP is never
    carried out against the person's will (seed 003)."""

    AGREED = "agreed"
    REFUSED = "refused"


class EscalationLevel(StrEnum):
    """Where a dispute or an unresolved professional question goes (seeds 001, 004): the
    medically responsible nurse, the responsible for rehabilitation, the medically responsible
    doctor, or the units' managers (who take it on to the county forum)."""

    MAS = "mas"
    MAR = "mar"
    MLA = "mla"
    MANAGERS = "managers"

