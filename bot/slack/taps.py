"""Button clicks on Slack, through the one tap path (bot/chat/taps.py): this module only says
who clicked, answers them where they clicked, and asks for words with a form (a modal) or for
photos in the message's thread."""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import App
from bot.chat.actions import ASKS_FOR_TEXT, with_tokens
from bot.chat.directory import Directory
from bot.chat.taps import Button, Given, stored_button, tap
from bot.slack import modals
from bot.slack.binding import SlackBinding, language_of
from bot.slack.evidence import SlackEvidence
from bot.slack.posts import ephemeral, said
from handlers.catalog import N_
from handlers.model import Person, Platform, PlatformAccount
from handlers.results import Reply
from handlers.views import label_of
from messages import buttons as b
from messages import slack_blocks as kit
from messages.buttons import Button as Shown
from messages.i18n import Language

log = logging.getLogger(__name__)

STALE_BUTTON = N_("This button is no longer valid. Please use the latest message.")
PRESS_AGAIN = N_("The bot was restarting when you pressed that button, so its form could not open. "
                 "Please press it again.")
BINDING_DECISIONS = (b.CONFIRM_BINDING, b.REFUSE_BINDING)


class SlackTaps:
    def __init__(self, app: App, directory: Directory, binding: SlackBinding, evidence: SlackEvidence, wake):
        self.app = app
        self.directory = directory
        self.binding = binding
        self.evidence = evidence
        self.wake = wake  # wakes the outbox dispatcher after a change

    async def on_action(self, ack, body: dict, client: AsyncWebClient) -> None:
        await ack()
        action = body["actions"][0]
        click = SlackTap(self, body, client, f"slack:action:{action.get('action_ts')}:{body['user']['id']}")
        # A button's token is its value; a menu's, the value of the choice made (messages.slack_blocks).
        token = action.get("value") or (action.get("selected_option") or {}).get("value")
        await tap(self.app.bus, click, token or "", click.update_key)


class SlackTap:
    """One button click, as the tap path sees it (bot.chat.taps.TapSurface)."""

    platform = Platform.SLACK

    def __init__(self, taps: SlackTaps, body: dict, client: AsyncWebClient, update_key: str):
        self.taps = taps
        self.app = taps.app
        self.body = body
        self.client = client
        self.update_key = update_key
        self.user = body["user"]["id"]
        self.channel = (body.get("channel") or {}).get("id") or body.get("container", {}).get("channel_id")

    async def tapped_by(self) -> Person | None:
        """Configured or bound people. Being in a factory's channel makes nobody its contact:
        see `SlackBinding`."""
        return await self.taps.directory.person(Platform.SLACK, self.user)

    async def button(self, token: str) -> Button | None:
        return await stored_button(self.app.store, token)

    async def stranger(self) -> None:
        refusal = await self.taps.binding.refuse(self.client, self.user, self.channel, "tap", self.update_key)
        await ephemeral(self.client, self.channel, self.user, refusal.text)
        await self.taps.binding.ask_buyer(self.client, refusal)

    async def stale(self, person: Person) -> None:
        account = PlatformAccount(platform=Platform.SLACK, user_id=self.user)
        await self.taps.directory.refused(self.app.bus.clock.now(), "tap", "unknown_button", account=account,
                                          who=person)
        await ephemeral(self.client, self.channel, self.user, language_of(person).gettext(STALE_BUTTON))

    async def ask(self, person: Person, action: str, target: int) -> Given | None:
        language = language_of(person)
        if action not in ASKS_FOR_TEXT:
            await self.taps.evidence.ask(self.client, self.body, self.channel, target, language)
        elif not await self._open_modal(action, target, language):
            await ephemeral(self.client, self.channel, self.user, language.gettext(PRESS_AGAIN))
        return None

    async def answer(self, person: Person, action: str, target: int, reply: Reply) -> None:
        if reply.changed:
            self.taps.wake()  # a repeated click leaves the outbox as it was: no delivery round for it
        if action in BINDING_DECISIONS:
            await self.taps.binding.decided(self.client, self.body, person, action, target, reply)
        elif not reply.ok or reply.code.startswith(("already", "notice_already")):
            await ephemeral(self.client, self.channel, self.user, said(reply, language_of(person)))

    def language(self, person: Person) -> Language:
        return language_of(person)

    async def show(self, person: Person, buttons: tuple[Shown, ...]) -> None:
        """Slack shows a menu's choices as a list in the message itself, so only a client that
        sends a menu's own token gets here: the choices, seen by the clicker alone."""
        language = language_of(person)
        blocks = kit.action_blocks(await with_tokens(self.app.store, buttons, self.app.bus.clock.now()), language)
        await self.client.chat_postEphemeral(channel=self.channel, user=self.user,
                                             text=" · ".join(button.label for button in buttons), blocks=blocks)

    async def _open_modal(self, action: str, target: int, language: Language) -> bool:
        """Opens the form that asks for the words; False when Slack no longer takes the click's
        trigger (it expires after 3 seconds: a click handled again after a restart)."""
        async with self.app.store.unit_of_work() as uow:
            if action == b.EDIT:
                instruction = await uow.instructions.get(target)
                view = modals.edit_modal(instruction, label_of(instruction.source), language)
            elif action == b.DISPUTE:
                notice = await uow.notices.get(target)
                view = modals.text_modal(action, ASKS_FOR_TEXT[action], target, notice.number, language)
            else:
                instruction = await uow.instructions.get(target)
                view = modals.text_modal(action, ASKS_FOR_TEXT[action], target, label_of(instruction.source), language)
        try:
            await self.client.views_open(trigger_id=self.body["trigger_id"], view=view)
        except SlackApiError as exc:
            if exc.response.get("error") not in ("expired_trigger_id", "invalid_trigger_id"):
                raise
            log.info("the form for %s %s was not opened: Slack no longer takes the click (%s)",
                     action, target, exc.response.get("error"))
            return False
        return True
