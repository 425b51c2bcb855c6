"""A message as an e-mail to a factory: a subject a production manager recognises in the
inbox, and one body in two forms (plain text and HTML), Chinese first, then English.

A factory reads e-mail where it cannot reach a chat, and a mail is one document read in
full: both languages go in every mail, whatever the destination's locale, as on the PDF
notice. The chat templates render each language (the notice its own sections); each
language ends with the notice link, where there is one, and a note that the mail is
one-way, since a mail carries no buttons.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from handlers.model.message_kinds import MessageKind as K
from handlers.translatable import N_
from handlers.views import View
from messages.environment import render
from messages.i18n import CHINESE, ENGLISH, Language
from messages.render import Answers, render_view


@dataclass(frozen=True)
class Letter:
    subject: str
    plain: str
    html: str


# What the inbox shows. A factory answers notices, so most subjects name the notice; an
# instruction's news names the order and the item, as its chat message does.
SUBJECT = {
    K.NOTICE: N_("Corrective action notice %(number)s"),
    K.REMINDER: N_("Reminder: please acknowledge corrective action notice %(number)s"),
    K.MANAGER_ESCALATION: N_("Escalated to the factory manager: corrective action notice %(number)s not answered"),
    K.DEADLINE_EXTENDED: N_("Corrective action notice %(number)s: more time given"),
    K.NOTICE_CLOSED: N_("Corrective action notice %(number)s: status updated"),
    K.COMMITMENT_DECIDED: N_("%(order)s, %(label)s: completion date decided"),
    K.INSTRUCTION_VERIFIED: N_("%(order)s, %(label)s: correction verified"),
    K.INSTRUCTION_REOPENED: N_("%(order)s, %(label)s: correction not accepted, rework needed"),
}
OTHER_SUBJECT = N_("Order %(order)s: follow-up")


def letter(view: View, link: str | None) -> Letter:
    """The mail of `view`; `link` is the notice's page for the factory, when there is one."""
    zone = view.factory.timezone
    languages = (Language(CHINESE, zone), Language(ENGLISH, zone))
    plain = [_section("text", view, language, link) for language in languages]
    html = [Markup(_section("html", view, language, link)) for language in languages]
    title = " / ".join(subject(view, language) for language in languages)
    return Letter(
        subject=title,
        plain=render("text", "notice/body.txt.j2", languages[0], sections=plain),
        html=render("html", "notice/document.html.j2", languages[0], sections=html, number=title),
    )


def subject(view: View, language: Language) -> str:
    """What a message is about in one line of plain text: a mail's subject in each language,
    a DingTalk message's title in the chat list."""
    values = {
        "number": view.notice.number if view.notice else "",
        "order": view.visit.order_reference,
        "label": view.items[0].label if view.items else "",
    }
    return language.gettext(SUBJECT.get(view.kind, OTHER_SUBJECT)) % values


def _section(surface: str, view: View, language: Language, link: str | None) -> str:
    """One language's part: the notice's own section, or the chat message's text."""
    form = "html" if surface == "html" else "txt"
    answers = Answers.LINK if link else Answers.BUYER  # a mail is one-way
    if view.kind is K.NOTICE:
        body = render(surface, f"notice/section.{form}.j2", language, v=view, photos={}, answers=answers)
    else:
        body = render_view(surface, view, language, answers=answers).text
    return render(surface, f"email/section.{form}.j2", language, body=Markup(body) if surface == "html" else body,
                  notice=view.kind is K.NOTICE, link=link)
