"""China's rules for reps and consent, checked on every write of a call — the call form, the API,
the follow-up a next appointment plans — in one place (`check_guardrails`, called by
`validation.validate_call` before anything is written). Each rule is an admin setting
(org.models.ComplianceSettings):

- registration (备案): the call's rep must hold a registration in force on the call's day to
  record a **completed** call; planned calls are allowed (`require_registration`, default on);
- institution consent: a face-to-face call or a meeting at an institution that does not admit
  reps, or not on that weekday, is refused, or recorded and flagged (`institution_rule`,
  `Call.outside_visiting_days`); phone and video calls are not visits in the institution;
- customer consent: every attendee must have agreed to rep visits and to the call's channel
  (`enforce_consent`, default off).

Amendments (a DM's decision on an already recorded call) and cancelled calls are not checked.
"""

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from org.models import ComplianceSettings, InstitutionRule, RegistrationStatus

from ..models import CallStatus, Channel

# The channels that are visits in the institution (the institution's consent applies to them).
IN_INSTITUTION = frozenset({Channel.FACE_TO_FACE, Channel.MEETING})


def registration_problem(rep, day):
    """Why `rep` may not record a completed call on `day` (a translated sentence), or None."""
    if rep.is_registered_on(day):
        return None
    if rep.registration_status == RegistrationStatus.REGISTERED and rep.registration_number:
        if rep.registration_valid_to and day > rep.registration_valid_to:
            return _(
                "Your rep registration (备案) %(number)s expired on %(day)s: a completed call "
                "cannot be recorded. Ask your administrator to renew it; you can still plan calls."
            ) % {"number": rep.registration_number, "day": date_format(rep.registration_valid_to)}
        return _(
            "Your rep registration (备案) %(number)s is valid only from %(day)s: a completed "
            "call of that day cannot be recorded. You can still plan calls."
        ) % {
            "number": rep.registration_number,
            "day": date_format(rep.registration_valid_from),
        }
    return _(
        "%(rep)s is not registered as a medical representative (备案: %(status)s): a completed "
        "call cannot be recorded. Ask your administrator; you can still plan calls."
    ) % {"rep": rep.display_name, "status": RegistrationStatus(rep.registration_status).label}


def institution_problem(institution, day):
    """Why reps may not visit `institution` on `day`, or None."""
    if institution.admits_reps_on(day):
        return None
    if not institution.rep_visit_days:
        return _("%(institution)s does not admit rep visits.") % {
            "institution": institution.display_name
        }
    return _("%(institution)s admits reps only on %(days)s; %(day)s is a %(weekday)s.") % {
        "institution": institution.display_name,
        "days": ", ".join(str(name) for name in institution.rep_visit_day_names),
        "day": date_format(day),
        "weekday": date_format(day, "l"),
    }


def consent_problems(customers, channel):
    """A sentence for each attendee who has not agreed to visits or to calls on `channel`."""
    label = Channel(channel).label if channel in Channel.values else channel
    problems = []
    for customer in customers:
        if not customer.consent_visits:
            problems.append(
                _("%(customer)s has not agreed to rep visits.") % {"customer": customer}
            )
        elif not customer.consents_to(channel):
            problems.append(
                _("%(customer)s has not agreed to calls by %(channel)s.")
                % {"customer": customer, "channel": str(label).lower()}
            )
    return problems


def check_guardrails(*, call, customers, changed, add, amendment=False):
    """Add (`add(field, message)`) the errors of the compliance rules for this write of `call`,
    and set its `outside_visiting_days` flag."""
    if amendment or call.status == CallStatus.CANCELLED or not call.date:
        return
    rules = ComplianceSettings.load()
    if (
        rules.require_registration
        and call.is_completed
        and changed & {"status", "date"}
        and call.rep_id is not None
    ):
        problem = registration_problem(call.rep, call.date)
        if problem:
            add("__all__", problem)
    if call.institution_id is not None and changed & {
        "status",
        "date",
        "channel",
        "customers",
        "institution",
    }:
        problem = (
            institution_problem(call.institution, call.date)
            if call.channel in IN_INSTITUTION
            else None
        )
        if problem and rules.institution_rule == InstitutionRule.REFUSE:
            add("date", problem)
        call.outside_visiting_days = bool(problem)
    if rules.enforce_consent and customers and changed & {"status", "date", "channel", "customers"}:
        for problem in consent_problems(customers, call.channel):
            add("channel", problem)
