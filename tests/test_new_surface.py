"""A new surface is primitives and limits: the one below, written here in about sixty lines,
is plugged in where Telegram would be and receives every kind of message the demo sends,
rendered for it and laid out by the delivery plan (bot/outbox/), with no kind named in it."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from itertools import count
from pathlib import Path

from bot.app import build_console_app
from bot.config import Storage, Telegram, load_config
from bot.console.demo import ScriptClock
from bot.console.demo_run import Abridged, play
from bot.outbox.adapter import PlannedAdapter
from bot.outbox.plan import PLANS, RefreshItems, RefreshSummary
from bot.outbox.surface import Draft, Limits, Target
from handlers.model import Platform
from handlers.model.message_kinds import MessageKind
from tests.conftest import EXAMPLE_CONFIG
from tests.fakes import Transcript

BUYER_CHAT, FACTORY_CHAT = "-100111", "-100222"
TEMPLATES = Path(__file__).resolve().parent.parent / "messages" / "templates"


@dataclass(frozen=True)
class Shown:
    kind: MessageKind
    destination: str
    action: str  # text, photos, file, edit, buttons
    text: str
    buttons: tuple[str, ...] = ()


class NewSurface(PlannedAdapter):
    """Records what the plan asks of it, as a chat would show it."""

    platform = Platform.TELEGRAM
    templates = "text"
    limits = Limits(text=700, caption=120, photos_per_group=3, file_size=20_000_000)
    buttons_keep_text = False  # shows the line the new buttons go under

    def __init__(self, store, clock, documents):
        super().__init__(store, clock, documents)
        self.shown: list[Shown] = []
        self._ids = count(1)

    def classify(self, error: Exception) -> None:
        return None  # every failure is a surprise: the test fails with it

    async def chat(self, destination: str) -> str:
        return destination

    async def send_photos(self, to: Target, photos, caption: str | None, progress) -> None:
        per_group = self.limits.photos_per_group
        for start in range(0, len(photos), per_group):
            names = "; ".join(name for name, _ in photos[start:start + per_group])
            await progress.part(f"photos-{start}", lambda names=names: self._show(to, "photos", f"{caption}: {names}"))

    async def send_text(self, to: Target, draft: Draft, progress) -> str:
        part, reference = to.subject if draft.again else "text", ""
        for i, text in enumerate(draft.messages):
            buttons = draft.buttons if i == len(draft.messages) - 1 else ()
            reference = await progress.part(f"{part}-{i}", lambda text=text, buttons=buttons: self._show(
                to, "text", text, buttons))
        return reference

    async def send_file(self, to: Target, reference: str, name: str, content: bytes) -> str:
        assert content.startswith(b"%PDF") and len(content) <= self.limits.file_size
        return await self._show(to, "file", name)

    async def edit(self, to: Target, reference: str, text: str, buttons) -> bool:
        if len(text) > self.limits.text:
            return False
        await self._show(to, "edit", text, buttons)
        return True

    async def replace_buttons(self, to: Target, reference: str, buttons, text: str, note: str) -> None:
        """Shows the note; when only the buttons change (a summary's), the line they go under."""
        await self._show(to, "buttons", note or text.split("\n", 1)[0], buttons)

    async def _show(self, to: Target, action: str, text: str, buttons=()) -> str:
        """What a platform call would do: show something and name it."""
        assert len(text) <= self.limits.text, (to.view.kind, action)
        self.shown.append(Shown(to.view.kind, to.destination, action, text, tuple(b.label for b in buttons)))
        return f"{to.chat}:{next(self._ids)}"


async def test_a_surface_of_primitives_and_limits_receives_every_message_the_demo_sends(tmp_path: Path) -> None:
    example = load_config(EXAMPLE_CONFIG)
    factories = tuple(f.model_copy(update={"telegram_chat_id": int(FACTORY_CHAT)}) for f in example.factories)
    config = example.model_copy(update={
        "storage": Storage(url=f"sqlite:///{tmp_path / 'followup.sqlite3'}"),
        "telegram": Telegram(buyer_chat_id=int(BUYER_CHAT)), "factories": factories,
    })
    clock, echo = ScriptClock(), Abridged(Transcript())
    app = await build_console_app(config, clock, echo)
    surface = NewSurface(app.store, clock, app.documents)
    app.dispatcher.add_adapter(surface)
    try:
        await play(app, clock, echo, False, tmp_path / "out", tmp_path)
    finally:
        await app.close()

    with sqlite3.connect(app.store.path) as db:
        owed = db.execute("SELECT platform, kind, sent_at FROM outbox").fetchall()
    emitted = {MessageKind(kind) for _, kind, _ in owed}
    # The buyer's chat is a group: it gets the findings together, the console one by one.
    assert {kind for platform, kind, _ in owed if platform == Platform.TELEGRAM} == emitted - {MessageKind.FINDING}
    assert all(sent_at for _, _, sent_at in owed), "every message delivered"
    # Approve all's message only rewrites what it answers (the findings, the summary): shown as those.
    rewrites_others = {kind for kind in emitted
                       if all(isinstance(step, RefreshItems | RefreshSummary) for step in PLANS[kind])}
    assert {shown.kind for shown in surface.shown} == emitted - rewrites_others
    assert all(shown.text.strip() for shown in surface.shown), "each rendered"
    assert {shown.action for shown in surface.shown} == {"text", "photos", "file", "edit", "buttons"}
    assert {shown.destination for shown in surface.shown} == {BUYER_CHAT, FACTORY_CHAT}
    summary = [s for s in surface.shown if s.kind is MessageKind.VISIT_SUMMARY]
    assert len(summary) > 1, "a summary longer than one message is split by the plan"


def test_every_kind_of_message_has_a_plan_and_a_template() -> None:
    """What adding a kind takes: its row in the plan and its template (the notice has its own)."""
    assert set(PLANS) == set(MessageKind)
    missing = [kind for kind in MessageKind if kind is not MessageKind.NOTICE
               and not (TEMPLATES / "chat" / f"{kind}.j2").exists()]
    assert missing == []
