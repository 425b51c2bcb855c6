"""Wherever a notice says how to answer it, it names the buttons as the reader's screen labels
them: a chat's own buttons (确认收到 in a Chinese factory chat, under the English part too;
Acknowledge for a contact who reads English), the notice page's buttons on the page, and the
page's, as its link opens it, where a robot, a mail or the PDF sends the reader to the link.
Each test takes the labels from what the surface draws and looks for them in the words."""

from __future__ import annotations

import re
from html import unescape

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.web.server import web_application
from handlers.model.message_kinds import MessageKind
from handlers.views import load_view
from messages import buttons as b
from messages.buttons import PAGE_LOCALE, label
from messages.i18n import CHINESE, ENGLISH, Language
from messages.mail import letter
from messages.pdf import notice_pdf
from messages.render import Answers, render_view
from storage.media import MediaStore
from tests.conftest import approve_and_send, post_example
from tests.pdf_reading import pdf_pages
from tests.telegram_world import BUYER_CHAT, FACTORY_CHAT, running
from tests.test_approve_all import no_proxies, summary  # noqa: F401  (the fixture keeps httpx off proxies)
from tests.test_approve_all import post_example as post_on_telegram
from tests.test_web_notice_page import SIGNER, link_to

PARTS = "─" * 60  # between the notice's Chinese and English parts (notice/body.txt.j2)
LINK = "https://qc.example.test/n/1.1.NB-EVERGREEN.1.30.signature"


@pytest.fixture
async def notice(app, config):
    notice_id = await approve_and_send(app, config, await post_example(app, config))
    async with app.store.unit_of_work() as uow:
        return await load_view(uow, app.settings, MessageKind.NOTICE, {"notice_id": notice_id})


def page_labels() -> list[str]:
    """What the notice page's answer buttons read as a link opens the page (checked against
    the page itself below)."""
    return [label(action, Language(PAGE_LOCALE)) for action in (b.ACKNOWLEDGE, b.DISPUTE)]


def names(text: str, labels: list[str]) -> bool:
    """Every label, quoted, in `text` (line breaks and markup aside)."""
    flat = re.sub(r"\s+", "", unescape(re.sub(r"<[^>]+>", "", text)))
    return all(f"“{shown}”" in flat for shown in labels)


@pytest.mark.parametrize("surface", ["telegram", "slack", "console"])
@pytest.mark.parametrize("locale", [CHINESE, ENGLISH])
async def test_a_chats_notice_names_the_buttons_it_carries_in_both_parts(notice, surface, locale) -> None:
    rendered = render_view(surface, notice, Language(locale, notice.factory.timezone))
    labels = [button.label for button in rendered.buttons]
    chinese, english = rendered.text.split(PARTS)
    assert len(labels) == 2 and names(chinese, labels) and names(english, labels)


async def test_under_the_english_part_a_chinese_chats_buttons_carry_their_english_name(notice) -> None:
    english = render_view("console", notice, Language(CHINESE)).text.split(PARTS)[1]
    assert "with the “确认收到” (Acknowledge) button" in english and "press “有异议” (Dispute)" in english


async def test_the_factory_chat_on_telegram_names_the_buttons_under_its_notice(config, clock) -> None:
    async with running(config, clock) as world:
        await post_on_telegram(world)
        await world.tap(world.buyer, BUYER_CHAT, summary(world), "Approve all")
        await world.tap(world.buyer, BUYER_CHAT, summary(world), "Send notice")
        sent = world.last_with_button(FACTORY_CHAT, "确认收到")
        labels = list(sent.buttons)
        assert labels == ["确认收到", "有异议"]
        assert all(names(part, labels) for part in sent.plain.split(PARTS))


@pytest.mark.parametrize("query", ["", "?lang=en"])
async def test_the_notice_page_names_its_own_buttons(app, notice, query) -> None:
    async with TestClient(TestServer(web_application(app, SIGNER, lambda: None))) as client:
        url = link_to(app, notice.notice.id)
        html = await (await client.post(url + "/name" + query, data={"name": "王经理"})).text()
    acknowledge = re.search(r'/acknowledge\?lang=\w+">.*?<button type="submit">([^<]+)</button>', html, re.S)[1]
    dispute = re.search(r"<summary>([^<]+)</summary>", html)[1]
    assert names(html.split('id="answer"')[0], [acknowledge, dispute]), "named above the buttons they name"
    if not query:  # as a link opens it: what the robots, mails and PDF name
        assert [acknowledge, dispute] == page_labels()


@pytest.mark.parametrize("surface", ["wecom", "dingtalk", "feishu"])
async def test_a_robot_sends_to_the_link_and_names_the_pages_buttons(notice, surface) -> None:
    for locale in (CHINESE, ENGLISH):
        text = render_view(surface, notice, Language(locale), answers=Answers.LINK).text
        assert text.count("“") >= 4 and all(names(part, page_labels()) for part in text.split(PARTS))


async def test_a_mail_names_the_pages_buttons_in_both_languages(notice) -> None:
    mail = letter(notice, LINK)
    for body in (mail.plain, mail.html):
        assert names(body, page_labels()) and "“Acknowledge”" not in body


async def test_the_pdf_names_the_pages_buttons_in_each_language(notice, tmp_path) -> None:
    printed = "".join(pdf_pages(notice_pdf(notice, MediaStore(tmp_path / "media"), LINK)))
    flat = re.sub(r"\s+", "", printed)
    assert [flat.count(f"“{shown}”") for shown in page_labels()] == [2, 2], "once in each language's part"
