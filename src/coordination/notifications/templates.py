"""Message texts. They say what, which case number, when due, who is responsible by role
and where to look — never who the person is, and no health detail. Inputs are therefore
limited to case numbers, ids, roles, dates and kinds.

A template is a `Draft`: its text is rendered in the recipient's language (Swedish by default)
when the outbox row is written, through the Babel catalogs in `coordination/i18n`. Every line
that concerns an item carries a link into the workspace, with ids only in the URL."""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from coordination import settings
from coordination.domain.vocabulary import HandlingTime, NoticeClass, Role
from coordination.i18n import Texts
# the words staff read for stored values live with the catalogs; the messages use them too
from coordination.i18n.terms import CLASS_NAMES, HANDLING_TIMES, N_, role_name, term


@dataclass(frozen=True)
class Message:
    kind: str
    subject: str
    body: str
    attachment_name: str | None = None  # e.g. an .ics invitation
    attachment: str | None = None


@dataclass(frozen=True)
class Draft:
    """A message not yet in a language: `render` writes it for one recipient's locale."""

    kind: str
    render: Callable[[Texts], tuple[str, str]]
    attach: Callable[[Texts], tuple[str, str]] | None = None  # (file name, content)

    def message(self, locale: str | None) -> Message:
        t = Texts(locale)
        subject, body = self.render(t)
        name, content = self.attach(t) if self.attach else (None, None)
        return Message(self.kind, subject, body, name, content)


def link(path: str) -> str:
    return f"{settings.web_url()}{path}"


def case_link(case: str) -> str:
    return link(f"/cases/{case}")


def action_link(action_id: int) -> str:
    return link(f"/actions/{action_id}")


def _look(t: Texts, case: str) -> str:
    return t.gettext("Open the case in the workspace: %(url)s", url=case_link(case))


def _about_case(kind: str, case: str, subject: str, body: str, **values) -> Draft:
    """A message about one case: its subject and body (msgids marked with N_, filled with the case
    and `values`; a callable value is given the reader's texts), then the link to the case."""
    def render(t: Texts):
        fields = {"case": case} | {k: v(t) if callable(v) else v for k, v in values.items()}
        return t.gettext(subject, **fields), t.gettext(body, **fields) + "\n\n" + _look(t, case)
    return Draft(kind, render)


def case_flagged(case: str) -> Draft:
    return _about_case("case_flagged", case, N_("%(case)s: identified for coordination"),
                       N_("Case %(case)s meets the identification criteria and is flagged for the next coordination "
                          "meeting. Obtain and document consent before information is shared."))


def sip_created(case: str, version: int, coordinator_role: Role, next_follow_up: dt.date,
                cause: str | None = None) -> Draft:
    """`cause`: None for a first SIP, 'follow_up' or 'revision' for a later version."""
    def render(t: Texts):
        what = {"follow_up": t.gettext("version %(version)s of the SIP was drawn up after a follow-up",
                                       version=version),
                "revision": t.gettext("the SIP was revised (version %(version)s)", version=version),
                }.get(cause) or t.gettext("a SIP was drawn up")
        return (t.gettext("%(case)s: SIP version %(version)s, follow-up %(date)s", case=case, version=version,
                          date=t.iso_date(next_follow_up)),
                t.gettext("For case %(case)s, %(what)s; you are a participant.", case=case, what=what) + "\n"
                + t.gettext("Coordinator: %(role)s.", role=role_name(t, coordinator_role)) + "\n"
                + t.gettext("Next follow-up: %(date)s.", date=t.iso_date(next_follow_up)) + "\n\n" + _look(t, case))
    return Draft("sip_revised" if cause else "sip_created", render)


def action_assigned(case: str, action_id: int, handling_time: HandlingTime, due: dt.date | None,
                    follow_up: dt.date, responsible_role: Role) -> Draft:
    def render(t: Texts):
        due_text = t.iso_date(due) if due else t.gettext("when needed")
        return (t.gettext("%(case)s: action %(id)s due %(due)s", case=case, id=action_id, due=due_text),
                t.gettext("Action %(id)s in case %(case)s is assigned to you (%(role)s).", id=action_id, case=case,
                          role=role_name(t, responsible_role)) + "\n"
                + t.gettext("Handling time: %(time)s. Due: %(due)s. Follow-up: %(follow_up)s.",
                            time=t.gettext(HANDLING_TIMES[str(handling_time)]), due=due_text,
                            follow_up=t.iso_date(follow_up)) + "\n\n"
                + t.gettext("See it and mark it done: %(url)s", url=action_link(action_id)))
    return Draft("action_assigned", render)


