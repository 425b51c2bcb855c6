"""The "Visit report (PDF)" button beside the findings summary: the buyer taps it and the PDF
arrives where they read, on Telegram (sendDocument), on Slack (an external upload) and on the
console (a file, its path printed), through the real PTB and Bolt against the fakes. It is the
buyer's record: a factory contact's tap is refused and sends nothing."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from bot.cli.followup import main
from tests.conftest import EXAMPLE_VISIT, zipped
from tests.pdf_reading import pdf_text
from tests.slack_world import BUYER, BUYER_CHANNEL, FACTORY, running_slack
from tests.telegram_world import BUYER_CHAT, BUYER_ID, running
from tests.test_console import console_config
from tests.test_slack_more import post
from tests.test_status_chart import no_proxies  # noqa: F401 - the fixture, autouse: loopback without proxies
from tests.test_telegram import post_example

REPORT_FILE = "PO-2026-0142-visit-2026-11-24.pdf"
COMING = "The visit report of PO-2026-0142 is being prepared; the PDF follows in a moment."


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
