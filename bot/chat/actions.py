"""Buttons back into commands: the same table serves the console, Telegram and Slack.

A button only names an action and a target; whether the person who tapped may do it is
decided by the bus from the store.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.chat.tokens import known_to
from bot.redaction import conceal_buttons
from handlers import commands as c
from messages import buttons as b
from messages.buttons import Button
from storage.tokens import new_token

ACTIONS: dict[str, Callable[[int, str | None], c.Command]] = {
    b.APPROVE: lambda target, text: c.ApproveInstruction(target),
    b.APPROVE_ALL: lambda target, text: c.ApproveAllInstructions(target),
    b.EDIT: lambda target, text: c.EditInstruction(target, note=text),
    b.REJECT: lambda target, text: c.RejectInstruction(target, reason=text),
    b.SEND_NOTICE: lambda target, text: c.SendNotice(target),
    b.SEND_ANYWAY: lambda target, text: c.SendNotice(target, english_only_confirmed=True),
    b.ADD_CHINESE: lambda target, text: c.AddChinese(target, text or ""),
    b.ACKNOWLEDGE: lambda target, text: c.AcknowledgeNotice(target),
    b.DISPUTE: lambda target, text: c.DisputeNotice(target, reason=text or ""),
    b.REMIND: lambda target, text: c.RemindFactory(target),
    b.ESCALATE: lambda target, text: c.EscalateToManager(target),
    b.EXTEND: lambda target, text: c.ExtendDeadline(target),
    b.CANCEL_NOTICE: lambda target, text: c.CancelNotice(target),
    b.COMMIT_DATE: lambda target, text: c.CommitToDate(target, text or ""),
    b.ACCEPT_DATE: lambda target, text: c.AcceptCommitment(target),
    b.DECLINE_DATE: lambda target, text: c.DeclineCommitment(target),
    b.VERIFY: lambda target, text: c.VerifyInstruction(target),
    b.REOPEN: lambda target, text: c.ReopenInstruction(target, reason=text or ""),
    b.REPORT_DONE: lambda target, text: c.ReportDone(target),  # the photos come with `report_done`
    b.CONFIRM_BINDING: lambda target, text: c.ConfirmBinding(target),
    b.REFUSE_BINDING: lambda target, text: c.RefuseBinding(target),
    b.VISIT_REPORT: lambda target, text: c.SendVisitReport(target),
}

# Actions that need words from the person before they can be carried out: the field asked for.
ASKS_FOR_TEXT = {b.EDIT: "note", b.DISPUTE: "reason", b.COMMIT_DATE: "date", b.REOPEN: "what_is_wrong",
                 b.ADD_CHINESE: "chinese"}


# Actions that need photos: the platform asks for them, stores them, then calls `report_done`.
ASKS_FOR_PHOTOS = {b.REPORT_DONE}


def command_for(action: str, target: int, text: str | None = None) -> c.Command:
    return ACTIONS[action](target, text)


def report_done(target: int, photos: tuple[str, ...], captured: dict[str, datetime] | None = None) -> c.Command:
    return c.ReportDone(target, photos=photos, captured=captured or {})


async def with_tokens(store, buttons: tuple[Button, ...], now: datetime) -> list[tuple[Button, str]]:
    """Each button with the opaque token its platform sends back when it is tapped."""
    if not buttons:
        return []
    known = known_to(store)
    tokens = [known.token((b.action, b.target)) for b in buttons]
    if None in tokens:  # else all minted before, and known (bot/chat/tokens.py)
        async with store.unit_of_work() as uow:
            tokens = [await uow.tokens.mint(button.action, button.target, now, _concealed_token) for button in buttons]
            await uow.commit()
        for button, token in zip(buttons, tokens, strict=True):
            known.learn(token, (button.action, button.target))
    conceal_buttons(tokens)  # minted by another replica maybe; they travel in calls DEBUG logs show
    return list(zip(buttons, tokens, strict=True))


def _concealed_token() -> str:
    """A new button token, kept out of the logs before anything (aiosqlite at DEBUG) logs it."""
    token = new_token()
    conceal_buttons([token])
    return token
