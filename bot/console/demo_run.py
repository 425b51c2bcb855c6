"""`followup demo`: the whole flow on SQLite and the console, with a scripted buyer and
factory, so a newcomer sees what the bot does without tokens or network.

The first sections happen within minutes (bot/console/demo.py); the follow-up (bot/console/demo_loop.py) moves
the clock over days, running the bot's chase pass as its loop would."""

from __future__ import annotations

from pathlib import Path

from bot.app import App, build_console_app
from bot.config import Config, Storage
from bot.console.adapter import Echo
from bot.console.demo import Script, ScriptClock
from bot.console.demo_loop import follow_up
from bot.console.demo_web import DemoWeb
from bot.console.session import ConsoleSession
from bot.chat.visit_form import offer_form
from handlers.model import Platform, Role
from handlers.model.message_kinds import MessageKind
from handlers.text import written_in_chinese
from handlers.translatable import Nn_
from handlers.views import load_view
from messages.i18n import CHINESE, ENGLISH, Language


HIDDEN = Nn_("⋯ (%(num)s more line)", "⋯ (%(num)s more lines)")


class Abridged:
    """The console's echo, which shortens long messages once the full ones have been seen; what
    it leaves out is said in the message's own language (a factory's chat reads Chinese)."""

    def __init__(self, echo: Echo, keep: int = 6):
        self.echo = echo
        self.keep = keep
        self.on = False

    def __call__(self, text: str) -> None:
        lines = text.split("\n")
        if not self.on or len(lines) <= self.keep + 2:
            self.echo(text)
            return
        hidden = len(lines) - self.keep - 1
        language = Language(CHINESE if written_in_chinese(lines[0]) else ENGLISH)
        left_out = language.ngettext(*HIDDEN, hidden) % {"num": hidden}
        self.echo("\n".join([*lines[: self.keep], f"    {left_out}", lines[-1]]))


async def run_demo(config: Config, directory: Path, out: Path, echo: Echo, colour: bool, serve: bool = False,
                   port: int = 0) -> App:
    """The story with the web server on 127.0.0.1:`port` (0: any free one); `serve` keeps it up
    afterwards until Ctrl-C."""
    directory.mkdir(parents=True, exist_ok=True)
    config = config.model_copy(update={"storage": Storage(url=f"sqlite:///{directory / 'followup.sqlite3'}")})
    clock = ScriptClock()
    abridged = Abridged(echo)
    app = await build_console_app(config, clock, abridged, colour)
    web = DemoWeb(app, port)
    try:
        await web.start()
        await play(app, clock, abridged, colour, out, directory, web, serve)
        if serve:
            await web.serve(echo)
    finally:
        await web.stop()
        await app.close()
    return app


async def play(app: App, clock: ScriptClock, echo: Abridged, colour: bool, out: Path, directory: Path,
               web: DemoWeb | None = None, serve: bool = False) -> None:
    """The script, on an app whose console shows it and takes the taps; an adapter added for
    another platform receives that platform's copy of every message. With `web` (started),
    the pages it serves are listed at the end."""
    demo = Script(app, ConsoleSession(app, echo, colour, out), clock, echo, colour)
    visit_id, notice_id = await demo.up_to_the_notice(out)
    echo.on = True
    await follow_up(demo, visit_id, notice_id, directory)
    await demo.ask_status()
    if web is not None:
        demo.step("The pages on this machine")
        for what, url in await pages(app, web, notice_id):
            demo.narrate(f"{what}: {url}")
        if not serve:
            demo.narrate("`./dev demo --serve` keeps the web server up after the story, to open them in a browser")
    demo.count_taps()


async def pages(app: App, web: DemoWeb, notice_id: int) -> list[tuple[str, str]]:
    """What a person can open on the demo's web server, with its link: the factory's notice
    page, and the inspector's visit form for the order's next visit (as `/visit PO-…` gives it)."""
    async with app.store.unit_of_work() as uow:
        view = await load_view(uow, app.settings, MessageKind.NOTICE, {"notice_id": notice_id})
    inspector = next(p for p in app.settings.people if p.role is Role.INSPECTOR)
    form = await offer_form(app, inspector, Platform.CONSOLE, view.visit.order_reference)
    return [(f"the factory's page for notice {view.notice.number} (version {view.notice.version})",
             web.links.as_sent(view)),
            (f"{inspector.name}'s visit form for the next visit to {view.visit.order_reference}", form.url)]
