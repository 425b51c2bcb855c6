"""Running the bot on Slack: Bolt's AsyncApp in HTTP mode (signed requests on one endpoint,
/slack/events) or Socket Mode (SLACK_APP_TOKEN). The composition root (bot/running.py) builds
it, and the Slack adapter the outbox delivers with beside it."""

from __future__ import annotations

import logging

import aiohttp
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.app import App
from bot.chat.directory import Directory
from bot.chat.uploads import Uploads
from bot.config import Slack as SlackConfig
from bot.refused import TokenRefused
from bot.slack.endpoint import endpoint
from bot.slack.files import SlackFiles
from bot.slack.listeners import SlackListeners
from bot.slack.request_checks import RequestChecks
from bot.slack.settings import SlackEnvironment

log = logging.getLogger(__name__)
EVENTS_PATH = "/slack/events"
# What Slack answers a token that will not work until the operator sets another.
REFUSED = frozenset({"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"})


class SlackRuntime:
    def __init__(self, app: App, env: SlackEnvironment, config: SlackConfig, wake,
                 outbox: AsyncWebClient | None = None):
        """`outbox`: the client the outbox delivers with (bot/slack/outbox_client.py), given the
        same HTTP session as the listeners' while the runtime runs."""
        self.env = env
        self.config = config
        self.outbox = outbox
        client = AsyncWebClient(token=env.bot_token, base_url=env.api_url)
        # Answers to people: a 429 with Retry-After is waited out and retried a few times.
        client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=3))
        self.client = client
        self.bolt = AsyncApp(
            client=client,  # carries the token; Bolt ignores `token=` when given a client
            signing_secret=env.signing_secret or "unused-in-socket-mode",
            request_verification_enabled=env.app_token is None,
        )
        uploads = Uploads(app, app.uploads)
        self.checks = RequestChecks(config.team_id).register(self.bolt)  # before any listener
        files = SlackFiles(env.bot_token, env.api_url)
        self.listeners = SlackListeners(app, Directory(app.config, app.store), uploads, wake, files)
        self.listeners.register(self.bolt)
        self._runner: web.AppRunner | None = None
        self._socket = None

    async def start(self) -> None:
        # One session for every call the listeners and the outbox make: without it slack-sdk opens
        # a session, and a connection, per call, and a click's answer cost a TCP connect and close
        # (a third of the CPU a repeat click took). Bolt hands each request's client this session.
        # Without cookies: the Web API authorises by the token alone, and a cookie jar filtered
        # every request's cookies and stored every answer's.
        self.client.session = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar())
        if self.outbox is not None:
            self.outbox.session = self.client.session
        self.checks.installed(await self._who_am_i())  # fails fast on a bad token or workspace
        if self.env.app_token:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            self._socket = AsyncSocketModeHandler(self.bolt, self.env.app_token)
            await self._socket.connect_async()
            log.info("Slack bot connected (Socket Mode)")
            await self.listeners.inbox.replay(self.bolt)
            return
        if not self.env.signing_secret:
            raise RuntimeError("Slack HTTP mode needs SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode)")
        self._runner = web.AppRunner(endpoint(self.bolt, self.env.signing_secret, EVENTS_PATH), access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.config.listen, self.config.port).start()
        log.info("Slack bot listening on %s:%s%s", self.config.listen, self.config.port, EVENTS_PATH)
        await self.listeners.inbox.replay(self.bolt)

    async def _who_am_i(self):
        """auth.test; a refused token stops the bot as Telegram's does (`followup run` exits 3)."""
        try:
            return await self.client.auth_test()
        except SlackApiError as error:
            if error.response.get("error") in REFUSED:
                raise TokenRefused("Slack", "SLACK_BOT_TOKEN") from None
            raise

    async def stop(self) -> None:
        await self.listeners.inbox.stop()
        if self._socket is not None:
            await self._socket.close_async()
        if self._runner is not None:
            await self._runner.cleanup()
        await self.listeners.inbox.drain()
        if self.client.session is not None:  # the outbox's deliveries stopped before the runtimes
            await self.client.session.close()
