"""Slack requests into commands and queries: button clicks, modal submissions, the
/followup command, messages to the bot, App Home. Every request is stored before it is
acknowledged (Slack waits 3 seconds) and the work runs after the ack; a request is handled
again after a crash, and retried deliveries act once (bot/slack/inbox.py)."""

from __future__ import annotations

import json
import logging
import re

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.models.views import View as SlackView
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import App
from bot.chat.actions import command_for
from bot.chat.answers import Answer, answer, answer_in, chart_of, next_page_command
from bot.chat.directory import Directory
from bot.chat.uploads import Uploads
from bot.slack import modals
from bot.slack.binding import STRANGER, SlackBinding, language_of, slack_language
from bot.slack.evidence import SlackEvidence
from bot.slack.files import DownloadFailed, SlackFiles
from bot.slack.inbox import SlackInbox
from bot.slack.links import slack_links
from bot.slack.posts import dm, dm_channel, post, said
from bot.slack.taps import SlackTaps
from bot.slack.visit_form import visit_form_text
from handlers.catalog import N_
from handlers.commands import Actor, EditInstruction, PostVisit
from handlers.model import Person, Platform, PlatformAccount, Role
from handlers.queries.audience import audience_of
from handlers.queries.status import portfolio_page
from messages.environment import mrkdwn_escape, render
from messages.slack_blocks import text_blocks

log = logging.getLogger(__name__)
SURFACE = "slack"
MENTION = re.compile(r"<@[A-Z0-9]+>\s*")

ONLY_INSPECTORS = N_("Only inspectors can send visit reports.")


