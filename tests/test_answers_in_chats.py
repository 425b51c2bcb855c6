"""An answer in a chat shows only what every member of that chat may see; more goes to the
asker privately, with a one-line note in the chat (bot.chat.answers, handlers.queries.audience).

One table, `SHOWN`, says what each chat shows when the buyer or factory A's contact asks there;
the same table is played through the fake Telegram server and the fake Slack Web API, and every
chat and every private chat is checked after each question: what arrived (text, photos, files),
and that no factory chat ever reads the other factory's order or name, or what only the buyer
side may know (instructions awaiting the buyer's decision, the buyer's next step).
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from bot.app import build_app
from bot.chat.answers import answer_in
from bot.config import Config
from handlers.commands import Actor, PostVisit
from handlers.intake.reports import read_report
from handlers.model import Factory, Person, Platform, Role
from handlers.queries.audience import PRIVATE, UNKNOWN, Audience, audience_of
from handlers.routing import Destination, Routing
from messages.i18n import CHINESE, Language
from tests.conftest import changed, one_finding, write_report
from tests.slack_world import BUYER, BUYER_CHANNEL, FACTORY, FACTORY_CHANNEL, SlackWorld, running_slack
from tests.telegram_world import BUYER_CHAT, BUYER_ID, FACTORY_CHAT, FACTORY_ID, World, running

OWN, FOREIGN = "PO-2026-0142", "PO-2026-0143"  # factory A's order, factory B's
B_CHAT, UNKNOWN_GROUP = -100333, -100444
B_CHANNEL, UNKNOWN_CHANNEL = "C0OTHER", "C0RANDOM"
QUESTIONS = ("own", "foreign", "orders", "factories", "help")

# What the chat shows when each person asks each question there: "answer", the asker's own
# answer; "share", what every member may see of it (a factory chat: that factory's view, in
# Chinese) and a note, the full answer going to the asker privately; "note", only the note.
SHOWN = {
    ("buyer", "buyer chat"): ("answer", "answer", "answer", "answer", "answer"),
    ("buyer", "factory A chat"): ("share", "note", "share", "share", "answer"),
    ("buyer", "factory B chat"): ("note", "share", "share", "share", "answer"),
    ("buyer", "private chat"): ("answer", "answer", "answer", "answer", "answer"),
    ("buyer", "unknown group"): ("note", "note", "note", "note", "answer"),
    ("factory A", "buyer chat"): ("answer", "answer", "answer", "answer", "answer"),
    ("factory A", "factory A chat"): ("answer", "answer", "answer", "answer", "answer"),
    ("factory A", "factory B chat"): ("note", "note", "note", "note", "answer"),
    ("factory A", "private chat"): ("answer", "answer", "answer", "answer", "answer"),
    ("factory A", "unknown group"): ("note", "note", "note", "note", "answer"),
}

# What an answer says, by whose view it is: a few words each must contain (both platforms).
SAYS = {
    ("buyer", "own"): (f"{OWN} · Stoneware mug", "AT RISK", "Approve, edit or reject"),
    ("buyer", "foreign"): (f"{FOREIGN} · Stoneware mug", "Approve, edit or reject"),
    ("buyer", "orders"): ("Orders, most urgent first", OWN, FOREIGN, "awaiting decision"),
    ("buyer", "factories"): ("Ningbo Evergreen Homeware Co., Ltd.", "Shenzhen Other Ceramics Ltd."),
    ("buyer", "help"): ("Ask me about an order",),
    ("factory A", "own"): (OWN, "有风险", "宁波常青家居用品有限公司"),
    ("factory A", "foreign"): (f"找不到订单{FOREIGN}",),
    ("factory A", "orders"): (OWN,),
    ("factory A", "factories"): ("宁波常青家居用品有限公司",),
    ("factory A", "help"): ("查询订单进度",),
    ("factory B", "foreign"): (FOREIGN, "有风险", "深圳其他陶瓷有限公司"),
    ("factory B", "orders"): (FOREIGN,),
    ("factory B", "factories"): ("深圳其他陶瓷有限公司",),
}
# What an answer in a factory's chat must never say: the other factory, the buyer's own business.
BUYER_SIDE = ("awaiting decision", "待决定", "Approve, edit or reject", "逐项批准", "Findings", "验货问题")
NEVER_IN = {
    "factory A chat": (FOREIGN, "SZ-OTHER", "Shenzhen", "深圳", *BUYER_SIDE),
    "factory B chat": (OWN, "NB-EVERGREEN", "Ningbo", "宁波", *BUYER_SIDE),
    "unknown group": (OWN, FOREIGN, "NB-EVERGREEN", "SZ-OTHER", "Ningbo", "宁波", "Shenzhen", "深圳", *BUYER_SIDE),
}
NOTE = {"buyer": "Anna Schmidt：完整答复已私信发给您。 / Anna Schmidt, I sent you the full answer privately.",
        "factory A": "Li Wei：完整答复已私信发给您。"}
ENGLISH_NOTE = "Anna Schmidt, I sent you the full answer privately."


def chart_language(png: bytes) -> str:
    """Which language a chart `labelled_charts` drew is in."""
    return {10: "zh", 12: "en"}[Image.open(io.BytesIO(png)).width]


def labelled_chart(figures, language: Language) -> bytes:
    """A chart drawn as a tiny PNG whose width tells its language (drawn in the bot's worker
    processes, so a module-level function they can import)."""
    side = 10 if language.is_chinese else 12
    out = io.BytesIO()
    Image.new("RGB", (side, side)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture(autouse=True)
def labelled_charts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Charts drawn by `labelled_chart`: a chart costs a quarter of a second to draw, this table
    asks for forty, and what is checked here is where each chart goes and in whose language
    (tests/test_status_chart.py checks the real drawing)."""
    monkeypatch.setattr("bot.chat.answers.render_chart", labelled_chart)


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx and slack-sdk honour proxy variables even for 127.0.0.1."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


