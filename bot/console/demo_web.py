"""The demo's web server: the factory's notice page and the inspector's visit form on 127.0.0.1, behind links signed with a
secret made for this run only, against the demo's own store. `followup demo --serve` keeps it
up after the story until Ctrl-C so a person can open the links; the plain demo stops it with
the story."""

from __future__ import annotations

import asyncio
import secrets
import signal

from bot.app import App
from bot.console.adapter import Echo
from bot.outbox.delivery import DeliveryLoop
from bot.web.form_links import FormLinks
from bot.web.links import LinkSigner, NoticeLinks
from bot.web.server import WebServer

LOOPBACK = "127.0.0.1"


class PortTaken(Exception):
    """The port asked for is in use (another demo, the running bot)."""


class DemoWeb:
    def __init__(self, app: App, port: int = 0):
        """`port` 0: any free port, so two demos (or a demo and the running bot) never clash."""
        self.app = app
        self.port_asked = port
        self.signer = LinkSigner(secrets.token_urlsafe(32).encode())  # never the same twice
        self.delivery = DeliveryLoop(app.dispatcher, interval=1.0)
        config = app.config.web.model_copy(update={"listen": LOOPBACK, "port": port})
        self.server = WebServer(app, self.signer, config, self.delivery.wake)
        self.links: NoticeLinks | None = None

    async def start(self) -> None:
        """Listening, and the notices' links point here from now on."""
        try:
            await self.server.start()
        except OSError as error:
            raise PortTaken(f"cannot listen on {LOOPBACK}:{self.port_asked}: {error.strerror or error}; "
                            "choose another --port, or leave it out for any free one") from error
        public_url = f"http://{LOOPBACK}:{self.server.port}"
        self.links = NoticeLinks(self.signer, public_url, self.app.config.web.link_days, self.app.bus.clock)
        self.app.link_notices(self.links)
        self.app.form_links = FormLinks(self.signer, public_url, self.app.bus.clock)

    async def serve(self, echo: Echo) -> None:
        """Until Ctrl-C (or SIGTERM): answers on the pages reach the console as the running
        bot's would reach the chats."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        echo(f"\nThe web server stays up on http://{LOOPBACK}:{self.server.port} until Ctrl-C.")
        self.delivery.start()
        try:
            await stop.wait()
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
            await self.delivery.stop()
        echo("Stopped.")

    async def stop(self) -> None:
        await self.server.stop()
