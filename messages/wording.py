"""The words for the core's codes (states, severities, reasons, options…), as msgids.

Handlers and the analysis speak in codes; this table is the one place they become words,
so a term reads the same in every message and is translated once.
"""

from __future__ import annotations

from handlers.catalog import N_

SEVERITY = {
    # Factories use different Chinese terms, so the CR/MA/MI code always stands beside them.
    "critical": N_("CR critical"),
    "major": N_("MA major"),
    "minor": N_("MI minor"),
}

CATEGORY = {
    "workmanship": N_("Workmanship"),
    "labelling": N_("Labelling and marking"),
    "material_substitution": N_("Material substitution"),
    "finishing": N_("Finishing"),
    "assembly": N_("Assembly"),
    "function": N_("Function"),
    "dimensions": N_("Dimensions"),
    "other": N_("Other"),
}

VISIT_TYPE = {
    "initial_production_check": N_("Initial production check"),
    "during_production": N_("During-production inspection"),
    "re_check": N_("Re-check"),
}

MATERIAL_STATUS = {
    "on_site": N_("on site"),
    "partial": N_("partly arrived"),
    # what each is to a QC manager: a material not yet delivered, a substitute no one approved
    # (substituted is 未经批准替换, never 已被替换, which reads as already put right)
    "missing": N_("missing, not yet at the factory"),
    "substituted": N_("substituted"),
}

PACKAGING_ITEM = {
    "master_carton": N_("Master carton"),
    "inner_packing": N_("Inner packing"),
    "shipping_marks": N_("Shipping marks"),
    "barcodes": N_("Barcodes"),
    "country_of_origin": N_("Country-of-origin marking"),
    "warnings": N_("Warning labels"),
    "instructions": N_("Instruction manual"),
    "product_labels": N_("Product labels"),
    "other": N_("Other packaging"),
}

PACKAGING_STATUS = {
    "ok": N_("OK"),
    "wrong": N_("wrong"),
    "missing": N_("missing"),
    "not_checked": N_("not checked"),
}

STATUS = {
    "on_track": N_("On track"),
    "at_risk": N_("At risk"),
    "late": N_("Late"),
}

OPTION = {
    "adjust_final_inspection": N_("Adjust the final-inspection date"),
    "revise_freight_booking": N_("Revise the freight booking"),
    "escalate_with_factory": N_("Escalate with the factory"),
    "additional_check": N_("Schedule an additional mid-production check"),
    "written_corrective_requirements": N_("Send written corrective requirements"),
}

SYSTEMATIC_REASON = {
    "inspector_judged_systematic": N_("the inspector judged it systematic"),
    "high_rate": N_("a high share of the units checked is affected"),
    "process_category": N_("labels and materials go wrong on every unit made the same way"),
    "repeated_category": N_("the same kind of problem appears in several findings"),
}

INSTRUCTION_STATE = {
    "proposed": N_("awaiting decision"),
    "approved": N_("approved"),
    "edited": N_("approved with changes"),
    "rejected": N_("rejected"),
    "sent": N_("sent to factory"),
    "acknowledged": N_("acknowledged"),
    "disputed": N_("disputed"),
    "done": N_("reported done"),
    "verified": N_("verified by the buyer"),
    "reopened": N_("sent back for rework"),
    "cancelled": N_("cancelled with the notice"),
}

NOTICE_STATE = {
    "sent": N_("awaiting acknowledgement"),
    "acknowledged": N_("acknowledged"),
    "disputed": N_("disputed"),
    "cancelled": N_("cancelled"),
}

# What was done to a notice, as the visit report tells its history (handlers.queries.visit_record).
NOTICE_STEP = {
    "send": N_("sent to the factory"),
    "revise": N_("revised and sent again"),
    "acknowledge": N_("acknowledged"),
    "dispute": N_("disputed"),
    "extend": N_("deadline extended"),
    "cancel": N_("withdrawn"),
}

COMMITMENT = {
    "accepted": N_("accepted"),
    "requested": N_("awaiting the buyer"),
    "declined": N_("declined: the due date stands"),
}

