"""The words staff and persons read for the values the database stores (roles, statuses, kinds,
handling times, indicator names), as catalog msgids: `term(texts, kind, value)` gives them in the
reader's language. The pages and the messages both read them from here."""

from __future__ import annotations

from coordination.domain.vocabulary import Role
from coordination.i18n import Texts


def N_(message: str) -> str:
    """Marks a text for the catalog; it is translated where it is shown."""
    return message


CLASS_NAMES = {"escalated": N_("escalated (overdue past the grace period)"), "overdue": N_("overdue"),
               "due_today": N_("due today"), "due_soon": N_("due soon")}
HANDLING_TIMES = {"urgent": N_("urgent (same day)"), "next_day": N_("next day"),
                  "next_working_day": N_("next working day"), "when_needed": N_("when needed")}
ROLE_NAMES = {"nurse": N_("nurse"), "district_nurse": N_("district nurse"),
              "occupational_therapist": N_("occupational therapist"), "physiotherapist": N_("physiotherapist"),
              "needs_assessor": N_("needs assessor"), "unit_manager": N_("unit manager"),
              "home_help_coordinator": N_("home help coordinator"), "doctor": N_("doctor"), "mas": N_("MAS"),
              "mar": N_("MAR"), "mla": N_("MLA"), "social_secretary": N_("social secretary"),
              "log_reviewer": N_("log reviewer")}


