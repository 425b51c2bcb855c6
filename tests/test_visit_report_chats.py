"""The "Visit report (PDF)" button beside the findings summary: the buyer taps it and the PDF
arrives where they read, on Telegram (sendDocument), on Slack (an external upload) and on the
console (a file, its path printed), through the real PTB and Bolt against the fakes. It is the
buyer's record: a factory contact's tap is refused and sends nothing."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from bot.cli.followup import main
from handlers.model import Role
from messages.i18n import CHINESE
from tests.conftest import EXAMPLE_VISIT, speaking, zipped
from tests.pdf_reading import pdf_text
from tests.slack_world import BUYER, BUYER_CHANNEL, FACTORY, running_slack
from tests.telegram_world import BUYER_CHAT, BUYER_ID, running
from tests.test_console import console_config
from tests.test_slack_more import post
from tests.test_status_chart import no_proxies  # noqa: F401 - the fixture, autouse: loopback without proxies
from tests.test_telegram import post_example

REPORT_FILE = "PO-2026-0142-visit-2026-11-24.pdf"
COMING = "The visit report of PO-2026-0142 is being prepared; the PDF follows in a moment."
ON_ITS_WAY = "The visit report of PO-2026-0142 is already on its way; it was asked for a moment ago."


def reads_as_the_report(content: bytes) -> None:
    text = pdf_text(content)
    assert content[:5] == b"%PDF-"
    assert "Visit report · PO-2026-0142" in text and "Findings and decisions" in text
    assert "[F1] MA major · Workmanship" in text and "No corrective notice sent yet." in text


async def test_visit_report_button_on_telegram_sends_the_pdf_to_the_buyers_chat(config, clock) -> None:
    async with running(config, clock) as world:
        await post_example(world)
        summary = world.chat(BUYER_CHAT)[0]
        assert list(summary.buttons) == ["Approve all (7)", "Visit report (PDF)"]

        assert await world.tap(world.buyer, BUYER_CHAT, summary, "Visit report") == COMING
        (sent,) = await world.fake.wait_for(lambda: [m for m in world.chat(BUYER_CHAT) if m.document])
        assert sent.document.filename == REPORT_FILE
        reads_as_the_report(sent.document.content)
        said = world.chat(BUYER_CHAT)[-2]
        assert said.plain.startswith("Visit report · PO-2026-0142")
        assert world.fake.calls("sendDocument")[-1]["chat_id"] == BUYER_CHAT

        refused = await world.tap(world.factory, BUYER_CHAT, summary, "Visit report")  # a forged tap
        assert "无权执行此操作" in refused
        await world.settled()
        assert len([m for m in world.chat(BUYER_CHAT) if m.document]) == 1


async def test_visit_report_button_on_slack_uploads_the_pdf_to_the_buyers_channel(config, clock) -> None:
    async with running_slack(config, clock) as world:
        await post(world, zipped(EXAMPLE_VISIT))
        summary = world.channel(BUYER_CHANNEL)[0]
        assert list(summary.buttons) == ["Approve all (7)", "Visit report (PDF)"]

        status, _ = await world.click(BUYER, BUYER_CHANNEL, summary, "Visit report")
        assert status == 200
        (pdf,) = await world.fake.wait_for(lambda: [f for f in world.fake.files(BUYER_CHANNEL)
                                                    if f.title == REPORT_FILE])
        reads_as_the_report(pdf.content)
        said = next(m for m in world.channel(BUYER_CHANNEL) if m.ts == pdf.thread_ts)
        assert said.text.startswith("*Visit report · PO-2026-0142*")
        assert world.fake.calls("files.getUploadURLExternal") and world.fake.calls("files.completeUploadExternal")

        await world.click(FACTORY, BUYER_CHANNEL, summary, "Visit report")  # not theirs to read
        await world.settled()
        assert len([f for f in world.fake.files(BUYER_CHANNEL) if f.title.endswith(".pdf")]) == 1


def test_visit_report_button_on_the_console_writes_the_pdf_and_prints_its_path(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["console", "--config", str(console_config(tmp_path)), "--out", str(out)],
                                input=f"post {EXAMPLE_VISIT / 'report.yaml'}\n2\nquit\n")
    assert result.exit_code == 0, result.output
    assert "[1] Approve all (7)  [2] Visit report (PDF)" in result.output
    assert f"bot to Anna Schmidt: {COMING}" in result.output
    written = out / REPORT_FILE
    assert f"📄 {written}" in result.output
    reads_as_the_report(written.read_bytes())


async def test_visit_report_asked_in_a_group_shared_with_the_factory_goes_to_the_asker_privately(config, clock) -> None:
    shared = config.model_copy(update={"factories": tuple(f.model_copy(update={"telegram_chat_id": BUYER_CHAT})
                                                          for f in config.factories)})
    async with running(shared, clock) as world:
        await post_example(world)
        summary = next(m for m in world.chat(BUYER_CHAT) if "Visit report (PDF)" in m.buttons)

        assert await world.tap(world.buyer, BUYER_CHAT, summary, "Visit report") == COMING
        (sent,) = await world.fake.wait_for(lambda: [m for m in world.chat(BUYER_ID) if m.document])
        assert sent.document.filename == REPORT_FILE
        assert not [m for m in world.chat(BUYER_CHAT) if m.document]  # the factory reads that group


async def test_visit_report_button_tapped_twice_sends_one_pdf_and_says_it_is_on_its_way(config, clock) -> None:
    """A double tap, and the same tap's update delivered again, make one report; a minute after
    it arrived, asking again sends a new one (what was decided since is in it)."""
    async with running(config, clock) as world:
        await post_example(world)
        summary = world.chat(BUYER_CHAT)[0]
        answers = len(world.fake.callback_answers)
        button = summary.buttons["Visit report (PDF)"]
        update = await world.fake.tap(BUYER_CHAT, world.buyer, summary.message_id, button)
        await world.fake.wait_for(lambda: len(world.fake.callback_answers) > answers)
        await world.settled()
        assert world.fake.callback_answers[-1].text == COMING

        assert await world.tap(world.buyer, BUYER_CHAT, summary, "Visit report") == ON_ITS_WAY
        await world.fake.redeliver(update)
        await world.fake.wait_for(lambda: not world.fake.redelivering)
        await world.settled()
        documents = [m for m in world.chat(BUYER_CHAT) if m.document]
        assert len(documents) == 1 and len(world.fake.calls("sendDocument")) == 1
        assert [a.text for a in world.fake.callback_answers].count(COMING) == 1

        clock.advance(minutes=1, seconds=1)
        assert await world.tap(world.buyer, BUYER_CHAT, summary, "Visit report") == COMING
        await world.fake.wait_for(lambda: len([m for m in world.chat(BUYER_CHAT) if m.document]) == 2)


async def test_for_a_chinese_reading_buyer_the_en_line_is_english_in_the_chat_and_in_the_report(config, clock) -> None:
    """The instruction's "EN" line is the English the factory's notice carries, whoever reads;
    the Chinese lines take full-width punctuation."""
    async with running(speaking(config, Role.BUYER, CHINESE), clock) as world:
        await post_example(world)
        f1 = world.finding("F1").plain
        assert "    EN  Sort every finished unit (100 per cent inspection) and segregate all defective units." in f1
        assert "    中文 对所有成品进行全检，挑出的不良品须隔离存放。" in f1
        assert re.search(r"\n  建议整改措施（完成期限2026年\d+月\d+日）：\n", f1)
        assert "  照片：f1-glaze-crawl-1.jpg，f1-glaze-crawl-2.jpg" in f1

        summary = world.chat(BUYER_CHAT)[0]
        assert "验货：生产中期检验，2026年11月24日" in summary.plain
        await world.tap(world.buyer, BUYER_CHAT, summary, "验货报告")
        (sent,) = await world.fake.wait_for(lambda: [m for m in world.chat(BUYER_CHAT) if m.document])
        text = pdf_text(sent.document.content)
        assert "EN Sort every finished unit (100 per cent inspection) and segregate all defective units." in text
        assert "中文 对所有成品进行全检，挑出的不良品须隔离存放。" in text
        assert "验货：生产中期检验，2026年11月24日 · 验货员：Chen Jing" in text
        assert "工厂：宁波常青家居用品有限公司（Ningbo Evergreen Homeware Co., Ltd.）" in text
        assert "照片：f1-glaze-crawl-1.jpg，f1-glaze-crawl-2.jpg" in text
        assert "Sort every finished unit" not in summary.plain and "EN 对所有成品" not in text