class SlackListeners:
    def __init__(self, app: App, directory: Directory, uploads: Uploads, wake, files: SlackFiles):
        self.app = app
        self.directory = directory
        self.uploads = uploads
        self.wake = wake
        self.files = files
        self.evidence = SlackEvidence(app, files, wake)
        self.inbox = SlackInbox(app)
        self.binding = SlackBinding(app, directory)
        self.taps = SlackTaps(app, directory, self.binding, self.evidence, wake)

    def register(self, bolt: AsyncApp) -> None:
        kept = [self.inbox.keeping]
        bolt.action(re.compile(".+"), middleware=kept)(self.taps.on_action)
        bolt.view(modals.EDIT, middleware=kept)(self.on_edit_submitted)
        bolt.view(modals.ASK_TEXT, middleware=kept)(self.on_text_submitted)
        bolt.command("/followup", middleware=kept)(self.on_command)
        bolt.event("message", middleware=kept)(self.on_message)
        bolt.event("app_mention", middleware=kept)(self.on_mention)
        bolt.event("app_home_opened", middleware=kept)(self.on_home_opened)
        self.inbox.install(bolt)

    async def person(self, user_id: str) -> Person | None:
        """Configured or bound people. Being in a factory's channel makes nobody its contact:
        see `SlackBinding`."""
        return await self.directory.person(Platform.SLACK, user_id)

    async def on_edit_submitted(self, ack, body: dict, view: dict, client: AsyncWebClient) -> None:
        user = body["user"]["id"]
        person = await self.person(user)
        language = language_of(person)
        instruction_id = json.loads(view["private_metadata"])["instruction_id"]
        async with self.app.store.unit_of_work() as uow:
            instruction = await uow.instructions.get(instruction_id)
            visit = await uow.visits.get(instruction.visit_id)
        note, params, due, errors = modals.edit_values(view["state"], instruction, visit.report.visit.date, language)
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        if person is None:
            await self._stranger(user, "form")
            return
        command = EditInstruction(instruction_id, note=note, params=params, due=due)
        reply = await self.app.bus.handle(command, Actor(person, Platform.SLACK), update_key=f"slack:view:{view['id']}")
        self.wake()
        if not reply.ok:
            await dm(client, user, said(reply, language))

    async def on_text_submitted(self, ack, body: dict, view: dict, client: AsyncWebClient) -> None:
        user = body["user"]["id"]
        person = await self.person(user)
        language = language_of(person)
        asked = json.loads(view["private_metadata"])
        text, errors = modals.text_value(view["state"], asked["field"], language)
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        if person is None:
            await self._stranger(user, "form")
            return
        reply = await self.app.bus.handle(
            command_for(asked["verb"], asked["target"], text), Actor(person, Platform.SLACK),
            update_key=f"slack:view:{view['id']}",
        )
        self.wake()
        await dm(client, user, said(reply, language))

    async def on_command(self, ack, command: dict, client: AsyncWebClient) -> None:
        """/followup status PO-…, /followup orders, /followup factories, /followup help: answered
        in the ack, which only the asker sees wherever they typed it; so a status's chart,
        which an ack cannot carry, goes to their DM with the bot, never into the channel.
        /followup invite, join and revoke: see SlackBinding."""
        if await self.binding.on_command(ack, command, client):
            return
        person = await self.person(command["user_id"])
        if person is None:
            refusal = await self.binding.refuse(client, command["user_id"], command.get("channel_id"), "command",
                                                update_key=f"slack:command:{command.get('trigger_id')}")
            await ack(text=refusal.text)
            await self.binding.ask_buyer(client, refusal)
            return
        form = await visit_form_text(self.app, person, command.get("text") or "",
                                     f"slack:command:{command.get('trigger_id')}")
        if form is not None:
            await ack(text=form)
            return
        found = await self._answer(person, command.get("text") or "help", client, addressed=True)
        await ack(text=found.text[:3000], blocks=text_blocks(found.text))
        if found.status is None:
            return
        try:
            their_dm = await dm_channel(client, command["user_id"])
        except SlackApiError as exc:
            log.warning("no DM with %s for their chart: %s", command["user_id"], exc.response.get("error"))
            return
        await self._send_chart(client, found, their_dm)

    async def on_message(self, body: dict, event: dict, client: AsyncWebClient) -> None:
        if event.get("bot_id") or event.get("subtype") not in (None, "file_share"):
            return
        if event.get("channel_type") != "im":
            await self._on_channel_files(body, event, client)
            return
        person = await self.person(event["user"])
        language = language_of(person)
        if person is None:
            await self._stranger(event["user"], "upload" if event.get("files") else "question")
            await post(client, event["channel"], language.gettext(STRANGER))
            return
        if event.get("files") and person.role is Role.FACTORY:
            await self.evidence.from_dm(client, person, event, body.get("event_id"))
            return
        if event.get("files"):
            await self._receive_files(client, person, event, body)
            return
        form = await visit_form_text(self.app, person, event.get("text") or "", f"slack:event:{body.get('event_id')}")
        if form is not None:
            await post(client, event["channel"], form)
            return
        found = await self._answer(person, event.get("text") or "", client)  # a DM: the asker alone reads it
        await post(client, event["channel"], found.text)
        await self._send_chart(client, found, event["channel"])

    async def _on_channel_files(self, body: dict, event: dict, client: AsyncWebClient) -> None:
        """In a channel only photos uploaded in a thread where the bot asked for them count;
        everything else there is people talking to each other."""
        if not event.get("files") or not event.get("thread_ts"):
            return
        person = await self.person(event["user"])
        if person is not None:
            await self.evidence.from_thread(client, person, event, body.get("event_id"))
            return
        refusal = await self.binding.refuse(client, event["user"], event["channel"], "upload",
                                            update_key=f"slack:event:{body.get('event_id')}")
        await client.chat_postEphemeral(channel=event["channel"], user=event["user"], text=refusal.text,
                                        thread_ts=event["thread_ts"])
        await self.binding.ask_buyer(client, refusal)

    async def on_mention(self, body: dict, event: dict, client: AsyncWebClient) -> None:
        """A question to the bot in a channel, answered in its thread with what every member may
        see; more goes to the asker's DM, with a note in the thread (bot.chat.answers)."""
        person = await self.person(event["user"])
        language = language_of(person)
        thread = event.get("thread_ts") or event["ts"]
        if person is None:
            refusal = await self.binding.refuse(client, event["user"], event["channel"], "mention",
                                                update_key=f"slack:event:{body.get('event_id')}")
            await client.chat_postEphemeral(channel=event["channel"], user=event["user"], text=refusal.text,
                                            thread_ts=thread)
            await self.binding.ask_buyer(client, refusal)
            return
        audience = audience_of(self.app.settings.routing, Platform.SLACK, event["channel"],
                               private=event["channel"].startswith("D"))
        text = MENTION.sub("", event.get("text") or "")
        found = await answer_in(self.app, SURFACE, person, text, audience, links=slack_links(client))
        if found is None:
            await post(client, event["channel"], render(SURFACE, "chat/help.j2", language), thread)
            return
        note = None
        if found.private is not None:
            reached = await self._send_privately(client, event["user"], found.private, event["channel"], thread)
            note = found.note(SURFACE, reached)
        shown = found.for_chat(note)
        await post(client, event["channel"], shown.text, thread)
        await self._send_chart(client, shown, event["channel"], thread)

    async def on_home_opened(self, event: dict, client: AsyncWebClient) -> None:
        """The App Home in the viewer's language: theirs as configured, or their Slack's."""
        person = await self.person(event["user"])
        language = language_of(person)
        if person is None:
            await self._stranger(event["user"], "home")
            mrkdwn = (await slack_language(client, event["user"])).gettext(STRANGER)
        else:
            page = await portfolio_page(self.app.store, self.app.settings, person, self.app.bus.clock.now())
            mrkdwn = render(SURFACE, "chat/portfolio.j2", language, entries=page.entries,
                            page=page, next_command=next_page_command(SURFACE, page))
        await client.views_publish(user_id=event["user"], view=SlackView(type="home", blocks=text_blocks(mrkdwn)[:100]))

    async def _stranger(self, user: str, attempted: str) -> None:
        """Someone the bot does not act for asked something of it only they see: audited."""
        account = PlatformAccount(platform=Platform.SLACK, user_id=user)
        await self.directory.stranger(account, self.app.bus.clock.now(), attempted)

    async def _receive_files(self, client: AsyncWebClient, person: Person, event: dict, body: dict) -> None:
        language = language_of(person)
        if await self.app.bus.may_give(PostVisit, Actor(person, Platform.SLACK)) is not None:
            await post(client, event["channel"], language.gettext(ONLY_INSPECTORS))
            return
        for file in event["files"]:
            try:
                content = await self.files.download(file) if self.uploads.accepts(file["name"]) else b""
            except DownloadFailed as exc:
                log.warning("report upload failed: %s", exc)
                await post(client, event["channel"], str(exc))
                continue
            answer = await self.uploads.receive(
                Actor(person, Platform.SLACK), f"slack-{event['user']}", file["name"], content,
                update_key=f"slack:file:{body.get('event_id')}:{file['id']}",
            )
            if answer.reply is not None:
                self.wake()
            await post(client, event["channel"], mrkdwn_escape(answer.text))  # it quotes the report's keys

    async def _answer(self, person: Person, text: str, client: AsyncWebClient, addressed: bool = False) -> Answer:
        """The person's own answer, for a place only they read (a DM, an ephemeral reply), in
        their language; help when it is not a question. `addressed`: typed after /followup, so
        meant for the bot whatever it says."""
        found = await answer(self.app, SURFACE, person, text, links=slack_links(client), addressed=addressed)
        return found or Answer(render(SURFACE, "chat/help.j2", language_of(person)), language_of(person))

    async def _send_privately(self, client: AsyncWebClient, user: str, private: Answer, channel: str,
                              thread: str) -> bool:
        """The asker's own answer in their DM with the bot, its chart beside it: an ephemeral
        reply would vanish on reload and cannot carry a file. Where the bot may not open the
        DM, the text goes as an ephemeral reply in the thread, without the chart; False when
        neither reached them."""
        try:
            their_dm = await dm_channel(client, user)
            await post(client, their_dm, private.text)
        except SlackApiError as exc:
            log.info("no DM with %s (%s); answering in an ephemeral reply", user, exc.response.get("error"))
            try:
                await client.chat_postEphemeral(channel=channel, user=user, text=private.text[:3000],
                                                blocks=text_blocks(private.text), thread_ts=thread)
            except SlackApiError as again:
                log.warning("cannot answer %s privately in %s: %s", user, channel, again.response.get("error"))
                return False
            return True
        await self._send_chart(client, private, their_dm)
        return True

    async def _send_chart(self, client: AsyncWebClient, found: Answer, channel: str,
                          thread_ts: str | None = None) -> None:
        """A status answer's progress chart, uploaded where its answer went. The answer stands
        without it: a refused upload is logged, not raised past the note still to be posted."""
        if found.status is None:
            return
        chart = await chart_of(self.app, found)
        try:
            await client.files_upload_v2(channel=channel, thread_ts=thread_ts, content=chart.png,
                                         filename=chart.filename, title=chart.filename)
        except SlackApiError as exc:
            log.warning("the chart %s did not reach %s: %s", chart.filename, channel, exc.response.get("error"))
