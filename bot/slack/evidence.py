"""A factory contact answers "done, with photos" on Slack: the bot asks in the notice's thread
(or in the DM) for the photos, and each photo uploaded there is fetched with the bot token,
checked and reported with `bot.chat.evidence`. Uploads elsewhere in a channel are conversation."""

from __future__ import annotations

import logging

from slack_sdk.web.async_client import AsyncWebClient

from bot.app import App
from bot.chat.evidence import MAX_BYTES, awaiting_photos, over_limit, report_photo, tap_first, too_large
from bot.slack.files import DownloadFailed, DownloadTooLarge, SlackFiles
from bot.slack.posts import said
from handlers.catalog import N_
from handlers.commands import Actor
from handlers.model import Person, Platform
from handlers.prompts import Prompt
from handlers.results import Reply
from handlers.views import label_of
from messages.buttons import REPORT_DONE
from messages.environment import mrkdwn_escape
from messages.i18n import Language
from messages.slack_blocks import text_blocks

log = logging.getLogger(__name__)

ASK_FOR_PHOTOS = N_("%(item)s: please upload photos of the corrected units (at least one) as a reply here.")
NOT_FETCHED = N_("Slack did not let the bot fetch %(name)s; please upload it again.")


def is_dm(channel: str) -> bool:
    return channel.startswith("D")


class SlackEvidence:
    def __init__(self, app: App, files: SlackFiles, wake):
        self.app = app
        self.files = files
        self.wake = wake

    async def ask(self, client: AsyncWebClient, body: dict, channel: str, target: int, language: Language) -> None:
        """Mentions the person under the message they tapped (in a DM: in the DM) and waits for
        their photos there; the thread's ts, or the DM question's, is the prompt they answer."""
        user = body["user"]["id"]
        async with self.app.store.unit_of_work() as uow:
            instruction = await uow.instructions.get(target)
        question = f"<@{user}> " + language.gettext(ASK_FOR_PHOTOS) % {"item": label_of(instruction.source)}
        message = body.get("message") or {}
        thread = None if is_dm(channel) else message.get("thread_ts") or body["container"]["message_ts"]
        posted = await _post(client, channel, question, thread)
        async with self.app.store.unit_of_work() as uow:
            await uow.pending.expect(Platform.SLACK, channel, user, thread or posted, REPORT_DONE, target,
                                     self.app.bus.clock.now())
            await uow.commit()

    async def from_thread(self, client: AsyncWebClient, person: Person, event: dict, event_id: str | None) -> None:
        """Photos uploaded in a channel thread: evidence if the bot asked this person there."""
        thread = Prompt(Platform.SLACK, event["channel"], event["user"], event["thread_ts"])
        if await awaiting_photos(self.app, [(thread, thread.key)]) is not None:
            await self._report(client, person, event, thread, event_id)

    async def from_dm(self, client: AsyncWebClient, person: Person, event: dict, event_id: str | None) -> None:
        """Photos sent in the bot's DM: evidence for the person's latest question there."""
        channel, user = event["channel"], event["user"]
        async with self.app.store.unit_of_work() as uow:
            latest = await uow.pending.latest(Platform.SLACK, channel, user)
        prompt = None if latest is None else Prompt(Platform.SLACK, channel, user, latest[2])
        if prompt is None or await awaiting_photos(self.app, [(prompt, prompt.key)]) is None:
            text = tap_first(self.app.settings.routing, person, Platform.SLACK, channel)
            await _post(client, channel, text, event.get("thread_ts"))
            return
        await self._report(client, person, event, prompt, event_id)

    async def _report(self, client: AsyncWebClient, person: Person, event: dict, prompt: Prompt,
                      event_id: str | None) -> None:
        """Each file reported in turn: the first reports the instruction done, the others add
        to it. The question stays open in its thread for more photos."""
        language = _language(person)
        actor = Actor(person, Platform.SLACK)
        for file in event["files"]:
            key = f"slack:file:{event_id}:{file['id']}"
            reply = await self.app.bus.handled(key) or await self._fetch_and_report(actor, file, prompt, key)
            if reply is None:
                continue  # the question was closed meanwhile (the instruction verified)
            self.wake()
            text = reply if isinstance(reply, str) else said(reply, language)
            await _post(client, event["channel"], text, event.get("thread_ts"))

    async def _fetch_and_report(self, actor: Actor, file: dict, prompt: Prompt, key: str) -> Reply | str | None:
        if refusal := too_large(file.get("size")):
            return refusal
        try:
            content = await self.files.download(file, MAX_BYTES)
        except DownloadTooLarge:
            return over_limit()
        except DownloadFailed as exc:
            log.warning("evidence photo not fetched: %s", exc)
            name = mrkdwn_escape(file.get("name") or file["id"])
            return _language(actor.person).gettext(NOT_FETCHED) % {"name": name}
        return await report_photo(self.app, actor, content, file.get("name"), prompt=prompt, keep_as=prompt.key,
                                  update_key=key)


def _language(person: Person) -> Language:
    return Language(person.locale, person.timezone)


async def _post(client: AsyncWebClient, channel: str, mrkdwn: str, thread_ts: str | None) -> str:
    posted = await client.chat_postMessage(channel=channel, text=mrkdwn[:3000], blocks=text_blocks(mrkdwn),
                                           thread_ts=thread_ts)
    return posted["ts"]