def case_closed(case: str) -> Draft:
    return _about_case("case_closed", case, N_("%(case)s: closed after follow-up"),
                       N_("The follow-up of case %(case)s found that the coordinated needs are met; the case and its "
                          "SIP are closed and open actions were cancelled."))


def sip_meeting_scheduled(case: str, when: dt.datetime) -> Draft:
    """No place in the message: it may be where the person lives."""
    return _about_case("sip_meeting", case, N_("%(case)s: SIP meeting %(when)s"),
                       N_("A SIP meeting with the person is booked for case %(case)s at %(when)s; you take part in "
                          "the plan. The place is in the workspace."), when=lambda t: t.moment(when))


def sip_refused(case: str, version: int) -> Draft:
    return _about_case("sip_refused", case, N_("%(case)s: the plan was not agreed"),
                       N_("At the SIP meeting for case %(case)s the plan (version %(version)s) was not agreed. It is "
                          "not carried out against the person's will: revise it with them. The case is on the next "
                          "coordination meeting's agenda."), version=version)


def deviation_for_unit(case: str) -> Draft:
    """To a manager whose organisation the consent does not cover: that a deviation concerns their
    unit, with the case number only, and the link to their unit's page (not to the case, which they
    may not open)."""
    def render(t: Texts):
        return (t.gettext("%(case)s: a deviation concerns your unit", case=case),
                t.gettext("A deviation was reported for case %(case)s about a member of your unit. The person's "
                          "consent does not cover your organisation, so nothing more is shared here. Follow it up "
                          "with your member under your own routine and close it in your unit's page: %(url)s",
                          case=case, url=link("/manager")))
    return Draft("deviation_unit", render)


def deviation_reported(case: str) -> Draft:
    return _about_case("deviation_reported", case, N_("%(case)s: a deviation was reported"),
                       N_("A deviation was reported for case %(case)s by someone taking part in it; you are the "
                          "responsible member's manager. Read it and close it in your unit's page: %(url)s"),
                       url=link("/manager"))


def escalation_raised(case: str, level: str) -> Draft:
    return _about_case("escalation", case, N_("%(case)s: a question is taken to you"),
                       N_("A question about case %(case)s that the professionals could not resolve is taken to you "
                          "(%(level)s). Read the reason and answer it on the case page."),
                       level=lambda t: term(t, "escalation_level", level))


def escalation_answered(case: str) -> Draft:
    return _about_case("escalation_answered", case, N_("%(case)s: your question was answered"),
                       N_("The question you took further for case %(case)s has an answer."))


def consent_withdrawn(case: str) -> Draft:
    def render(t: Texts):
        return (t.gettext("%(case)s: consent withdrawn, stop sharing", case=case),
                t.gettext("Consent for case %(case)s was withdrawn. From now on no information may be shared "
                          "between organisations and the SIP may not be continued.", case=case))
    return Draft("consent_withdrawn", render)


SIGNIN_LINK_LIFETIME = dt.timedelta(minutes=15)  # the message says so


def signin_link(url: str, locale: str | None = None) -> Draft:
    del locale  # rendered in the recipient's language by the outbox like every message

    def render(t: Texts):
        return (t.gettext("Your sign-in link to the coordination workspace"),
                t.gettext("Open this link to sign in. It works once and for 15 minutes:") + "\n" + url + "\n\n"
                + t.gettext("If you did not ask to sign in, you can ignore this message."))
    return Draft("signin_link", render)


class DigestItem(NamedTuple):
    """One line of a digest; the sweep passes its database rows, which have these fields."""

    item_kind: str  # action | sip_follow_up
    item_id: int
    case_number: str
    due_date: dt.date
    klass: str  # due_soon | due_today | overdue | escalated
    responsible_role: str


CLASSES = tuple(reversed(NoticeClass))  # the most due first
_RANK = {k: i for i, k in enumerate(CLASSES)}
DIGEST_LINES = 100  # items a digest lists: a manager's region-wide escalations ran to 12,000 lines


