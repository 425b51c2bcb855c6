"""The buyer passes the notice on by any channel: with the web server on, the buyer's chat
shows the factory's signed link beside the sent notice, with its QR code (on Telegram a photo
captioned with the link, on Slack the link's text showing the code), and the notice's PDF in
the factory's chat prints the same link and code. Real python-telegram-bot and slack-sdk
clients talk to the fakes; without the web server nothing of this appears."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from io import BytesIO
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from slack_sdk.web.async_client import AsyncWebClient
from telegram import Bot

from bot.app import App, build_app, deliver_on_slack, deliver_on_telegram
from bot.cli.followup import main
from bot.config import Config
from bot.web.links import SECRET_ENV, LinkSigner, NoticeLinks
from handlers.commands import ApproveInstruction, SendNotice
from handlers.model import Role
from messages.qr import qr_png
from tests.conftest import actor, approve_and_send, deliver_until_done, example_config_file, post_example
from tests.fake_slack import FakeSlack
from tests.fake_telegram import FakeTelegram
from tests.fakes import FakeClock
from tests.pdf_reading import pdf_text
from tests.slack_world import BUYER_CHANNEL, FACTORY_CHANNEL, free_port, slack_config
from tests.telegram_world import BUYER_CHAT, FACTORY_CHAT, telegram_config

FACTORY = "NB-EVERGREEN"
SIGNER = LinkSigner(b"s" * 32)
PUBLIC = "https://qc.example.test/base"
LINK = re.compile(re.escape(PUBLIC) + r"/n/([A-Za-z0-9_.-]+)")

pytestmark = pytest.mark.usefixtures("direct_to_fakes")


def read_link(text: str, clock: FakeClock) -> tuple[str, object]:
    """The one signed link `text` shows, and what it stands for."""
    tokens = set(LINK.findall(text))
    assert len(tokens) == 1, text
    token = tokens.pop()
    return f"{PUBLIC}/n/{token}", SIGNER.read(token, clock.now())


@asynccontextmanager
async def on_telegram(config: Config, clock: FakeClock, web: bool = True) -> AsyncIterator[tuple[App, FakeTelegram]]:
    async with FakeTelegram() as fake:
        app = await build_app(telegram_config(config), clock)
        if web:
            app.link_notices(NoticeLinks(SIGNER, PUBLIC, 30, clock))
        bot = Bot(fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url)
        await bot.initialize()
        deliver_on_telegram(app, bot)
        try:
            yield app, fake
        finally:
            await bot.shutdown()
            await app.close()


async def notice_sent(app: App, config: Config, clock: FakeClock) -> None:
    visit_id = await post_example(app, config)
    await deliver_until_done(app, clock)
    await approve_and_send(app, config, visit_id)
    clock.advance(hours=3)  # the link counts from the sending, not from its delivery
    await deliver_until_done(app, clock)


async def test_on_telegram_the_buyer_gets_the_factorys_link_as_a_qr_photo_captioned_with_it(
    config: Config, clock: FakeClock
) -> None:
    async with on_telegram(config, clock) as (app, fake):
        await notice_sent(app, config, clock)
        buyer = fake.transcript(BUYER_CHAT)
        sent = next(i for i, m in enumerate(buyer) if m.plain.startswith("✉ Notice CN-2026-0001"))
        shared = buyer[sent + 1]
        assert shared.method == "sendPhoto" and shared.parse_mode == "HTML"
        assert shared.plain.startswith("🔗 The factory's link to notice CN-2026-0001")
        assert shared.caption.startswith("<b>🔗"), "the caption is Telegram HTML, checked by the fake"
        url, link = read_link(shared.plain, clock)
        assert (link.notice_id, link.version, link.recipient) == (1, 1, FACTORY), "addressed to the factory"
        assert shared.photos, "the QR code as a photo"
        assert "Open until 24 Dec 2026" in shared.plain  # 30 days from sending, in the buyer's zone

        factory_pdf = next(m.document for m in fake.transcript(FACTORY_CHAT) if m.document is not None)
        printed = pdf_text(factory_pdf.content)
        assert "扫码查看整改通知书并在线回复" in printed and "Scan to view and answer this notice" in printed
        assert read_link(printed, clock)[0] == url, "the PDF prints the link the buyer passes on"
        words = " ".join(printed.split())
        assert "code on the first page of this notice or open the link beside it" in words, "paper has no buttons"
        assert "Acknowledge button" not in words
        images = sum(len(page.images) for page in PdfReader(BytesIO(factory_pdf.content)).pages)
        assert images == 8, "the seven instructions' photos and the QR code"
        assert sum(1 for m in buyer if m.photos and LINK.search(m.plain)) == 1, "shown once"


def test_the_pdf_rendered_again_with_the_web_server_on_is_the_one_sent(config: Config, clock: FakeClock,
                                                                     tmp_path: Path) -> None:
    """`followup notice render` prints the same link, from when the version was sent: the same bytes."""
    async def sent() -> tuple[bytes, Path]:
        async with on_telegram(config, clock) as (app, fake):
            await notice_sent(app, config, clock)
            return next(m.document for m in fake.transcript(FACTORY_CHAT) if m.document).content, app.store.path

    pdf, database = asyncio.run(sent())
    web = f'\n[web]\npublic_url = "{PUBLIC}"\n'
    toml = example_config_file(tmp_path / "followup.toml", f"sqlite:///{database}", web)
    again = tmp_path / "again.pdf"
    arguments = ["notice", "render", "CN-2026-0001", "--config", str(toml), "--out", str(again)]
    short = CliRunner(env={SECRET_ENV: "short"}).invoke(main, arguments)
    assert short.exit_code == 1 and f"{SECRET_ENV} must be" in short.output and not again.exists()
    rendered = CliRunner(env={SECRET_ENV: SIGNER.secret.decode()}).invoke(main, arguments)
    assert rendered.exit_code == 0, rendered.output
    assert again.read_bytes() == pdf


async def test_without_the_web_server_no_link_no_qr_and_the_pdf_as_before(config: Config, clock: FakeClock) -> None:
    async with on_telegram(config, clock, web=False) as (app, fake):
        await notice_sent(app, config, clock)
        assert not any("🔗" in m.plain or "/n/" in m.plain for m in fake.transcript(BUYER_CHAT))
        factory_pdf = next(m.document for m in fake.transcript(FACTORY_CHAT) if m.document is not None)
        printed = pdf_text(factory_pdf.content)
        assert "Scan to view" not in printed
        words = " ".join(printed.split())
        assert "To acknowledge receipt or dispute, contact your buyer." in words and "Acknowledge button" not in words
        assert sum(len(page.images) for page in PdfReader(BytesIO(factory_pdf.content)).pages) == 7


async def test_a_retry_after_the_link_was_shown_does_not_show_it_again(config: Config, clock: FakeClock) -> None:
    """The sent notice's message edits the findings' messages after the link: a failure there
    retries the message, and only what is missing is sent."""
    async with on_telegram(config, clock) as (app, fake):
        visit_id = await post_example(app, config)
        buyer = actor(config, Role.BUYER)
        async with app.store.unit_of_work() as uow:
            instructions = await uow.instructions.for_visit(visit_id)
        for instruction in instructions:
            assert (await app.bus.handle(ApproveInstruction(instruction.id), buyer)).ok
        await deliver_until_done(app, clock)  # the decisions' own edits done
        assert (await app.bus.handle(SendNotice(visit_id), buyer)).ok
        fake.fail_next("editMessageText", error_code=500)  # the first finding the sent notice refreshes
        await deliver_until_done(app, clock)
        buyer = fake.transcript(BUYER_CHAT)
        assert sum(1 for m in buyer if m.plain.startswith("✉ Notice CN-2026-0001")) == 1
        assert sum(1 for m in buyer if LINK.search(m.plain)) == 1
        assert fake.faults_left("editMessageText") == 0


async def test_on_slack_the_buyer_gets_the_link_in_the_visits_thread_showing_its_qr_code(
    config: Config, clock: FakeClock
) -> None:
    async with FakeSlack() as fake:
        fake.add_channel(BUYER_CHANNEL, "buyer-qc")
        fake.add_channel(FACTORY_CHANNEL, "evergreen-connect")
        cfg = slack_config(config, free_port())  # the factory's notice goes to FACTORY_CHANNEL
        app = await build_app(cfg, clock)
        app.link_notices(NoticeLinks(SIGNER, PUBLIC, 30, clock))
        deliver_on_slack(app, AsyncWebClient(token=fake.token, base_url=fake.api_url))
        try:
            await notice_sent(app, cfg, clock)
        finally:
            await app.close()

        buyer = fake.messages(BUYER_CHANNEL)
        shared = next(m for m in buyer if "The factory's link to notice CN-2026-0001" in m.text)
        url, link = read_link(shared.text, clock)
        assert link.recipient == FACTORY
        summary = buyer[0]
        assert shared.thread_ts == summary.ts, "beside the sent notice, in the visit's thread"
        images = [block for block in shared.blocks if block["type"] == "image"]
        assert len(images) == 1
        assert fake.file(images[0]["slack_file"]["id"]).content == qr_png(url), "the QR code of that very link"
        assert "<" not in shared.text.replace(url, ""), "nothing read as a Slack link or mention but the link"
