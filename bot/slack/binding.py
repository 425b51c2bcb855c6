"""Who acts for a factory on Slack. Being in a factory's channel makes nobody its contact:
someone the bot does not know who taps or types there asks to act for its factory (the bus's
`AskToAct`, audited), is told, in Chinese and English, that the buyer must confirm them first,
and the buyer's channel gets one message naming them (Slack name and id) and the factory, with
Confirm / Refuse. The buyer's answer binds them, or not, and is audited; asking again while the
buyer has not answered asks nobody.

Buyers also bind and unbind directly: `/followup invite FACTORY` gives a one-time code
the contact types as `/followup join CODE` (the same codes as Telegram's /invite), and
`/followup revoke NAME` stops a contact at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import App
from bot.chat import people
from bot.chat.actions import command_for, with_tokens
from bot.chat.directory import Directory
from bot.slack.posts import said
from handlers.catalog import N_
from handlers.commands import Actor, AskToAct, InviteContact, RedeemInvite, RevokeContact
from handlers.model import BindingRequest, Factory, Person, Platform, PlatformAccount, RequestOutcome, Role
from handlers.results import Reply
from handlers.routing import Destination
from handlers.strangers import stranger
from messages.buttons import CONFIRM_BINDING, binding_buttons
from messages.environment import mrkdwn_escape
from messages.i18n import CHINESE, ENGLISH, Language
from messages.people import who
from messages.slack_blocks import action_blocks, text_blocks

log = logging.getLogger(__name__)

STRANGER = N_("Sorry, this bot works only for the people of its buyer and their factories.")
AWAITING = N_("The buyer must confirm you as a contact of %(factory)s before you can act here; the buyer has "
              "been asked.")
NOT_CONFIRMED = N_("The buyer has not confirmed you as a contact of %(factory)s. If this is a mistake, ask the buyer "
                   "for an invitation code.")
CONFIRMED = N_("The buyer has confirmed you as a contact of %(factory)s: you can act here now.")
ASK_BUYER = N_("%(who)s asks to act for %(factory)s in %(channel)s. Confirm only if they work for that factory: "
               "they can then acknowledge and dispute its notices and report work done.")
DECIDED = {
    RequestOutcome.CONFIRMED: N_("%(who)s now acts for %(factory)s: confirmed by %(by)s, %(at)s."),
    RequestOutcome.REFUSED: N_("%(who)s does not act for %(factory)s: refused by %(by)s, %(at)s."),
}
INVITE_CODE = N_("Invitation code for %(factory)s, valid once until %(expires)s:\n%(code)s\n"
                 "Give it to the factory contact; typing “/followup join %(code)s” in Slack binds them to this "
                 "factory.")


@dataclass(frozen=True)
class Refusal:
    """What to tell someone the bot does not act for, and a request the buyer has not been
    shown yet (shown by `ask_buyer`, once the person has their answer)."""

    text: str
    ask: BindingRequest | None = None


class SlackBinding:
    def __init__(self, app: App, directory: Directory):
        self.app = app
        self.directory = directory

    # --- someone unknown acts in a channel

    async def refuse(self, client: AsyncWebClient, user: str, channel: str | None, attempted: str,
                     update_key: str | None = None) -> Refusal:
        """What someone unknown who tried `attempted` in `channel` is told, once the bus has
        judged their asking to act there (handlers.strangers.ask_to_act, audited)."""
        account = PlatformAccount(platform=Platform.SLACK, user_id=user)
        asking = AskToAct(channel, await display_name(client, user), attempted)
        reply = await self.app.bus.handle(asking, Actor(stranger(account), Platform.SLACK), update_key=update_key)
        if reply.code == "revoked":
            revoked = await self.directory.revoked(Platform.SLACK, user)
            return Refusal(mrkdwn_escape(people.revoked_text(revoked, self.app.settings.factories)))
        if reply.code == "stranger":  # outside a factory's channel
            return Refusal(Language(ENGLISH).gettext(STRANGER))
        async with self.app.store.unit_of_work() as uow:
            request = await uow.binding_requests.get(reply.params["request"])
        asked = self._factory_of(request)
        names = (mrkdwn_escape(asked.name_zh), mrkdwn_escape(asked.name))
        if reply.code == "refused_by_buyer":
            return Refusal(people.bilingual(NOT_CONFIRMED, asked.timezone, factory=names))
        return Refusal(people.bilingual(AWAITING, asked.timezone, factory=names), request)

    async def ask_buyer(self, client: AsyncWebClient, refusal: Refusal) -> None:
        """Shows the request in the buyer's Slack channel (or each buyer's DM) where it has not
        been shown; a post that fails is tried again at the person's next attempt."""
        request = refusal.ask
        if request is None:
            return
        for destination in self._buyer_chats():
            subject = f"binding_request:{request.id}"
            async with self.app.store.unit_of_work() as uow:
                if await uow.message_refs.find(Platform.SLACK, destination.address, subject) is not None:
                    continue
            language = Language(destination.locale, destination.timezone)
            buttons = await with_tokens(self.app.store, binding_buttons(request.id, language), self.app.bus.clock.now())
            text = self._asking(request, language)
            try:
                posted = await client.chat_postMessage(channel=destination.address, text=text,
                                                       blocks=text_blocks(text) + action_blocks(buttons, language))
            except SlackApiError as exc:
                log.warning("could not ask the buyer in %s about binding request %s: %s", destination.address,
                            request.id, exc.response.get("error"))
                continue
            async with self.app.store.unit_of_work() as uow:
                await uow.message_refs.remember(Platform.SLACK, destination.address, subject,
                                                f"{posted['channel']}:{posted['ts']}", self.app.bus.clock.now())
                await uow.commit()

    def _factory_of(self, request: BindingRequest) -> Factory:
        """The factory the request is for; one taken out of followup.toml since is shown by its
        id (and cannot be confirmed)."""
        factory_id = request.person.factory
        return self.app.settings.factories.get(factory_id) or Factory(id=factory_id, name=factory_id, name_zh=factory_id)

    def _buyer_chats(self) -> list[Destination]:
        chats = [d for d in self.app.settings.routing.buyer if d.platform is Platform.SLACK]
        if not chats:
            chats = [Destination(Platform.SLACK, p.slack_user_id, p.locale, p.timezone) for p in self.app.config.people
                     if p.role is Role.BUYER and p.slack_user_id]
        if not chats:
            log.warning("nobody to ask about Slack binding requests: set [slack] buyer_channel or a buyer's slack_user_id")
        return chats

    def _asking(self, request: BindingRequest, language: Language) -> str:
        factory = self._factory_of(request)
        return language.gettext(ASK_BUYER) % {
            "who": f"*{mrkdwn_escape(who(language, request.person.key))}*",
            "factory": mrkdwn_escape(factory.name),
            "channel": f"<#{request.channel}>" if request.channel else factory.slack_channel,
        }

    # --- the buyer answers

    async def decided(self, client: AsyncWebClient, body: dict, person: Person, verb: str, target: int,
                      reply: Reply) -> None:
        """The buyer's Confirm or Refuse, as the bus answered it (buyers only): the buyer's
        message then shows the answer instead of its buttons, and the person is told where
        they asked; a refusal for the state of things is recorded as the people commands'."""
        user = body["user"]["id"]
        container = body.get("container") or {}
        channel = container.get("channel_id")
        language = Language(person.locale, person.timezone)
        await people.audit_refused(self.app, self.directory, command_for(verb, target), Actor(person, Platform.SLACK),
                                   reply)
        if not reply.ok:
            await client.chat_postEphemeral(channel=channel, user=user, text=said(reply, language))
            return
        async with self.app.store.unit_of_work() as uow:
            request = await uow.binding_requests.get(target)
        decided = self._decided(request, language)
        await client.chat_update(channel=channel, ts=container.get("message_ts"), text=decided,
                                 blocks=text_blocks(decided))
        await self._tell(client, request, confirmed=verb == CONFIRM_BINDING)

    def _decided(self, request: BindingRequest, language: Language) -> str:
        factory = self._factory_of(request)
        return language.gettext(DECIDED[request.outcome]) % {
            "who": mrkdwn_escape(who(language, request.person.key)), "factory": mrkdwn_escape(factory.name),
            "by": mrkdwn_escape(who(language, request.decided.by)), "at": language.moment(request.decided.at),
        }

    async def _tell(self, client: AsyncWebClient, request: BindingRequest, confirmed: bool) -> None:
        factory = self._factory_of(request)
        names = (mrkdwn_escape(factory.name_zh), mrkdwn_escape(factory.name))
        text = people.bilingual(CONFIRMED if confirmed else NOT_CONFIRMED, factory.timezone, factory=names)
        user = request.person.bound.user_id
        try:
            if request.channel:
                await client.chat_postEphemeral(channel=request.channel, user=user, text=text)
            else:
                await client.chat_postMessage(channel=user, text=text)
        except SlackApiError as exc:  # they find out at their next tap; the binding stands either way
            log.warning("could not tell %s the buyer's answer: %s", user, exc.response.get("error"))

    # --- /followup invite, join, revoke

    async def on_command(self, ack, command: dict, client: AsyncWebClient) -> bool:
        """Handles `/followup invite|join|revoke …`; False for any other /followup."""
        verb, _, rest = (command.get("text") or "").strip().partition(" ")
        handler = {"invite": self._invite, "join": self._join, "revoke": self._revoke}.get(verb.lower())
        if handler is None:
            return False
        await handler(ack, command, client, rest.strip())
        return True

    async def _invite(self, ack, command: dict, client: AsyncWebClient, rest: str) -> None:
        person = await self.directory.person(Platform.SLACK, command["user_id"])
        language = language_of(person)
        if person is None:
            await self._refused(command, None, "invite", "stranger")
            await ack(text=language.gettext(STRANGER))
            return
        factory_id = rest.split()[0] if rest else ""
        reply = await self.app.bus.handle(InviteContact(factory_id), Actor(person, Platform.SLACK))
        if not reply.ok:
            factories = self.app.settings.factories
            await ack(text=mrkdwn_escape(people.invite_refused(reply, language, "/followup invite", factories)))
            return
        await ack(text=language.gettext(INVITE_CODE) % {
            "factory": mrkdwn_escape(self.app.settings.factories[factory_id].name),
            "expires": language.moment(datetime.fromisoformat(reply.params["expires_at"])),
            "code": f"`{reply.params['code']}`",
        })

    async def _join(self, ack, command: dict, client: AsyncWebClient, rest: str) -> None:
        user = command["user_id"]
        known = await self.directory.person(Platform.SLACK, user)
        if known is not None:
            await ack(text=language_of(known).gettext(people.ALREADY_REGISTERED))
            return
        account = PlatformAccount(platform=Platform.SLACK, user_id=user)
        name = await display_name(client, user)
        reply = await self.app.bus.handle(RedeemInvite(rest, name), Actor(stranger(account, name), Platform.SLACK),
                                          update_key=f"slack:command:{command.get('trigger_id')}")
        await ack(text=mrkdwn_escape(people.joined_text(reply, self.app.settings.factories)))

    async def _revoke(self, ack, command: dict, client: AsyncWebClient, rest: str) -> None:
        person = await self.directory.person(Platform.SLACK, command["user_id"])
        language = language_of(person)
        if person is None:
            await self._refused(command, None, "RevokeContact", "stranger")
            await ack(text=language.gettext(STRANGER))
            return
        reply = await people.handle(self.app, self.directory, RevokeContact(rest), Actor(person, Platform.SLACK),
                                    update_key=f"slack:command:{command.get('trigger_id')}")
        await ack(text=said(reply, language))

    async def _refused(self, command: dict, person: Person | None, attempted: str, reason: str) -> None:
        account = PlatformAccount(platform=Platform.SLACK, user_id=command["user_id"])
        await self.directory.refused(self.app.bus.clock.now(), attempted, reason, account=account, who=person,
                                     name=command.get("user_name"))


async def display_name(client: AsyncWebClient, user_id: str) -> str:
    """The person's name as their colleagues see it in Slack; the id if Slack will not say."""
    try:
        user = (await client.users_info(user=user_id))["user"]
    except SlackApiError:
        return user_id
    profile = user.get("profile") or {}
    return profile.get("real_name") or user.get("real_name") or user.get("name") or user_id


def language_of(person: Person | None) -> Language:
    """The person's language; English for someone unknown (Slack does not say theirs)."""
    return Language(person.locale, person.timezone) if person else Language(ENGLISH)


async def slack_language(client: AsyncWebClient, user_id: str) -> Language:
    """Someone the bot does not act for, in the language their Slack is set to (Chinese for
    zh-CN, zh-TW; else English); English if Slack will not say."""
    try:
        user = (await client.users_info(user=user_id, include_locale=True))["user"]
    except SlackApiError:
        return Language(ENGLISH)
    return Language(CHINESE if (user.get("locale") or "").startswith("zh") else ENGLISH)