def two_factories(config: Config) -> Config:
    """Factory B beside the example's factory A, with a Telegram group and a Slack channel of its own."""
    other = Factory(id="SZ-OTHER", name="Shenzhen Other Ceramics Ltd.", name_zh="深圳其他陶瓷有限公司",
                    telegram_chat_id=B_CHAT, slack_channel=B_CHANNEL)
    return config.model_copy(update={"factories": (*config.factories, other)})


async def post_both_orders(app, config: Config, visit_dir: Path, example_data: dict) -> None:
    """A visit to each factory, its instruction still awaiting the buyer's decision."""
    ours = one_finding(example_data)
    theirs = changed(changed(ours, "order.reference", FOREIGN), "order.factory", "SZ-OTHER")
    inspector = Actor(next(p for p in config.people if p.role is Role.INSPECTOR), Platform.CONSOLE)
    for name, data in (("a.yaml", ours), ("b.yaml", theirs)):
        with read_report(write_report(visit_dir, data, name), [f.id for f in config.factories]) as checked:
            for photo in checked.photos.values():
                app.media.put(photo.path, photo.sha256, photo.format)
            photos = {name: photo.sha256 for name, photo in checked.photos.items()}
            assert (await app.bus.handle(PostVisit(checked.report, photos), inspector)).ok


@asynccontextmanager
async def telegram_with_orders(config: Config, clock, visit_dir: Path, example_data: dict) -> AsyncIterator[World]:
    async with running(two_factories(config), clock) as world:
        await post_both_orders(world.app, world.app.config, visit_dir, example_data)
        await world.settled()
        yield world


@asynccontextmanager
async def slack_with_orders(config: Config, clock, visit_dir: Path, example_data: dict) -> AsyncIterator[SlackWorld]:
    async with running_slack(two_factories(config), clock) as world:
        world.fake.add_channel(B_CHANNEL, "shenzhen-other-connect")
        world.fake.add_channel(UNKNOWN_CHANNEL, "random")
        await post_both_orders(world.app, world.app.config, visit_dir, example_data)
        await world.settled()
        yield world


@dataclass
class Arrived:
    """What one chat received after a question: its texts (captions included) and the language
    of each chart."""

    texts: list[str]
    charts: list[str]

    @property
    def said(self) -> str:
        return "\n".join(self.texts)

    def __bool__(self) -> bool:
        return bool(self.texts or self.charts)


