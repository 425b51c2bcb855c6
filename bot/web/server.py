"""The bot's web server, a runtime beside the chat platforms': started and stopped with them by
bot/running.py, listening on `[web] listen` and `port`."""

from __future__ import annotations

import logging
from collections.abc import Callable

from aiohttp import web

from bot.config import Web as WebConfig
from bot.web.links import LinkSigner
from bot.web.form import VisitForm
from bot.web.page import NoticePage

log = logging.getLogger(__name__)


def web_application(app, signer: LinkSigner, wake: Callable[[], None], public_url: str = "") -> web.Application:
    """The routes the server answers; the tests drive this with aiohttp's test client."""
    # Forms of a few fields; the notice page reads its done photos with a limit of their own (MAX_BODY).
    application = web.Application(client_max_size=64 * 1024)
    application.add_routes(NoticePage(app, signer, wake, public_url).routes())
    application.add_routes(VisitForm(app, signer, wake).routes())
    return application


class WebServer:
    def __init__(self, app, signer: LinkSigner, config: WebConfig, wake: Callable[[], None]) -> None:
        self._application = web_application(app, signer, wake, config.public_url or "")
        self._config = config
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        self._runner = web.AppRunner(self._application, access_log=None)  # the path is the link's key
        await self._runner.setup()
        await web.TCPSite(self._runner, self._config.listen, self._config.port).start()
        log.info("web server on %s:%d, links to %s", self._config.listen, self._config.port, self._config.public_url)

    @property
    def port(self) -> int:
        """The port it listens on: the one configured, or the one the system chose for 0."""
        return self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