NEXT_STEP = {
    "decide_disputed": N_("Decide the disputed instructions again and send the revised notice."),
    "chase_acknowledgement": N_("Remind the factory: a notice is unanswered past its deadline."),
    "chase_overdue": N_("Ask the factory when the overdue instructions will be done."),
    "decide_commitment": N_("Accept or decline the later completion date the factory proposed."),
    "decide_proposed": N_("Approve, edit or reject the proposed instructions."),
    "send_notice": N_("Send the corrective notice to the factory."),
    "verify_done": N_("Check the factory's photos and verify or reopen what it reported done."),
    "await_acknowledgement": N_("Wait for the factory to acknowledge the notice before its deadline."),
    "await_correction": N_("Wait for the factory to report the instructions done by their due dates."),
    "acknowledge": N_("Acknowledge the corrective notice, or dispute it with your reason."),
    "finish_overdue": N_("Finish the overdue instructions and report them done with photos."),
    "report_done": N_("Report each instruction done with photos by its due date."),
    "nothing": N_("Nothing is due now."),
    **OPTION,  # when only the schedule needs a decision, the analysis' first option is the step
}

QUALITY_RESULT = {
    "pass": N_("pass"),
    "fail": N_("fail"),
    "incomplete": N_("incomplete"),
    "not_judged": N_("no sample judged"),
}

ROLE = {
    "buyer": N_("buyer"),
    "inspector": N_("inspector"),
    "factory": N_("factory contact"),
    "admin": N_("administrator"),
}

PLATFORM = {
    "console": N_("console"),
    "telegram": N_("Telegram"),
    "slack": N_("Slack"),
    "wecom": N_("WeCom group robot"),
    "dingtalk": N_("DingTalk group robot"),
    "feishu": N_("Feishu group robot"),
    "web": N_("notice link"),
    "email": N_("e-mail"),
}

BINDING_OUTCOME = {
    "confirmed": N_("confirmed"),
    "refused": N_("refused"),
}

# Why a message could not be delivered: the reason codes of bot/outbox/failures.py.
DELIVERY_FAILURE = {
    "chat_not_found": N_("the chat does not exist, or the bot is not in it"),
    "bot_blocked": N_("the recipient has blocked the bot"),
    "bot_kicked": N_("the bot was removed from the chat"),
    "forbidden": N_("the bot is not allowed to post in this chat"),
    "channel_archived": N_("the channel is archived"),
    "not_in_channel": N_("the bot is not a member of the channel"),
    "account_inactive": N_("the recipient's account is deactivated"),
    "invalid_auth": N_("the platform no longer accepts the bot's token"),
    "address_refused": N_("the mail server refused the e-mail address"),
    "rejected": N_("the platform refused this message"),
    "gave_up": N_("the platform could not be reached for 24 hours"),
}

PACKAGING_COMPLEXITY = {
    "simple": N_("simple"),
    "standard": N_("standard"),
    "complex": N_("complex"),
}

# Why an order warrants a follow-up visit (handlers.queries.factories.Criterion).
CRITERION = {
    "first_order": N_("first order"),
    "large": N_("large order"),
    "high_value": N_("high value"),
    "tight_window": N_("tight window"),
    "complex_packaging": N_("complex packaging"),
    "factory_history": N_("factory history"),
}

TABLES = {
    "criterion": CRITERION,
    "packaging_complexity": PACKAGING_COMPLEXITY,
    "role": ROLE,
    "severity": SEVERITY,
    "category": CATEGORY,
    "visit_type": VISIT_TYPE,
    "material_status": MATERIAL_STATUS,
    "packaging_item": PACKAGING_ITEM,
    "packaging_status": PACKAGING_STATUS,
    "status": STATUS,
    "option": OPTION,
    "systematic": SYSTEMATIC_REASON,
    "instruction_state": INSTRUCTION_STATE,
    "notice_state": NOTICE_STATE,
    "notice_step": NOTICE_STEP,
    "commitment": COMMITMENT,
    "next_step": NEXT_STEP,
    "quality_result": QUALITY_RESULT,
    "platform": PLATFORM,
    "binding_outcome": BINDING_OUTCOME,
    "delivery_failure": DELIVERY_FAILURE,
}


def word(language, table: str, code: str) -> str:
    return language.gettext(TABLES[table][code])
