"""The answer a person gets after acting, in their language: handlers return a code and
parameters (see handlers/results.py), this turns them into one sentence."""

from __future__ import annotations

from handlers.catalog import N_, Nn_
from handlers.results import Reply
from handlers.text import neutralised
from handlers.translatable import Text
from messages import wording
from messages.english_only import field_name
from messages.i18n import Language
from messages.people import everyone, who

TEMPLATES = {
    "visit_posted": Nn_("Visit for %(order)s posted with %(instructions)s proposed instruction.",
                        "Visit for %(order)s posted with %(instructions)s proposed instructions."),
    "visit_form_opened": N_("The visit form for %(order)s is ready: open the link to fill it in."),
    "unknown_order": N_("There is no order %(order)s; import it first (followup orders import)."),
    "unknown_draft": N_("This visit form no longer exists; ask for a new link."),
    "draft_has_problems": Nn_("The visit was not posted: %(count)s problem to fix first, shown beside its field.",
                              "The visit was not posted: %(count)s problems to fix first, shown beside their fields."),
    "visit_already_posted": N_("This report was already posted for %(order)s; nothing was changed."),
    "instruction_approved": N_("Approved."),
    "instructions_approved": Nn_("Approved as proposed: %(count)s instruction (%(labels)s).",
                                 "Approved as proposed: %(count)s instructions (%(labels)s)."),
    "nothing_to_approve": N_("Nothing left to approve for %(order)s: every instruction is decided."),
    "instruction_edited": N_("Changed and approved."),
    "instruction_rejected": N_("Rejected."),
    "already": N_("Already %(state)s by %(by)s at %(at)s."),
    "illegal_transition": N_("This instruction is %(state)s (%(by)s, %(at)s); it cannot be changed that way now."),
    "not_allowed": N_("Sorry, your role (%(role)s) does not allow that."),
    "not_your_factory": N_("This notice or order does not belong to your factory."),
    "stranger": N_("Sorry, this bot works only for the people of its buyer and their factories."),
    "unknown_instruction": N_("There is no instruction %(instruction_id)s."),
    "unknown_notice": N_("There is no notice %(notice_id)s."),
    "name_needed": N_("Please give your name, so the buyer knows who answered."),
    "not_in_notice": N_("That instruction is not part of notice %(number)s."),
    "link_superseded": N_("Notice %(number)s has a newer version; ask the buyer for its link."),
    "links_revoked": N_("Links to notice %(number)s for %(recipient)s issued until now are revoked; they no longer "
                        "open the page. Links the bot sends from now on open it."),
    "links_already_revoked": N_("Links to notice %(number)s for %(recipient)s were revoked at this moment already."),
    "unknown_visit": N_("There is no visit %(visit_id)s."),
    "visit_report_coming": N_("The visit report of %(order)s is being prepared; the PDF follows in a moment."),
    "visit_report_on_its_way": N_("The visit report of %(order)s is already on its way; it was asked for a moment "
                                  "ago."),
    "visit_report_nowhere": N_("There is no chat to send the visit report of %(order)s to: start a private chat "
                               "with the bot, or run followup visit report."),
    "unknown_factory": N_("Factory %(factory)s is not configured."),
    "orders_imported": N_("Orders imported: %(created)s new, %(updated)s changed, %(unchanged)s unchanged."),
    "orders_checked": N_("No problems found. Importing would add %(created)s new, change %(updated)s and leave "
                         "%(unchanged)s unchanged; nothing was stored (--dry-run)."),
    "order_of_other_factory": N_("Order %(order)s belongs to factory %(factory)s, but the report names "
                                 "%(reported)s; nothing was posted. Correct the report's factory or the order."),
    "production_start_not_before_final_inspection": N_(
        "Order %(order)s: production starts %(production_start)s, not before the report's final inspection "
        "%(final_inspection)s; nothing was posted. Correct the report's final inspection or the order's production "
        "start."),
    "notice_not_ready": N_("Decide every instruction first: %(undecided)s still awaiting decision."),
    "nothing_approved": N_("Nothing is approved yet: approve at least one instruction first."),
    "notice_sent": Nn_("Notice %(number)s sent to the factory with %(count)s instruction.",
                       "Notice %(number)s sent to the factory with %(count)s instructions."),
    "notice_revised": Nn_("Notice %(number)s, version %(version)s, sent to the factory with %(count)s instruction.",
                          "Notice %(number)s, version %(version)s, sent to the factory with %(count)s instructions."),
    "notice_english_only": Nn_("Not sent yet: %(count)s text would reach the factory in English only. Add its "
                               "Chinese, or tap Send anyway.",
                               "Not sent yet: %(count)s texts would reach the factory in English only. Add their "
                               "Chinese, or tap Send anyway."),
    "chinese_added": Nn_("Chinese added for %(label)s (%(field)s); %(count)s more text of it is in English only.",
                         "Chinese added for %(label)s (%(field)s); %(count)s more texts of it are in English only."),
    "chinese_complete": N_("Chinese added for %(label)s (%(field)s); every text of it now has its Chinese."),
    "chinese_already_added": N_("That Chinese is already on %(label)s; nothing was changed."),
    "not_chinese": N_("That text has no Chinese in it; write the Chinese the factory will read for %(label)s. "
                      "Nothing was changed."),
    "no_english_only": N_("Every text of %(label)s already has its Chinese; nothing was changed."),
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
    "photo_refused": N_("That photo was not accepted: %(problem)s. Please send a photo of the corrected units "
                        "(JPEG, PNG or HEIC, at most 10 MB)."),
    "photo_file_refused": N_("%(name)s was not accepted: %(problem)s. Nothing was sent; choose photos of the "
                             "corrected units again (JPEG, PNG or HEIC, each at most 10 MB)."),
    "too_many_photos": N_("You chose %(count)s photos; at most %(limit)s can be sent at a time. Nothing was sent."),
    "evidence_added": Nn_("Photo added: %(count)s photo with this done report.",
                          "Photos added: %(count)s photos with this done report."),
    "reminder_sent": N_("Reminder about notice %(number)s sent to the factory."),
    "reminder_scheduled": N_("The factory is outside its working hours; the reminder about notice %(number)s "
                             "goes at %(at)s."),
    "no_manager": N_("No manager contact is configured for %(factory)s."),
    "manager_escalated": N_("Notice %(number)s escalated to %(manager)s."),
    "bad_extension": N_("An extension must be between 1 and 336 hours, not %(hours)s."),
    "deadline_extended": N_("The factory now has until %(until)s to acknowledge notice %(number)s."),
    "notice_cancelled": N_("Notice %(number)s withdrawn; the factory has been told."),
    "notice_already_cancelled": N_("Notice %(number)s is already withdrawn."),
    "notice_not_awaiting": N_("Notice %(number)s is %(state)s: only a notice awaiting acknowledgement can be chased "
                              "or withdrawn."),
    "notice_withdrawn": N_("Notice %(number)s was withdrawn by the buyer (%(by)s, %(at)s)."),
    "cannot_commit": N_("A completion date can only be given while the factory works on an instruction; this one "
                        "is %(state)s."),
    "bad_date": N_("“%(text)s” is not a date I can read; write it like 2026-12-05 or 12月5日."),
    "commitment_in_past": N_("%(date)s is in the past; give a date from %(today)s on."),
    "commitment_unchanged": N_("Completion date %(date)s is already recorded."),
    "commitment_recorded": N_("Thank you: completion by %(date)s recorded."),
    "commitment_asked": N_("%(date)s is after the due date %(due)s: the buyer has been asked to accept it. Until "
                           "then the due date stands."),
    "commitment_already_decided": N_("The completion date %(date)s is already %(decision)s."),
    "no_commitment_to_decide": N_("There is no completion date awaiting a decision for this instruction."),
    "commitment_decided": N_("Done: the completion date %(date)s is %(decision)s; the factory has been told."),
    "binding_confirmed": N_("Confirmed: %(who)s now acts as a contact of %(factory)s."),
    "binding_refused": N_("Refused: %(who)s does not act for %(factory)s."),
    "binding_already_decided": N_("%(who)s was already %(outcome)s by %(by)s at %(at)s."),
    "unknown_binding_request": N_("This request is not known; nothing was changed."),
    "contact_revoked": N_("Revoked: %(who)s can no longer act for %(factory)s."),
    "already_revoked": N_("%(who)s was already revoked by %(by)s at %(at)s."),
    "which_contact": N_("Name the contact to revoke, by name or by id. Invited or confirmed contacts: %(contacts)s."),
    "ambiguous_contact": N_("“%(typed)s” names more than one contact: %(contacts)s. Name one by the id after the "
                            "platform; nothing was changed."),
    "unknown_contact": N_("No invited or confirmed contact is called “%(typed)s”; nothing was changed. They are: "
                          "%(contacts)s."),
    "configured_contact": N_("%(who)s is configured in followup.toml: remove them there and restart the bot."),
}