def _urgency(item):
    return (_RANK[item.klass], item.due_date, item.case_number, item.item_id)


def sort_items(items):
    return sorted(items, key=_urgency)


class DigestItems:
    """A recipient's items as their digest needs them, however many arrive: the count of each
    class and the DIGEST_LINES most urgent. At 1M actions a manager's region-wide escalations ran
    to 110,000 items, all held at once while the sweep streamed them."""

    def __init__(self, items=()) -> None:
        self.counts = dict.fromkeys(CLASSES, 0)
        self.total = 0
        self._kept: list = []
        for item in items:
            self.add(item)

    def add(self, item) -> None:
        self.counts[item.klass] += 1
        self.total += 1
        self._kept.append(item)
        if len(self._kept) >= 2 * DIGEST_LINES:  # the most urgent of all are among the most urgent of these
            self._kept = heapq.nsmallest(DIGEST_LINES, self._kept, key=_urgency)

    def most_urgent(self) -> list:
        """Up to DIGEST_LINES items, most urgent first."""
        return heapq.nsmallest(DIGEST_LINES, self._kept, key=_urgency)


def digest(items) -> Draft:
    """One message per recipient per sweep, most urgent first; a line per item with its link, for
    the DIGEST_LINES most urgent. The rest are counted, and the workspace lists every item: a
    message of thousands of lines would be read by nobody, and held whole in memory. `items`:
    the items, or a DigestItems that gathered them."""
    gathered = items if isinstance(items, DigestItems) else DigestItems(items)
    counts, more, items = gathered.counts, gathered.total - DIGEST_LINES, gathered.most_urgent()

    def render(t: Texts):
        summary = ", ".join(f"{n} {t.gettext(CLASS_NAMES[k]).split(' (')[0]}" for k, n in counts.items() if n)
        lines = []
        for i in items:
            if i.item_kind == "action":
                what, url = t.gettext("action %(id)s", id=i.item_id), action_link(i.item_id)
            else:
                what, url = t.gettext("SIP follow-up"), case_link(i.case_number) + "#follow-up"
            lines.append(t.gettext("%(case)s, %(what)s: %(class)s %(date)s (responsible: %(role)s)",
                                   case=i.case_number, what=what, **{"class": t.gettext(CLASS_NAMES[i.klass])},
                                   date=t.iso_date(i.due_date), role=role_name(t, i.responsible_role)))
            lines.append(f"  {url}")
        if more > 0:
            lines.append(t.gettext("… and %(count)s more: the workspace lists them all.", count=more))
        body = "\n".join([t.gettext("Your coordination items (%(summary)s):", summary=summary), "", *lines, "",
                          t.gettext("All your items: %(url)s", url=link("/"))])
        return t.gettext("Coordination: %(summary)s", summary=summary), body
    return Draft("digest", render)


def meeting_link(meeting_id: int) -> str:
    return link(f"/meetings/m/{meeting_id}")


def sip_meeting_to_call(case: str, meeting_day: dt.date) -> Draft:
    """The coordination meeting appointed the recipient to call the SIP meeting."""
    def render(t: Texts):
        return (t.gettext("%(case)s: call the SIP meeting", case=case),
                t.gettext("The coordination meeting on %(date)s found that case %(case)s needs a SIP and appointed "
                          "you coordinator: call the person and the parties to a SIP meeting.",
                          date=t.iso_date(meeting_day), case=case) + "\n\n" + _look(t, case))
    return Draft("sip_meeting_to_call", render)


def leadership_taken_over(team_name: str, day: dt.date, meeting_id: int, new_leader_role: Role) -> Draft:
    """To the leader the rotation appointed: another member leads the meeting in their place."""
    def render(t: Texts):
        return (t.gettext("You no longer lead the meeting %(date)s", date=t.iso_date(day)),
                t.gettext("A %(role)s of %(team)s has taken over as leader of the coordination meeting on %(date)s. "
                          "Who, and why, is on the meeting page: %(url)s", role=role_name(t, new_leader_role),
                          team=team_name, date=t.iso_date(day), url=link(f"/meetings/m/{meeting_id}")))
    return Draft("leadership_taken_over", render)