def own_chart(asker: str, question: str) -> list[str]:
    """The chart the asker's own answer carries: for a status of an order they may see, in their language."""
    if question not in ("own", "foreign") or (asker, question) == ("factory A", "foreign"):
        return []
    return ["en" if asker == "buyer" else "zh"]


def chat_chart(asker: str, question: str, shown: str) -> list[str]:
    """The chart the chat gets: its answer's, in the chat's language for what it shares."""
    shared = ["zh"] if question in ("own", "foreign") else []
    return {"answer": own_chart(asker, question), "share": shared, "note": []}[shown]


def check_cell(asker: str, chat: str, question: str, shown: str, here: Arrived, private: Arrived | None) -> None:
    """One cell of SHOWN: what the chat asked in and the asker's private chat received."""
    cell = f"{asker} asking {question!r} in the {chat}"
    assert here.charts == chat_chart(asker, question, shown), cell
    if shown == "answer":
        assert all(words in here.said for words in SAYS[asker, question]), (cell, here.said)
        assert "privately" not in here.said and "私信" not in here.said, cell
        assert not private, (cell, "nothing goes privately", private)
        return
    assert all(words in private.said for words in SAYS[asker, question]), (cell, private.said)
    assert private.charts == own_chart(asker, question), cell
    # In the chat's language, then the asker's; a group nobody configured: the asker's alone.
    note = ENGLISH_NOTE if (asker, chat) == ("buyer", "unknown group") else NOTE[asker]
    if shown == "note":
        assert here.texts == [note], (cell, here)
    else:
        factory = "factory " + chat.split()[1]
        assert all(words in here.said for words in SAYS[factory, question]), (cell, here.said)
        assert here.texts[-1].endswith(f"\n\n{note}"), (cell, here.texts)


def check_nothing_leaked(asker: str, chat: str, question: str, arrived: dict[str, Arrived]) -> None:
    """No chat read the other factory's order or name, or the buyer side's business; only a
    factory's own contact, asking in its own chat, reads back the reference they typed."""
    typed = {FOREIGN} if (asker, chat, question) == ("factory A", "factory A chat", "foreign") else set()
    for name, never in NEVER_IN.items():
        said = arrived[name].said if name in arrived else ""
        assert [words for words in never if words in said and words not in typed] == [], (asker, chat, question)


PRIVATE_CHAT = {"buyer": "buyer's private chat", "factory A": "Li Wei's private chat"}


async def play_the_table(chats: list[str], ask, seen, arrived) -> None:
    """Every cell of SHOWN on one platform: `ask(asker, chat, question, shown)` asks there,
    `seen(chat)` marks what a chat holds and `arrived(chat, mark)` gives what came since; then
    every chat and private chat is checked."""
    for (asker, chat), shown in SHOWN.items():
        own = PRIVATE_CHAT[asker]
        where = own if chat == "private chat" else chat
        for question, expected in zip(QUESTIONS, shown, strict=True):
            before = {name: seen(name) for name in chats}
            await ask(asker, where, question, expected)
            got = {name: arrived(name, before[name]) for name in chats}
            check_nothing_leaked(asker, chat, question, got)
            private = None if where == own else got.pop(own)
            check_cell(asker, chat, question, expected, got.pop(where), private)
            assert {name: new for name, new in got.items() if new} == {}, (asker, chat, question)


# --- the rule itself ---------------------------------------------------------------------------


def person(role: Role, factory: str | None = None) -> Person:
    return Person(name="Someone", role=role, factory=factory, locale="en")


ROUTING = Routing(
    buyer=(Destination(Platform.TELEGRAM, "-1", "en_GB", "Europe/Berlin"),),
    factories={"A": (Destination(Platform.TELEGRAM, "-2", CHINESE, "Asia/Shanghai"),
                     Destination(Platform.SLACK, "C2", CHINESE, "Asia/Shanghai")),
               "B": (Destination(Platform.TELEGRAM, "-3", CHINESE, "Asia/Shanghai"),
                     Destination(Platform.TELEGRAM, "-9", CHINESE, "Asia/Shanghai")),
               "C": (Destination(Platform.TELEGRAM, "-9", CHINESE, "Asia/Shanghai"),
                     Destination(Platform.TELEGRAM, "-1", CHINESE, "Asia/Shanghai"))},
)


