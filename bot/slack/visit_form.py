"""/followup visit PO-… on Slack: the form's link in the ephemeral answer (or the DM) only the
asker sees, as mrkdwn with every word escaped."""

from __future__ import annotations

from bot.chat.visit_form import button_label, offer_form, visit_asked
from handlers.model import Person, Platform
from messages.environment import mrkdwn_escape


async def visit_form_text(app, person: Person, text: str, update_key: str | None) -> str | None:
    """The answer to "visit PO-…", None when the text asks for something else."""
    reference = visit_asked(text)
    if reference is None:
        return None
    offered = await offer_form(app, person, Platform.SLACK, reference, update_key)
    said = mrkdwn_escape(offered.text)
    return said if offered.url is None else f"{said}\n<{offered.url}|{mrkdwn_escape(button_label(person))}>"
