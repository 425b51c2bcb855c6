"""Menu buttons: one button that opens its choices in place (the factory's 更新整改进度: a
completion date or a done report per instruction, and the way back), so a phone shows one
button under a notice rather than two per instruction.

Opening or closing a menu changes nothing but what the message shows; each choice in it is a
tap of its own, checked and carried out as any other.
"""

from __future__ import annotations

from handlers import commands as c
from handlers.model.message_kinds import MessageKind
from handlers.views import load_view
from messages import buttons as b
from messages.buttons import Button, buttons_for, opened
from messages.i18n import Language

MENUS = frozenset({b.UPDATE_PROGRESS, b.PROGRESS_BACK})


def rights_for(target: int) -> c.Command:
    """Who may open a notice's progress menu: who may answer the notice, its factory's contacts."""
    return c.AcknowledgeNotice(target)


async def menu_buttons(store, settings, action: str, target: int, language: Language) -> tuple[Button, ...] | None:
    """The buttons the message shows after the tap: the menu's choices and Back, or, on Back,
    the message's own again; None when the notice is gone (a stale button)."""
    async with store.unit_of_work() as uow:
        try:
            view = await load_view(uow, settings, MessageKind.NOTICE, {"notice_id": target})
        except LookupError:
            return None
    shown = buttons_for(view, language)
    if action == b.PROGRESS_BACK:
        return shown
    return next((opened(button, language) for button in shown if button.action == b.UPDATE_PROGRESS), ())