@pytest.mark.parametrize(("address", "private", "audience"), [
    ("-2", False, Audience(frozenset({"A"}), locale=CHINESE, timezone="Asia/Shanghai")),
    ("-1", False, Audience(frozenset({"C"}), locale=CHINESE, timezone="Asia/Shanghai")),  # buyer's and C's
    ("-9", False, Audience(frozenset(), locale=CHINESE, timezone="Asia/Shanghai")),  # B's and C's: nothing shared
    ("C2", False, UNKNOWN),  # factory A's Slack channel is no Telegram chat
    ("42", True, PRIVATE),
    ("-7", False, UNKNOWN),
])
def test_a_chat_is_read_by_whom_it_was_configured_for(address: str, private: bool, audience: Audience) -> None:
    assert audience_of(ROUTING, Platform.TELEGRAM, address, private) == audience


def test_an_answer_in_a_chat_follows_what_the_asker_and_its_readers_share() -> None:
    buyer, inspector, contact = person(Role.BUYER), person(Role.INSPECTOR), person(Role.FACTORY, "A")
    buyer_chat = Audience(None, locale="en_GB")
    factory_a = audience_of(ROUTING, Platform.TELEGRAM, "-2", False)
    factory_b = audience_of(ROUTING, Platform.TELEGRAM, "-3", False)
    assert buyer_chat.reader(buyer) is buyer and buyer_chat.reader(inspector) is inspector
    assert buyer_chat.reader(contact) is contact  # the buyer side may see all a factory contact may
    assert factory_a.reader(contact) is contact
    assert PRIVATE.reader(buyer) is buyer and PRIVATE.reader(contact) is contact
    for asker in (buyer, inspector, person(Role.ADMIN)):
        seen = factory_a.reader(asker)
        assert (seen.role, seen.factory, seen.locale, seen.timezone) == (Role.FACTORY, "A", CHINESE, "Asia/Shanghai")
    assert factory_b.reader(contact) is None and UNKNOWN.reader(buyer) is None and UNKNOWN.reader(contact) is None


async def test_a_note_names_the_asker_in_the_chats_language_then_theirs(config, clock, visit_dir,
                                                                        example_data) -> None:
    config = two_factories(config)
    app = await build_app(config, clock)
    try:
        await post_both_orders(app, config, visit_dir, example_data)
        buyer = next(p for p in config.people if p.role is Role.BUYER)
        factory_a = Audience(frozenset({"NB-EVERGREEN"}), locale=CHINESE, timezone="Asia/Shanghai")
        found = await answer_in(app, "telegram", buyer, f"/status {FOREIGN}", factory_a)
    finally:
        await app.close()
    assert found.in_chat is None and FOREIGN in found.private.text and found.command == f"/status {FOREIGN}"
    assert found.note("telegram", reached=True) == NOTE["buyer"]
    unreachable = found.note("telegram", reached=False, link="https://t.me/bot?start=ask_x")
    assert unreachable.startswith(
        'Anna Schmidt：暂时无法私信您。请<a href="https://t.me/bot?start=ask_x">打开与本机器人的私聊</a>并点击')
    assert found.note("slack", reached=False).endswith(
        f"ask with /followup status {FOREIGN} here, where only you see the answer.")


# --- Telegram ----------------------------------------------------------------------------------


TELEGRAM_CHATS = {"buyer chat": BUYER_CHAT, "factory A chat": FACTORY_CHAT, "factory B chat": B_CHAT,
                  "unknown group": UNKNOWN_GROUP, PRIVATE_CHAT["buyer"]: BUYER_ID,
                  PRIVATE_CHAT["factory A"]: FACTORY_ID}


def telegram_arrived(world: World, chat_id: int, since: int) -> Arrived:
    new = world.chat(chat_id)[since:]
    return Arrived([m.plain for m in new if m.text is not None or m.caption is not None],
                   [chart_language(photo) for m in new for photo in m.photos])


