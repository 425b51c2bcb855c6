"""The answer a person gets after acting, in their language: handlers return a code and
parameters (see handlers/results.py), this turns them into one sentence."""

from __future__ import annotations

from handlers.catalog import N_
from handlers.model import display_name
from handlers.results import Reply
from messages import wording
from messages.i18n import Language

TEMPLATES = {
    "visit_posted": N_("Visit for %(order)s posted with %(instructions)s proposed instruction(s)."),
    "visit_already_posted": N_("This report was already posted for %(order)s; nothing was changed."),
    "instruction_approved": N_("Approved."),
    "instruction_edited": N_("Changed and approved."),
    "instruction_rejected": N_("Rejected."),
    "already": N_("Already %(state)s by %(by)s at %(at)s."),
    "illegal_transition": N_("This instruction is %(state)s (%(by)s, %(at)s); it cannot be changed that way now."),
    "not_allowed": N_("Sorry, your role (%(role)s) does not allow that."),
    "not_your_factory": N_("This notice or order does not belong to your factory."),
    "unknown_instruction": N_("There is no instruction %(instruction_id)s."),
    "unknown_notice": N_("There is no notice %(notice_id)s."),
    "unknown_visit": N_("There is no visit %(visit_id)s."),
    "unknown_factory": N_("Factory %(factory)s is not configured."),
    "notice_not_ready": N_("Decide every instruction first: %(undecided)s still awaiting decision."),
    "nothing_approved": N_("Nothing is approved yet: approve at least one instruction first."),
    "notice_sent": N_("Notice %(number)s sent to the factory with %(count)s instruction(s)."),
    "notice_revised": N_("Notice %(number)s, version %(version)s, sent to the factory with %(count)s instruction(s)."),
    "notice_already_sent": N_("Notice %(number)s was already sent by %(by)s at %(at)s."),
    "notice_acknowledged": N_("Thank you: receipt of notice %(number)s is acknowledged."),
    "notice_disputed": N_("Your dispute of notice %(number)s has been passed to the buyer."),
    "notice_already_answered": N_("Notice %(number)s is already %(state)s (%(by)s, %(at)s)."),
    "invalid_params": N_("Please check: %(problems)s"),
    "due_before_visit": N_("The due date %(due)s is before the visit date %(visit_date)s."),
    "text_required": N_("Please give a %(field)s."),
    "text_too_long": N_("The %(field)s is %(length)s characters long; the limit is %(limit)s."),
    "evidence_required": N_("Please send at least one photo of the corrected units."),
    "done_reported": N_("Thank you: reported as done. The buyer will verify it."),
    "instruction_verified": N_("Verified."),
    "instruction_reopened": N_("Reopened; the factory has been told why."),
}

# When nobody has decided yet there is no "who and when" to name.
WITHOUT_WHO = {
    "illegal_transition": N_("This instruction is %(state)s; it cannot be changed that way now."),
}

FIELDS = {"reason": N_("reason"), "note": N_("note")}


def reply_text(reply: Reply, language: Language) -> str:
    params = dict(reply.params)
    if params.get("by"):
        params["by"] = display_name(params["by"])
    if params.get("at"):
        params["at"] = language.moment(params["at"])
    if "state" in params:
        table = "notice_state" if "number" in params else "instruction_state"
        params["state"] = wording.word(language, table, params["state"])
    if "role" in params:
        params["role"] = wording.word(language, "role", params["role"])
    if "field" in params:
        params["field"] = language.gettext(FIELDS.get(params["field"], params["field"]))
    if isinstance(params.get("problems"), dict):
        problems = params["problems"].items()
        params["problems"] = language.separator.join(language.problem(name, text) for name, text in problems)
    for name in ("due", "visit_date"):
        if params.get(name):
            params[name] = language.date(params[name])
    template = TEMPLATES[reply.code]
    if reply.code in WITHOUT_WHO and not params.get("by"):
        template = WITHOUT_WHO[reply.code]
    return language.gettext(template) % params
