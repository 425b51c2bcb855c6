"""`/visit PO-…` on every surface: the inspector asks for the visit form of an order and gets
its signed link, for them alone (the link is the key to the draft, so it never goes into a
chat the factory reads). Each surface shows the link its own way: Telegram as a Mini App
button, Slack and the console as a link."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from handlers.catalog import N_
from handlers.commands import Actor, OpenVisitForm
from handlers.model import Person, Platform
from handlers.text import neutralised
from messages.i18n import Language
from messages.replies import reply_text

_VISIT = re.compile(r"^/?visit(?:@\w+)?(?:\s+(?P<ref>.{1,60}?))?\s*$", re.IGNORECASE)
FORMS_OFF = N_("The visit form needs the bot's web server; ask the operator to set [web] public_url.")
WHICH_ORDER = N_("Which order? Write /visit and the order number, e.g. /visit PO-2026-0142.")
OPEN_FORM = N_("Open the visit form")
SENT_PRIVATELY = N_("%(name)s, the visit form's link is in your private chat with the bot.")
START_PRIVATELY = N_("%(name)s, open a private chat with the bot first: the visit form's link is for you alone.")


@dataclass(frozen=True)
class FormOffered:
    text: str  # in the asker's language, plain text: each surface escapes it
    url: str | None  # the form's signed link, once the form is open


def visit_asked(text: str) -> str | None:
    """"" for "/visit" alone, the reference for "/visit PO-…", None for anything else."""
    match = _VISIT.match(unicodedata.normalize("NFKC", neutralised(text)).strip())
    return None if match is None else (match["ref"] or "")


async def offer_form(app, person: Person, platform: Platform, reference: str,
                     update_key: str | None = None) -> FormOffered:
    language = Language(person.locale, person.timezone)
    if not reference:
        return FormOffered(language.gettext(WHICH_ORDER), None)
    if app.form_links is None:
        return FormOffered(language.gettext(FORMS_OFF), None)
    reply = await app.bus.handle(OpenVisitForm(reference), Actor(person, platform), update_key)
    if not reply.ok:
        return FormOffered(reply_text(reply, language), None)
    return FormOffered(reply_text(reply, language), app.form_links.for_draft(reply.params["draft_id"]))


def button_label(person: Person) -> str:
    return Language(person.locale, person.timezone).gettext(OPEN_FORM)


def privately(person: Person, reached: bool) -> str:
    """The note in a group chat where the form was asked for: where the link went."""
    message = SENT_PRIVATELY if reached else START_PRIVATELY
    return Language(person.locale, person.timezone).gettext(message) % {"name": person.name}