TELEGRAM_QUESTIONS = {"own": f"/status {OWN}", "foreign": f"/status {FOREIGN}", "orders": "/orders",
                      "factories": "/factories", "help": "/help"}


async def test_on_telegram_every_chat_gets_only_what_all_its_members_may_see(config, clock, visit_dir,
                                                                             example_data) -> None:
    async with telegram_with_orders(config, clock, visit_dir, example_data) as world:
        users = {"buyer": world.buyer, "factory A": world.factory}

        async def ask(asker: str, chat: str, question: str, shown: str) -> None:
            await world.say(users[asker], TELEGRAM_CHATS[chat], TELEGRAM_QUESTIONS[question])

        await play_the_table(list(TELEGRAM_CHATS), ask, lambda chat: len(world.chat(TELEGRAM_CHATS[chat])),
                             lambda chat, since: telegram_arrived(world, TELEGRAM_CHATS[chat], since))


async def test_a_buyer_telegram_cannot_write_to_gets_a_link_that_asks_again_privately(
        config, clock, visit_dir, example_data) -> None:
    async with telegram_with_orders(config, clock, visit_dir, example_data) as world:
        world.fake.never_started(BUYER_ID)

        asked = await world.say(world.buyer, FACTORY_CHAT, "/orders")
        assert world.chat(BUYER_ID) == []  # nothing reached the buyer, and nothing leaked on the way
        assert OWN in asked.plain and FOREIGN not in asked.plain and "待决定" not in asked.plain
        assert asked.plain.endswith("完整答复随后发到私聊。 / Anna Schmidt, I cannot write to you privately yet: "
                                    "open a private chat with me, press Start, and the full answer follows there.")
        (parameter,) = set(re.findall(r'href="https://t\.me/followup_test_bot\?start=ask_([\w-]+)"', asked.text))
        assert base64.urlsafe_b64decode(parameter + "==").decode() == "/orders"  # only what was typed

        started = await world.say(world.buyer, BUYER_ID, f"/start ask_{parameter}")  # Start, in the private chat
        assert "Orders, most urgent first" in started.plain and FOREIGN in started.plain

        # The link is harmless in anyone's hands: it asks by the rights of whoever opens it.
        mine = await world.say(world.factory, FACTORY_ID, f"/start ask_{parameter}")
        assert OWN in mine.plain and FOREIGN not in mine.plain
        stranger = world.fake.user(999, "Mallory", "en")
        refused = await world.say(stranger, 999, f"/start ask_{parameter}")
        assert refused.plain.startswith("Sorry, this bot works only for the people of its buyer")

        # Once the buyer has started the bot, a status answer and its chart reach them privately.
        before = len(world.chat(FACTORY_CHAT))
        await world.say(world.buyer, FACTORY_CHAT, f"/status {FOREIGN}")
        (note,) = world.chat(FACTORY_CHAT)[before:]
        assert note.plain == NOTE["buyer"] and not note.photos
        (status,) = world.chat(BUYER_ID)[-1:]
        assert status.method == "sendPhoto" and f"{FOREIGN} · Stoneware mug" in status.plain


# --- Slack -------------------------------------------------------------------------------------


SLACK_QUESTIONS = {"own": f"status {OWN}", "foreign": f"status {FOREIGN}", "orders": "orders",
                   "factories": "factories", "help": "help"}


def bot_said(world: SlackWorld, channel: str) -> list:
    return [m for m in world.channel(channel) if m.from_bot]


def slack_arrived(world: SlackWorld, channel: str, since: tuple[int, int]) -> Arrived:
    """The bot's messages with text, and the charts it uploaded: a file's message has none."""
    messages, files = since
    return Arrived([m.text for m in bot_said(world, channel)[messages:] if m.text],
                   [chart_language(f.content) for f in world.fake.files(channel)[files:]])


def slack_seen(world: SlackWorld, channel: str) -> tuple[int, int]:
    return len(bot_said(world, channel)), len(world.fake.files(channel))


