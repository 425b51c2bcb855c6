"""A status answer brings the order's progress chart: on Telegram as a photo captioned with
the status (or after it, when the status is too long for a caption), on Slack as a file
where the answer went (a /followup reply only the asker sees: their DM), on the console as a
PNG file. The labels are in the asker's
language: the factory's chart is the one drawn in Chinese."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli.followup import main
from handlers.analysis.progress import progress_chart
from handlers.commands import Actor, ApproveInstruction, DisputeNotice, SendNotice
from handlers.model import Platform, Role
from messages.chart import render_chart
from messages.i18n import CHINESE, Language
from tests.conftest import EXAMPLE_VISIT, bundle_of, one_finding, person
from tests.slack_world import BUYER, BUYER_CHANNEL, FACTORY, FACTORY_CHANNEL, running_slack
from tests.telegram_world import BUYER_CHAT, FACTORY_CHAT, INSPECTOR_ID, running
from tests.test_console import console_config
from tests.test_slack_more import command, post, say_in_dm
from tests.test_telegram import post_example

PNG = b"\x89PNG\r\n\x1a\n"
ORDER = "PO-2026-0142"


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx and slack-sdk honour proxy variables even for 127.0.0.1."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


async def chinese_chart(app) -> bytes:
    async with app.store.unit_of_work() as uow:
        visits = await uow.visits.for_order(ORDER)
    figures = progress_chart(visits, app.settings.factories[visits[0].factory_id], app.settings.thresholds)
    return render_chart(figures, Language(CHINESE, "Asia/Shanghai"))


async def test_telegram_answers_with_the_chart_captioned_by_the_status(config, clock, visit_dir, example_data) -> None:
    async with running(config, clock) as world:
        # F1 alone: the whole example's status (seven reasons) no longer fits a caption
        await world.fake.send_document(INSPECTOR_ID, world.inspector, "visit.zip",
                                       bundle_of(visit_dir, one_finding(example_data)))
        await world.fake.wait_for(lambda: any("posted" in (m.text or "") for m in world.chat(INSPECTOR_ID)))
        await world.settled()

        buyer = await world.say(world.buyer, BUYER_CHAT, "how is po2026 0142")
        assert buyer.method == "sendPhoto" and buyer.photos[0].startswith(PNG)
        assert buyer.plain.startswith(f"━━ {ORDER} · Stoneware mug")
        assert "Status: AT RISK" in buyer.plain
        assert buyer.plain.endswith("Next step: Approve, edit or reject the proposed instructions.")
        assert "<b>Next step</b>" in buyer.caption  # the caption keeps its HTML

        factory = await world.say(world.factory, FACTORY_CHAT, f"订单 {ORDER} 怎么样了")
        assert factory.method == "sendPhoto" and "状态：有风险" in factory.plain
        assert factory.photos[0] == await chinese_chart(world.app)


async def test_a_status_too_long_for_a_caption_comes_first_then_the_chart(config, clock) -> None:
    async with running(config, clock) as world:
        await post_example(world)
        app, buyer = world.app, Actor(person(config, Role.BUYER), Platform.CONSOLE)
        async with app.store.unit_of_work() as uow:
            visit = (await uow.visits.for_order(ORDER))[0]
            ids = [i.id for i in await uow.instructions.for_visit(visit.id)]
        for instruction_id in ids:
            await app.bus.handle(ApproveInstruction(instruction_id), buyer)
        notice_id = (await app.bus.handle(SendNotice(visit.id), buyer)).params["notice_id"]
        await world.settled()  # the factory has the notice before it disputes it
        reason = "我们有不同意见：" + "釉料批次已按确认样重新调配，请派验货员到厂复检后再定。" * 20
        await app.bus.handle(DisputeNotice(notice_id, reason), Actor(person(config, Role.FACTORY), Platform.CONSOLE))
        await world.settled()

        before = len(world.chat(BUYER_CHAT))
        await world.say(world.buyer, BUYER_CHAT, f"/status {ORDER}")
        text, photo = world.chat(BUYER_CHAT)[before:]
        assert text.method == "sendMessage" and reason in text.plain and "Next step: Decide the disputed" in text.plain
        assert photo.method == "sendPhoto" and photo.caption is None and photo.photos[0].startswith(PNG)


async def test_slack_uploads_the_chart_where_the_question_was_asked(config, clock, visit_dir, example_data) -> None:
    async with running_slack(config, clock) as world:
        await post(world, bundle_of(visit_dir, one_finding(example_data)))

        dm = world.fake.dm_channel(BUYER)
        answer = await say_in_dm(world, BUYER, "how is po2026 0142?")
        assert "Status: *AT RISK*" in answer.text and "*Next step*: " in answer.text
        (chart,) = await world.fake.wait_for(lambda: world.fake.files(dm))
        assert chart.name == f"{ORDER}-progress.png" and chart.content.startswith(PNG)

        # /followup answers in a reply only the asker sees, so its chart goes to their DM.
        assert "Status: *AT RISK*" in await command(world, BUYER, BUYER_CHANNEL, f"status {ORDER}")
        _, private = await world.fake.wait_for(lambda: world.fake.files(dm)[1:] and world.fake.files(dm))
        assert private.content.startswith(PNG) and world.fake.files(BUYER_CHANNEL) == []

        mention = world.fake.app_mention_event(FACTORY, FACTORY_CHANNEL, f"订单 {ORDER} 怎么样了")
        await world.event(mention)
        (threaded,) = await world.fake.wait_for(
            lambda: [f for f in world.fake.files(FACTORY_CHANNEL) if f.thread_ts == mention["ts"]])
        assert threaded.content == await chinese_chart(world.app)


def test_the_console_writes_the_chart_and_says_where(tmp_path: Path) -> None:
    charts = tmp_path / "charts"
    keys = f"post {EXAMPLE_VISIT / 'report.yaml'}\nstatus po 2026 0142\nas factory\n{ORDER} 进度\nquit\n"
    result = CliRunner().invoke(main, ["console", "--config", str(console_config(tmp_path)), "--out", str(charts)],
                                input=keys)

    assert result.exit_code == 0, result.output
    english, chinese = charts / f"{ORDER}-progress.en_GB.png", charts / f"{ORDER}-progress.zh_Hans_CN.png"
    assert f"bot to Anna Schmidt: Progress chart: {english}" in result.output
    assert f"bot to Li Wei: 生产进度图：{chinese}" in result.output
    assert english.read_bytes().startswith(PNG) and chinese.read_bytes() != english.read_bytes()