def minutes_ready(team_name: str, day: dt.date, version: int, meeting_id: int, cases: list[str], *,
                  leadership: bool = False) -> Draft:
    """The minutes of a closed meeting: the link, and the case numbers decided on, nothing more."""
    def render(t: Texts):
        if leadership:
            subject = t.gettext("Minutes of the leadership group %(date)s", date=t.iso_date(day))
            closed = t.gettext("The local leadership group of %(team)s met on %(date)s.", team=team_name,
                               date=t.iso_date(day))
        else:
            subject = t.gettext("Minutes of the coordination meeting %(date)s", date=t.iso_date(day))
            closed = t.gettext("The coordination meeting of %(team)s on %(date)s is closed.", team=team_name,
                               date=t.iso_date(day))
        if version > 1:
            subject += ", " + t.gettext("version %(version)s", version=version)
        decided = (t.gettext("Decisions about: %(cases)s.", cases=", ".join(cases)) if cases
                   else "" if leadership else t.gettext("No decisions about cases you are told about."))
        return (subject, closed + ("\n" + decided if decided else "") + "\n\n"
                + t.gettext("Read the minutes: %(url)s", url=link(f"/meetings/m/{meeting_id}/minutes")))
    return Draft("meeting_minutes", render)


class AgendaCounts(NamedTuple):
    discharge: int
    at_risk: int
    ongoing: int
    need_sip: int
    consent_needed: int


def meeting_message(step: str, *, team_name: str, day: dt.date, start: dt.datetime, end: dt.datetime, timezone: str,
                    moved_from: dt.date | None, join_url: str, leader: tuple[str, str] | None,
                    counts: AgendaCounts | None, invitation: Callable[[Texts], str] | None = None,
                    meeting_id: int | None = None) -> Draft:
    """The invitation (`prepare`) or the reminder (`remind`) of one coordination meeting; without
    `counts`, of the local leadership group's meeting (its agenda is the area's indicators)."""
    def render(t: Texts):
        when = f"{t.iso_date(day)} {start:%H:%M}–{end:%H:%M} ({timezone})"
        moved = (" " + t.gettext("(moved from %(date)s for a holiday)", date=t.iso_date(moved_from))
                 if moved_from else "")
        leader_text = (f"{role_name(t, leader[0])} ({leader[1]})" if leader
                       else t.gettext("not appointed (no active member)"))
        common = (t.gettext("Join digitally: %(link)s", link=join_url) + "\n"
                  + t.gettext("Meeting leader: %(leader)s.", leader=leader_text))
        page = ("\n" + t.gettext("The agenda, and the decisions during the meeting: %(url)s", url=meeting_link(meeting_id))
                if meeting_id else "\n" + t.gettext("Your items and cases: %(url)s", url=link("/")))
        if counts is None:
            title = (t.gettext("Reminder: leadership group %(when)s", when=when) if step == "remind"
                     else t.gettext("Leadership group %(when)s", when=when))
            return (title, t.gettext("The local leadership group of %(team)s meets %(when)s", team=team_name, when=when)
                    + moved + ".\n" + common + "\n"
                    + t.gettext("Agenda: the area's indicators and the action plan, deviations and questions the "
                                "professions could not settle.") + page)
        if step == "remind":
            return (t.gettext("Reminder: coordination meeting %(when)s", when=when),
                    t.gettext("The coordination meeting of %(team)s starts %(when)s", team=team_name, when=when)
                    + moved + ".\n" + common + (page if meeting_id else ""))
        return (t.gettext("Coordination meeting %(when)s", when=when),
                t.gettext("You are invited to the coordination meeting of %(team)s on %(when)s", team=team_name,
                          when=when) + moved + ".\n" + common + "\n"
                + t.gettext("Agenda: %(discharge)s at discharge, %(at_risk)s at risk, %(ongoing)s ongoing, "
                            "%(need_sip)s needing a SIP; consent needed for %(consent)s.",
                            discharge=counts.discharge, at_risk=counts.at_risk, ongoing=counts.ongoing,
                            need_sip=counts.need_sip, consent=counts.consent_needed) + "\n"
                + t.gettext("Describe each person in SBAR and share it in the team before the meeting.") + page)
    attach = (lambda t: (f"samordningsmote-{day.isoformat()}.ics", invitation(t))) if invitation else None
    return Draft("meeting_invitation" if step == "prepare" else "meeting_reminder", render, attach)