async def slack_ask(world: SlackWorld, user: str, channel: str, text: str, expected: int) -> None:
    """A mention in a channel, a message in a DM; returns once `expected` more bot messages
    (texts and shared files) are there."""
    before = len(bot_said(world, channel))
    event = (world.fake.message_event(user, channel, text) if channel.startswith("D")
             else world.fake.app_mention_event(user, channel, text))
    assert (await world.event(event))[0] == 200
    await world.fake.wait_for(lambda: len(bot_said(world, channel)) >= before + expected)
    await world.settled()


async def test_on_slack_every_channel_gets_only_what_all_its_members_may_see(config, clock, visit_dir,
                                                                             example_data) -> None:
    async with slack_with_orders(config, clock, visit_dir, example_data) as world:
        channels = {"buyer chat": BUYER_CHANNEL, "factory A chat": FACTORY_CHANNEL, "factory B chat": B_CHANNEL,
                    "unknown group": UNKNOWN_CHANNEL, PRIVATE_CHAT["buyer"]: world.fake.dm_channel(BUYER),
                    PRIVATE_CHAT["factory A"]: world.fake.dm_channel(FACTORY)}
        users = {"buyer": BUYER, "factory A": FACTORY}

        async def ask(asker: str, chat: str, question: str, shown: str) -> None:
            charts = len(chat_chart(asker, question, shown))  # each shared in a message of its own
            await slack_ask(world, users[asker], channels[chat], SLACK_QUESTIONS[question], 1 + charts)

        await play_the_table(list(channels), ask, lambda chat: slack_seen(world, channels[chat]),
                             lambda chat, since: slack_arrived(world, channels[chat], since))


async def test_followup_answers_privately_and_its_chart_goes_to_the_dm_never_the_channel(
        config, clock, visit_dir, example_data) -> None:
    async with slack_with_orders(config, clock, visit_dir, example_data) as world:
        dm = world.fake.dm_channel(BUYER)
        status, body = await world.send("command", world.fake.slash_command(BUYER, FACTORY_CHANNEL, "/followup",
                                                                            f"status {FOREIGN}"))
        assert status == 200 and FOREIGN in body and "Approve, edit or reject" in body  # the asker's own answer
        (chart,) = await world.fake.wait_for(lambda: world.fake.files(dm))
        assert chart.name == f"{FOREIGN}-progress.png"
        assert world.channel(FACTORY_CHANNEL) == [] and world.fake.files(FACTORY_CHANNEL) == []
        assert world.fake.ephemerals(FACTORY_CHANNEL) == []  # the reply was the ack itself

        # Where no DM opens, the answer stands without its chart, which goes nowhere else.
        world.fake.fail_next("conversations.open", error="cannot_dm_bot")
        status, body = await world.send("command", world.fake.slash_command(BUYER, FACTORY_CHANNEL, "/followup",
                                                                            f"status {OWN}"))
        assert status == 200 and OWN in body
        assert len(world.fake.files(dm)) == 1 and world.fake.files(FACTORY_CHANNEL) == []


async def test_where_slack_will_not_open_a_dm_the_answer_is_ephemeral_else_the_note_says_how_to_ask(
        config, clock, visit_dir, example_data) -> None:
    async with slack_with_orders(config, clock, visit_dir, example_data) as world:

        world.fake.fail_next("conversations.open", error="cannot_dm_bot")
        await slack_ask(world, BUYER, FACTORY_CHANNEL, f"status {FOREIGN}", 1)
        (note,) = bot_said(world, FACTORY_CHANNEL)
        assert note.text == NOTE["buyer"]
        (private,) = world.fake.ephemerals(FACTORY_CHANNEL)
        assert private.to_user == BUYER and FOREIGN in private.text and world.fake.files(FACTORY_CHANNEL) == []

        world.fake.fail_next("conversations.open", error="cannot_dm_bot")
        world.fake.fail_next("chat.postEphemeral", error="user_not_in_channel")
        await slack_ask(world, BUYER, FACTORY_CHANNEL, "orders", 1)
        said = bot_said(world, FACTORY_CHANNEL)[-1].text
        assert OWN in said and FOREIGN not in said
        assert said.endswith("Anna Schmidt, I cannot write to you privately: ask with /followup orders here, "
                             "where only you see the answer.")
