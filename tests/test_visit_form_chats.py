"""/visit PO-… where the inspector already talks to the bot: on Telegram a button that opens
the visit form as a Mini App (an https link) or as a link, always in their private chat; on
Slack a link only they see; in the console a link. An order nobody imported, a missing order
number, a factory contact and the web server off each get their answer and no draft."""

from __future__ import annotations

import pytest

from bot.chat.visit_form import visit_asked
from bot.web.form_links import FormLinks
from handlers.commands import ImportOrders
from handlers.model import Role
from tests.conftest import actor
from tests.telegram_world import FACTORY_CHAT, INSPECTOR_ID, running
from tests.test_visit_form import ORDER, drafts
from tests.test_web_notice_page import SIGNER

pytestmark = pytest.mark.usefixtures("direct_to_fakes")


async def with_order(app, config, public_url: str = "https://qc.example.com") -> None:
    app.form_links = FormLinks(SIGNER, public_url, app.bus.clock)
    assert (await app.bus.handle(ImportOrders((ORDER,), False), actor(config, Role.BUYER))).ok


def test_what_asks_for_the_form() -> None:
    assert visit_asked("/visit PO-2026-0142") == "PO-2026-0142"
    assert visit_asked("/visit@followup_bot po 2026 0142") == "po 2026 0142"
    assert visit_asked("visit ＰＯ－２０２６－０１４２") == "PO-2026-0142"
    assert visit_asked("/visit") == ""
    assert visit_asked("we visit the factory tomorrow") is None


async def test_on_telegram_the_form_opens_as_a_mini_app_from_the_inspectors_private_chat(config, clock) -> None:
    async with running(config, clock) as world:
        await with_order(world.app, config)
        answer = await world.say(world.inspector, INSPECTOR_ID, "/visit PO-2026-0142")
        (button,), = answer.reply_markup["inline_keyboard"]
        assert button["text"] == "Open the visit form"
        assert button["web_app"]["url"].startswith("https://qc.example.com/v/" + drafts(world.app)[0]["id"] + ".")
        assert "The visit form for PO-2026-0142 is ready" in answer.plain


async def test_asked_in_a_group_the_link_goes_privately(config, clock) -> None:
    async with running(config, clock) as world:
        await with_order(world.app, config, "http://127.0.0.1:8080")
        note = await world.say(world.inspector, FACTORY_CHAT, "/visit PO-2026-0142")
        assert note.plain == "Chen Jing, the visit form's link is in your private chat with the bot."
        (button,), = world.chat(INSPECTOR_ID)[-1].reply_markup["inline_keyboard"]
        assert button["url"].startswith("http://127.0.0.1:8080/v/") and "web_app" not in button
        assert "/v/" not in str([(m.plain, m.reply_markup) for m in world.chat(FACTORY_CHAT)])


async def test_on_telegram_an_unknown_order_a_missing_number_and_a_factory_contact_get_no_form(config,
                                                                                              clock) -> None:
    async with running(config, clock) as world:
        await with_order(world.app, config)
        unknown = await world.say(world.inspector, INSPECTOR_ID, "/visit PO-1999-0001")
        assert unknown.plain.startswith("There is no order PO-1999-0001") and not unknown.reply_markup
        bare = await world.say(world.inspector, INSPECTOR_ID, "/visit")
        assert bare.plain.startswith("Which order?")
        refused = await world.say(world.factory, FACTORY_CHAT, "/visit PO-2026-0142")
        assert "角色" in refused.plain and not refused.reply_markup
        assert drafts(world.app) == []


async def test_without_the_web_server_the_inspector_is_told_so(config, clock) -> None:
    async with running(config, clock) as world:
        assert (await world.app.bus.handle(ImportOrders((ORDER,), False), actor(config, Role.BUYER))).ok
        answer = await world.say(world.inspector, INSPECTOR_ID, "/visit PO-2026-0142")
        assert "[web] public_url" in answer.plain and drafts(world.app) == []


async def test_on_slack_the_link_comes_in_the_answer_only_the_inspector_sees(config, clock) -> None:
    from tests.slack_world import FACTORY, FACTORY_CHANNEL, INSPECTOR, running_slack
    from tests.test_slack_more import command

    async with running_slack(config, clock) as world:
        await with_order(world.app, config)
        shown = await command(world, INSPECTOR, FACTORY_CHANNEL, "visit PO-2026-0142")
        (draft,) = drafts(world.app)
        assert shown.startswith("The visit form for PO-2026-0142 is ready")
        assert f"<https://qc.example.com/v/{draft['id']}." in shown and shown.endswith("|Open the visit form>")
        assert world.channel(FACTORY_CHANNEL) == [], "nothing goes to the channel"
        refused = await command(world, FACTORY, FACTORY_CHANNEL, "visit PO-2026-0142")
        assert "角色" in refused and "/v/" not in refused


async def test_in_the_console_the_link_is_printed(app, config, transcript) -> None:
    from bot.console.session import ConsoleSession

    await with_order(app, config)
    session = ConsoleSession(app, transcript, False, None)
    assert await session.say(session.person(Role.INSPECTOR), "visit PO-2026-0142")
    assert "https://qc.example.com/v/" + drafts(app)[0]["id"] + "." in transcript.text
