"""Views as Block Kit, built from slack-sdk's block models: the chat templates render the
words (mrkdwn, escaped), this module arranges them in blocks within Slack's limits."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    HeaderBlock,
    ImageBlock,
    MarkdownTextObject,
    Option,
    SectionBlock,
    StaticSelectElement,
)

from handlers.catalog import N_
from handlers.model.message_kinds import MessageKind
from handlers.text import neutralised, one_line
from handlers.views import View
from messages import wording
from messages.buttons import (
    ACKNOWLEDGE, APPROVE, APPROVE_ALL, CANCEL_NOTICE, CONFIRM_BINDING, REJECT, SEND_NOTICE, Button,
)
from messages.i18n import Language
from messages.split import split_text

SECTION_LIMIT = 3000
HEADER_LIMIT = 150
BUTTON_LIMIT = 75
MAX_BLOCKS = 50
STATUS_EMOJI = {"on_track": ":large_green_circle:", "at_risk": ":large_yellow_circle:", "late": ":red_circle:"}

# Buttons that cannot be undone ask first: (title, text, confirm label).
CONFIRMATIONS = {
    REJECT: (N_("Reject this instruction?"), N_("It will not be sent to the factory. This cannot be undone."),
             N_("Reject")),
    CANCEL_NOTICE: (N_("Withdraw this notice?"),
                    N_("The factory is told it no longer applies and its instructions are cancelled. "
                       "This cannot be undone."), N_("Withdraw")),
}
CONFIRM_NO = N_("Cancel")
ACTIONS_LIMIT = 25  # elements in one actions block


def text_blocks(mrkdwn: str) -> list[Block]:
    """Sections within Slack's limit; the last gate before text reaches a Slack chat, where it
    is neutralised (handlers.text) whatever composed it."""
    chunks = split_text(neutralised(mrkdwn), SECTION_LIMIT)
    return [SectionBlock(text=MarkdownTextObject(text=chunk)) for chunk in chunks if chunk]


def head_blocks(view: View, language: Language) -> list[Block]:
    """The findings summary opens with a header and the status as a coloured dot: they say
    the text's first two lines (its title, its status), which the message leaves out; the
    visit's figures are the text's own lines (chat/visit_glance.j2), so each is said once."""
    if view.kind is not MessageKind.VISIT_SUMMARY:
        return []
    title = f"{language.gettext('Visit findings')} · {view.visit.report.order.reference}"[:HEADER_LIMIT]
    status = view.analysis.status
    shown = f"{STATUS_EMOJI[status]} *{wording.word(language, 'status', status)}*"
    return [HeaderBlock(text=title), ContextBlock(elements=[MarkdownTextObject(text=shown)])]


def image_blocks(files: list[tuple[str, str]]) -> list[Block]:
    """Photos uploaded with files_upload_v2, shown inline by their Slack file id."""
    shown = [(one_line(name)[:2000], file_id) for name, file_id in files]
    return [ImageBlock(slack_file={"id": file_id}, alt_text=name, title=name) for name, file_id in shown]


def action_blocks(buttons: list[tuple[Button, str]], language: Language,
                  menus: dict[Button, list[tuple[Button, str]]] | None = None) -> list[Block]:
    """Buttons whose action_id and value are opaque store tokens, a block per target (an
    instruction's buttons together), at most 25 to a block; Reject and Withdraw ask first.
    A menu button is a list (`menus`: its choices with their tokens), each choice's value its
    token: choosing one is a click on that choice."""
    blocks: list[list] = []
    last_target = None
    for button, token in buttons:
        if not blocks or button.target != last_target or len(blocks[-1]) == ACTIONS_LIMIT:
            blocks.append([])
        chosen = (menus or {}).get(button)
        blocks[-1].append(_menu(button, token, chosen) if chosen else _button(button, token, language))
        last_target = button.target
    return [ActionsBlock(elements=elements) for elements in blocks]


def _menu(button: Button, token: str, choices: list[tuple[Button, str]]) -> StaticSelectElement:
    options = [Option(text=choice.label[:BUTTON_LIMIT], value=value) for choice, value in choices]
    return StaticSelectElement(placeholder=button.label[:BUTTON_LIMIT], action_id=token, options=options)


def _button(button: Button, token: str, language: Language) -> ButtonElement:
    style = "primary" if button.action in (APPROVE, APPROVE_ALL, SEND_NOTICE, ACKNOWLEDGE, CONFIRM_BINDING) else None
    confirm = None
    if button.action in CONFIRMATIONS:
        style = "danger"
        title, text, yes = CONFIRMATIONS[button.action]
        confirm = ConfirmObject(
            title=language.gettext(title),
            text=language.gettext(text),
            confirm=language.gettext(yes),
            deny=language.gettext(CONFIRM_NO),
            style="danger",
        )
    return ButtonElement(text=button.label[:BUTTON_LIMIT], action_id=token, value=token, style=style, confirm=confirm)


def batches(blocks: list[Block]) -> list[list[Block]]:
    """At most 50 blocks per message; the rest follow as further messages (thread replies)."""
    return [blocks[i:i + MAX_BLOCKS] for i in range(0, len(blocks), MAX_BLOCKS)] or [[]]