TERMS = {  # stored values -> the words staff read (translated through the catalog)
    "case_status": {"identified": N_("identified"), "consented": N_("consent recorded"), "assessed": N_("assessed"),
                    "planned": N_("planned"), "active": N_("active"), "closed": N_("closed")},
    "action_status": {"planned": N_("planned"), "assigned": N_("assigned"), "done": N_("done"),
                      "cancelled": N_("cancelled")},
    "scope": {"share_information": N_("share information"), "sip": N_("SIP"),
              "involve_relatives": N_("involve relatives")},
    "given_by": {"person": N_("the person"), "guardian": N_("a guardian")},
    "initiator": {"identification": N_("identification (signals screened)"), "staff": N_("staff"),
                  "person": N_("the person"), "relative": N_("a relative"), "guardian": N_("a guardian")},
    "form": {"oral": N_("oral"), "written": N_("written")},
    "reason": {"frequent_visitor": N_("frequent visits to emergency care"), "readmitted": N_("readmitted"),
               "multimorbid_failing_health": N_("several illnesses and failing health"),
               "palliative_end_of_life": N_("palliative care at the end of life"),
               "lasting_impairment": N_("lasting impairment"), "senior_alert_risk": N_("at risk by Senior Alert"),
               "frail_elderly_worsening": N_("frail elderly person, worsening at home"),
               "discharge_coordination": N_("discharge from hospital care"),
               "child_large_care_needs": N_("child with large care needs"),
               "child_extensive_disability": N_("child with extensive disability"),
               "child_failing_parental_ability": N_("child whose parents' ability fails"),
               "child_repeated_no_shows": N_("child with repeated missed appointments")},
    "measure": {"sips_created": N_("SIPs drawn up"), "sips_revised": N_("SIPs revised"),
                "follow_ups": N_("follow-ups"), "follow_ups_on_time_percent": N_("follow-ups on time (%)"),
                "deviations": N_("deviations"), "deviations_reported": N_("deviations reported by staff"),
                "deviations_closed": N_("deviations closed"), "escalations": N_("questions escalated"),
                "escalations_answered": N_("escalated questions answered"),
                "person_agrees_percent": N_("persons who get the care and support they need (%)"),
                "median_days_identification_to_sip": N_("days from identification to SIP (median)"),
                "cases_opened": N_("cases opened"), "cases_closed": N_("cases closed"),
                "cases_open_at_year_end": N_("cases open at the end of the year"),
                "leadership_meetings_held": N_("leadership group meetings held")},
    "escalation_level": {"mas": N_("the medically responsible nurse (MAS)"),
                         "mar": N_("the responsible for rehabilitation (MAR)"),
                         "mla": N_("the medically responsible doctor (MLA)"), "managers": N_("the managers")},
    "signal_kind": {"emergency_visit": N_("visit to emergency care"), "health_centre_visit": N_("visit to the health centre"),
                    "readmission": N_("readmitted to hospital"), "hospital_discharge": N_("discharged from hospital"),
                    "senior_alert_risk": N_("at risk by Senior Alert"), "multimorbidity": N_("several illnesses"),
                    "palliative": N_("palliative care"), "lasting_impairment": N_("lasting impairment"),
                    "concern_raised": N_("concern raised (by a relative, staff or anyone)"),
                    "school_absence": N_("absence from school"),
                    "missed_appointment": N_("missed appointment (dental care too)"),
                    "many_care_providers": N_("many care providers"),
                    "extensive_disability": N_("extensive disability"),
                    "failing_parental_ability": N_("parents' ability fails"),
                    "somatic_psychiatric_comorbidity": N_("both somatic and psychiatric illness")},
    "sip_field": {"coordinator": N_("Coordinator"), "participants": N_("Participants"),
                  "what_matters": N_("What is important to you?"), "plan_b": N_("Plan B"),
                  "other_plans": N_("Other plans"), "relatives_support": N_("Support and relief for the relatives"),
                  "next_follow_up": N_("Next follow-up")},
    "relationship": {"coordinator": N_("coordinator"), "fixed_care_contact": N_("fixed care contact"),
                     "sip_participant": N_("takes part in the SIP"), "responsible": N_("responsible for an action"),
                     "escalated_to": N_("a question was raised to you"), "manager": N_("manager"),
                     "assessor": N_("wrote an SBAR"), "preparing": N_("prepares the case for the team's meeting"),
                     "meeting_team": N_("the meeting's team"), "emergency": N_("emergency access")},
    # the log review: what a member did (the audit event's action, its detail cut off) and to what
    "audit_action": {"read": N_("read"), "print": N_("printed"), "compare": N_("compared versions of"),
                     "review": N_("searched"), "extract": N_("made an extract of"), "open": N_("opened"),
                     "complete": N_("completed"), "retry": N_("sent again"),
                     "add_participant": N_("added a participant to"),
                     "follow_up_decision": N_("followed up at a meeting"),
                     "mark_reviewed": N_("marked reviewed"), "accept": N_("accepted"), "add": N_("added"),
                     "answer": N_("answered"), "apply": N_("applied"), "appoint_coordinator": N_("appointed a coordinator to"),
                     "attendance": N_("recorded attendance at"), "close": N_("closed"), "create": N_("created"),
                     "discharge_note": N_("noted a discharge in"), "dispatch": N_("sent"), "document": N_("documented"),
                     "emergency_access": N_("opened with emergency access"), "escalate": N_("raised a question about"),
                     "lift": N_("lifted"), "name_contacts": N_("named the contacts of"), "place": N_("placed"),
                     "record": N_("recorded"), "register": N_("registered"), "reopen": N_("reopened"),
                     "report": N_("reported"), "schedule": N_("booked"), "share": N_("shared"), "submit": N_("submitted"),
                     "take_over": N_("took over the leadership of"), "withdraw": N_("withdrew"),
                     "refused": N_("was refused"), "notify": N_("was told about"), "sign_in": N_("asked to sign in"),
                     "other": N_("acted on")},
    "audit_record": {"case": N_("case"), "sip": N_("SIP"), "assessment": N_("SBAR"), "action": N_("action"),
                     "escalation": N_("question"), "follow_up": N_("follow-up"), "deviation": N_("deviation"),
                     "meeting": N_("meeting"), "agenda": N_("agenda"), "minutes": N_("minutes"),
                     "consent": N_("consent"), "block": N_("block"), "person": N_("person"), "signal": N_("signal"),
                     "sip_meeting": N_("SIP meeting"), "return_report": N_("return report"),
                     "audit_log": N_("the log"), "outbox": N_("message"), "audit_event": N_("log entry"), "member": N_("member"),
                     "other": N_("record")},
    "review_why": {"emergency": N_("emergency access"), "protected": N_("protected identity read"),
                   "closed_case": N_("read after the case was closed"), "refusals": N_("refusals in a row")},
    "log_kind": {"read": N_("reads"), "change": N_("changes"), "refused": N_("refusals"),
                 "emergency": N_("emergency accesses")},
    "contact_kind": {"guardian": N_("guardian"), "relative": N_("relative"), "social_secretary": N_("social secretary"),
                     "carer": N_("carer (foster home, residential home)")},
    "placement": {"foster_home": N_("foster home"), "residential_home": N_("residential home (HVB)"),
                  "sis": N_("special residential home (SiS)"), "lss_home": N_("LSS home")},
    "placement_law": {"sol": N_("the Social Services Act (SoL)"), "lvu": N_("the Care of Young Persons Act (LVU)"),
                      "lss": N_("LSS")},
    "weekday": {"0": N_("Monday"), "1": N_("Tuesday"), "2": N_("Wednesday"), "3": N_("Thursday"), "4": N_("Friday"),
                "5": N_("Saturday"), "6": N_("Sunday")},
}


def term(t: Texts, kind: str, value: str) -> str:
    return t.gettext(TERMS[kind].get(value, value))


def role_name(t: Texts, role: Role | str) -> str:
    return t.gettext(ROLE_NAMES.get(str(role), str(role).replace("_", " ")))


def audit_words(t: Texts, action: str, record_type: str) -> tuple[str, str]:
    """An audit event's act and record in the reader's words: ('läste', 'ärende')."""
    verb = action.split(":")[0]
    verb = "record" if verb.startswith("record_") else verb
    acts, records = TERMS["audit_action"], TERMS["audit_record"]
    return (t.gettext(acts.get(verb) or acts["other"]), t.gettext(records.get(record_type) or records["other"]))