# When nobody has decided yet there is no "who and when" to name.
WITHOUT_WHO = {
    "illegal_transition": N_("This instruction is %(state)s; it cannot be changed that way now."),
}

# A reply said in singular and plural forms is chosen by this parameter ("count" if not named).
COUNTED_BY = {"visit_posted": "instructions"}

FIELDS = {"reason": N_("reason"), "note": N_("note"), "chinese": N_("Chinese text")}


def reply_text(reply: Reply, language: Language) -> str:
    params = dict(reply.params)
    if params.get("by"):
        params["by"] = who(language, params["by"])
    if params.get("who"):
        params["who"] = who(language, params["who"])
    if isinstance(params.get("contacts"), list):
        params["contacts"] = everyone(language, params["contacts"])
    if params.get("outcome"):
        params["outcome"] = wording.word(language, "binding_outcome", params["outcome"])
    if params.get("at"):
        params["at"] = language.moment(params["at"])
    if "state" in params:
        table = "notice_state" if "number" in params else "instruction_state"
        params["state"] = wording.word(language, table, params["state"])
    if "role" in params:
        params["role"] = wording.word(language, "role", params["role"])
    if reply.code in ("chinese_added", "chinese_complete"):
        params["field"] = field_name(language, params["field"])
    elif "field" in params:
        params["field"] = language.gettext(FIELDS.get(params["field"], params["field"]))
    if isinstance(params.get("labels"), list):
        params["labels"] = language.comma.join(params["labels"])
    if isinstance(params.get("problems"), dict):
        problems = params["problems"].items()
        params["problems"] = language.separator.join(language.problem(name, text) for name, text in problems)
    for name in ("due", "visit_date", "date", "today", "production_start", "final_inspection"):
        if params.get(name):
            params[name] = language.date(params[name])
    if params.get("until"):
        params["until"] = language.moment(params["until"])
    if params.get("decision"):
        params["decision"] = wording.word(language, "commitment", params["decision"])
    params.update({name: language.text(value) for name, value in params.items() if isinstance(value, Text)})
    template = TEMPLATES[reply.code]
    if reply.code in WITHOUT_WHO and not params.get("by"):
        template = WITHOUT_WHO[reply.code]
    if isinstance(template, tuple):
        said = language.ngettext(*template, reply.params[COUNTED_BY.get(reply.code, "count")])
    else:
        said = language.gettext(template)
    return neutralised(said % params)
