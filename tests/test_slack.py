"""The whole flow in a Slack workspace: signed requests into the real Bolt AsyncApp, the
real slack-sdk client against a fake Web API on 127.0.0.1."""

from __future__ import annotations

import pytest

from tests.conftest import EXAMPLE_VISIT, zipped
from tests.slack_world import BUYER, BUYER_CHANNEL, FACTORY_CHANNEL, INSPECTOR, running_slack


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """slack-sdk honours proxy variables even for 127.0.0.1."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


async def post_example(world) -> None:
    bundle = world.fake.add_uploaded_file("visit.zip", zipped(EXAMPLE_VISIT))
    dm = world.fake.dm_channel(INSPECTOR)
    status, _ = await world.event(world.fake.message_event(INSPECTOR, dm, "", files=[bundle]))
    assert status == 200
    await world.fake.wait_for(lambda: any("posted" in m.text for m in world.channel(dm) if m.from_bot))
    await world.settled()


async def test_an_inspector_uploads_a_bundle_and_the_buyer_channel_gets_the_findings(config, clock) -> None:
    async with running_slack(config, clock) as world:
        await post_example(world)
        messages = world.channel(BUYER_CHANNEL)
        summary = messages[0]
        assert summary.blocks[0]["type"] == "header"
        assert "PO-2026-0142" in summary.blocks[0]["text"]["text"]
        assert ":large_yellow_circle: *At risk*" in summary.blocks[1]["elements"][0]["text"]
        assert "*Progress*: verified 48.0 % · reported 65.0 % · gap 17.0 pts" in summary.text
        details = messages[1]  # the first reply in the summary's thread, before the findings
        assert details.thread_ts == summary.ts and details.text.startswith("*Details · PO-2026-0142*")
        assert "Verified by inspector: 2,880 / 6,000 (48.0 %)" in details.text
        f1 = world.finding("F1")
        assert f1.thread_ts == summary.ts
        assert set(f1.buttons) == {"Approve", "Edit", "Reject"}
        assert any(b["type"] == "image" for b in f1.blocks)


async def test_the_buyer_approves_sends_the_notice_and_the_factory_acknowledges(config, clock) -> None:
    async with running_slack(config, clock) as world:
        await post_example(world)
        status, _ = await world.click(BUYER, BUYER_CHANNEL, world.finding("F1"), "Approve")
        assert status == 200
        f1 = world.finding("F1")
        assert f1.edited and "approved" in f1.text and set(f1.buttons) == {"Edit", "Reject"}
        for label in ("F2", "M3", "P1", "P2", "P3"):
            await world.click(BUYER, BUYER_CHANNEL, world.finding(label), "Approve")
        await world.click(BUYER, BUYER_CHANNEL, world.finding("F3"), "Reject")
        send = [m for m in world.channel(BUYER_CHANNEL) if any("Send notice" in b for b in m.buttons)][-1]
        await world.click(BUYER, BUYER_CHANNEL, send, "Send notice")
        notice = [m for m in world.channel(FACTORY_CHANNEL) if m.buttons][-1]
        assert notice.text.startswith("整改通知书 CN-2026-0001")
        (pdf,) = [f for f in world.fake.files(FACTORY_CHANNEL) if f.title == "CN-2026-0001.pdf"]
        assert pdf.content[:5] == b"%PDF-" and pdf.thread_ts == notice.ts
        # A member of the factory's Slack Connect channel who is not in the config: the buyer
        # confirms them once, then they answer it, named with their factory and Slack id.
        world.fake.add_user("U0ZHANG", "zhang.min", tz="Asia/Shanghai", locale="zh-CN", real_name="Zhang Min")
        await world.click("U0ZHANG", FACTORY_CHANNEL, notice, "确认收到")
        (asked,) = await world.fake.wait_for(lambda: [m for m in world.channel(BUYER_CHANNEL) if "Confirm" in m.buttons])
        await world.click(BUYER, BUYER_CHANNEL, asked, "Confirm")
        await world.fake.wait_for(lambda: len(world.fake.ephemerals(FACTORY_CHANNEL)) == 2)  # told they may act
        await world.click("U0ZHANG", FACTORY_CHANNEL, notice, "确认收到")
        await world.fake.wait_for(lambda: any(
            "acknowledged notice CN-2026-0001* — Zhang Min (NB-EVERGREEN, Slack U0ZHANG)" in m.text
            for m in world.channel(BUYER_CHANNEL)))
