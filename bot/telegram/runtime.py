"""Running the bot on Telegram: updates persisted in the inbox before Telegram is told they
arrived (long polling or webhook), handled through python-telegram-bot's handlers, and the
outbox delivered in the background.

PTB's own updater confirms an offset, and its webhook server answers 200, before handlers
run; a crash there loses updates. So this module polls and serves the webhook itself and
hands PTB each update with `process_update` once it is safely stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from telegram import BotCommand, Update
from telegram.error import InvalidToken, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ExtBot,
    MessageHandler,
    filters,
)

from bot.app import App
from bot.chat.adoption import Adoption, Holdings, Renewal
from bot.chat.directory import Directory
from bot.chat.handled_marks import HandledMarks
from bot.chat.uploads import Uploads
from bot.config import Telegram as TelegramConfig
from bot.outbox.backoff import Backoff
from bot.refused import TokenRefused
from bot.telegram.chat_order import ChatOrder
from bot.telegram.evidence import TelegramEvidence
from bot.telegram.inbound import TelegramInbound, language_of
from bot.telegram.joining import TelegramJoining
from bot.telegram.polling import ALLOWED_UPDATES, POLL_BACKOFF, Poller, token_refused
from bot.telegram.settings import TelegramEnvironment
from bot.telegram.taps import TelegramTaps
from bot.telegram.transport import AiohttpRequest
from bot.telegram.visit_form import TelegramVisitForm
from bot.telegram.uploads import TelegramUploads
from handlers.catalog import N_
from handlers.model import Platform
from messages.i18n import CHINESE, ENGLISH, Language
from storage.inbox import InboxEntry

if TYPE_CHECKING:
    from aiohttp import web

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
COMMANDS = (
    ("status", N_("Status of an order: /status PO-123")),
    ("orders", N_("Your orders, most urgent first: /orders late, /orders PO-2026")),
    ("factories", N_("How each factory is doing; orders to visit")),
    ("visit", N_("Fill in a visit report on your phone: /visit PO-123")),
    ("invite", N_("Invite a factory contact: /invite FACTORY_ID")),
    ("revoke", N_("Stop an invited contact acting for a factory: /revoke NAME")),
    ("help", N_("What this bot does")),
)
FAILED = N_("Sorry, that failed on our side. It has been logged; please try again in a moment.")


class TelegramRuntime:
    """Built by the composition root (bot/running.py), which hands it `outbox_bot`, the client
    the outbox's Telegram adapter delivers with: the runtime starts it once Telegram has
    accepted the token, and stops it with the rest."""

    def __init__(
        self, app: App, env: TelegramEnvironment, config: TelegramConfig, outbox_bot: ExtBot, wake,
        poll_timeout: int = 30, poll_backoff: Backoff = POLL_BACKOFF,
        on_fatal: Callable[[BaseException], None] | None = None,
    ):
        self.app = app
        self.wake = wake  # tells the outbox delivery loop that something was enqueued
        self.config = config
        self.on_fatal = on_fatal  # told when the bot cannot go on (a refused token), to stop the process
        self.application: Application = (
            ApplicationBuilder()
            .token(env.token)
            .base_url(env.base_url)
            .base_file_url(env.file_base_url)
            .request(AiohttpRequest())
            .get_updates_request(AiohttpRequest(connection_pool_size=1))
            .updater(None)
            .rate_limiter(AIORateLimiter(max_retries=3))
            .build()
        )
        self._tasks: list[asyncio.Task] = []
        self._webhook: web.AppRunner | None = None
        self._order = ChatOrder(app.dispatcher.foreground)
        self._marks = HandledMarks(app.store, Platform.TELEGRAM, app.bus.clock, app.bus.ride_in)
        app.bus.ride_along(self._marks.ride)
        self._holdings = Holdings(app.store, Platform.TELEGRAM, app.dispatcher.replica, app.bus.clock)
        self._renewal = Renewal(self._holdings)
        self._adoption = Adoption(self._holdings, self._adopt)
        self.secret = env.secret_token()
        self._poller = Poller(self.application.bot, self._receive, poll_timeout, poll_backoff)
        self._register(Directory(app.config, app.store), app.uploads)
        self.outbox_bot = outbox_bot

    def _register(self, directory: Directory, staging: Path) -> None:
        inbound = TelegramInbound(self.app, directory, self.wake)
        joining = TelegramJoining(self.app, directory, inbound.on_command)
        uploads = TelegramUploads(Uploads(self.app, staging), directory, self.wake)
        add = self.application.add_handler
        add(CallbackQueryHandler(TelegramTaps(inbound, self._order).on_callback))
        add(CommandHandler("start", joining.on_start))
        add(CommandHandler("invite", joining.on_invite))
        add(CommandHandler("revoke", joining.on_revoke))
        add(CommandHandler(["status", "orders", "factories", "help"], inbound.on_command))
        add(CommandHandler("visit", TelegramVisitForm(inbound).on_visit))
        evidence = TelegramEvidence(inbound, uploads, directory)
        add(MessageHandler(filters.Document.ALL, evidence.on_document))
        add(MessageHandler(filters.PHOTO, evidence.on_photo))
        add(MessageHandler(filters.TEXT & ~filters.COMMAND, inbound.on_text))
        self.application.add_error_handler(self._on_error)

    async def start(self) -> None:
        try:
            await self.application.initialize()  # getMe: fails fast on a bad token
        except InvalidToken:
            raise token_refused() from None
        await self.outbox_bot.initialize()
        bot = self.application.bot
        for language_code, locale in ((None, ENGLISH), ("zh", CHINESE)):
            language = Language(locale)
            commands = [BotCommand(name, language.gettext(text)) for name, text in COMMANDS]
            await bot.set_my_commands(commands, language_code=language_code)
        if self.config.mode != "webhook":
            await bot.delete_webhook()
        self._renewal.start()
        # Before any new update can arrive: a chat's stored updates are handled before its new ones.
        await self._handle_unhandled()
        self._adoption.start()
        if self.config.mode == "webhook":
            await self._start_webhook()
        if self.config.mode == "polling":
            async with self.app.store.unit_of_work() as uow:
                offset = await uow.inbox.next_offset(Platform.TELEGRAM)
            polling = asyncio.create_task(self._poller.run(offset), name="telegram-polling")
            polling.add_done_callback(self._polling_ended)
            self._tasks.append(polling)
        log.info("Telegram bot @%s running (%s)", bot.username, self.config.mode)

    async def stop(self) -> None:
        await self._adoption.stop()
        if self._order.running:
            await asyncio.wait(self._order.running, timeout=10)
        await self._marks.drain()
        await self._renewal.stop()
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks)  # how polling ended was told when it did (_polling_ended)
        if self._webhook is not None:
            await self._webhook.cleanup()
        elif self._poller.offset is not None:
            # Confirm what was stored, so Telegram does not send it again after a restart.
            with contextlib.suppress(TelegramError):
                await self.application.bot.get_updates(offset=self._poller.offset, timeout=0)
        await self.application.shutdown()
        await self.outbox_bot.shutdown()

    def _polling_ended(self, task: asyncio.Task) -> None:
        """Polling ends only when cancelled, or when the bot cannot go on: then the process
        is told to stop rather than run on deaf."""
        if task.cancelled():
            return
        error = task.exception()
        log.critical("Telegram polling stopped: %s", error, exc_info=None if isinstance(error, TokenRefused) else error)
        if self.on_fatal is not None:
            self.on_fatal(error)

    async def _receive(self, updates: list[dict]) -> None:
        """Polled updates, stored as Telegram sent them, then handled."""
        for payload in await self._store(updates):
            self._spawn(payload)

    async def _store(self, payloads: list[dict]) -> list[dict]:
        """Persists updates; returns those not seen before (a redelivery is handled once). The
        updates handled meanwhile are marked in the same commit."""
        by_id = {payload["update_id"]: payload for payload in payloads}
        async with self.app.store.unit_of_work(short=True) as uow:
            added = await uow.inbox.add_all(Platform.TELEGRAM, by_id, self.app.bus.clock.now(), self._holdings.hold())
            await self.app.bus.ride_in(uow)
            await uow.commit()
        fresh = [payload for update_id, payload in by_id.items() if update_id in added]
        for payload in fresh:
            self._holdings.keep(payload["update_id"])
        return fresh

    def _spawn(self, payload: dict) -> None:
        """Handles a stored update beside the others, after the earlier ones of its chat
        (bot/telegram/chat_order.py)."""
        update_id = payload["update_id"]
        self._order.spawn(_chat_of(payload), update_id, lambda: self._process(update_id, payload),
                          tap="callback_query" in payload)

    async def _process(self, update_id: int, payload: dict) -> None:
        """Lets go of the update's lease when done: its mark (which clears the lease) follows
        within the lease's remaining time, and an update that failed may be adopted again."""
        try:
            try:
                update = Update.de_json(payload, self.application.bot)
            except (AttributeError, KeyError, TypeError, ValueError) as unreadable:
                await self._quarantine(update_id, unreadable)
                return
            await self.application.process_update(update)
            self._marks.add(update_id)
        finally:
            self._holdings.let_go(update_id)

    async def _adopt(self, entry: InboxEntry) -> None:
        """An update another replica left unhandled, queued behind its chat's earlier ones."""
        self._spawn(entry.payload)

    async def _quarantine(self, update_id: int, unreadable: Exception) -> None:
        """An update PTB cannot read is set aside (`followup inbox` lists it), not retried at
        every start: one bad payload must not keep the bot from the others."""
        reason = f"{type(unreadable).__name__}: {unreadable}"
        log.error("Telegram update %s cannot be read and is set aside (followup inbox lists it): %s",
                  update_id, reason)
        async with self.app.store.unit_of_work() as uow:
            await uow.inbox.quarantine(Platform.TELEGRAM, update_id, self.app.bus.clock.now(), reason)
            await uow.commit()

    async def _handle_unhandled(self) -> None:
        """Updates stored before a crash but never handled, and nobody else's to handle, are
        handled now, in order."""
        async for entry in self._holdings.take():
            log.info("handling update %s stored before the last stop", entry.update_id)
            await self._process(entry.update_id, entry.payload)

    async def _start_webhook(self) -> None:
        from aiohttp import web  # here: a polling bot never loads the web server (RSS, issue 17)

        server = web.Application()
        server.router.add_post(self.config.webhook_path, self._on_webhook)
        self._webhook = web.AppRunner(server, access_log=None)
        await self._webhook.setup()
        site = web.TCPSite(self._webhook, self.config.listen, self.config.port)
        await site.start()
        url = self.config.public_url.rstrip("/") + self.config.webhook_path
        await self.application.bot.set_webhook(url, secret_token=self.secret, allowed_updates=ALLOWED_UPDATES)

    async def _on_webhook(self, request: web.Request) -> web.Response:
        """Stores the update, then answers 200: Telegram retries anything not answered 200."""
        from aiohttp import web

        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            log.warning("webhook request with a wrong secret token from %s refused", request.remote)
            return web.Response(status=403)
        if request.content_type != "application/json":
            return web.Response(status=415)
        try:
            payload = await request.json()
            int(payload["update_id"])  # an update without a numeric id is refused
        except (ValueError, KeyError, TypeError):
            return web.Response(status=400)
        if await self._store([payload]):
            self._spawn(payload)
        return web.Response(status=200)

    async def _on_error(self, update: object, context) -> None:
        """Errors nobody caused on purpose: logged with the update's id (never the token),
        and the person is told it failed on our side."""
        update_id = getattr(update, "update_id", None)
        log.error("handling Telegram update %s failed", update_id, exc_info=context.error)
        if isinstance(update, Update) and update.effective_message is not None:
            user = update.effective_user
            language = language_of(None, user.language_code if user else None)
            with contextlib.suppress(TelegramError):
                await update.effective_message.reply_text(language.gettext(FAILED))


def _chat_of(payload: dict) -> int | None:
    """The chat an update belongs to (a tap's: the chat of its message), None if it has none."""
    body = payload.get("message") or payload.get("callback_query") or {}
    message = body.get("message", body)
    chat = message.get("chat") if isinstance(message, dict) else None
    return chat.get("id") if isinstance(chat, dict) else None
