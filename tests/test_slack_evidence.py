"""The factory closes an instruction on Slack: after acknowledging the notice it taps "done,
with photos", uploads the photos in the thread the bot opens, and the buyer verifies or
reopens. Signed requests into the real Bolt AsyncApp, the real client against the fake."""

from __future__ import annotations

import hashlib

import pytest
from aiohttp import web

from bot.config import Config
from bot.slack.files import SlackFiles
from handlers.model import Instruction, InstructionState, Role
from tests import slack_world
from tests.conftest import EXAMPLE_VISIT, bundle_of, one_finding, speaking
from tests.fake_slack import SlackMessage
from tests.slack_world import BUYER, BUYER_CHANNEL, FACTORY, FACTORY_CHANNEL, SlackWorld, running_slack
from tests.test_slack_more import bot_said, post, send_notice, submit, with_button

DONE = "F1 整改完成（附照片）"
ASKED = "F1：请在此回复上传整改后产品的照片（至少一张）。"
REPORTED = "谢谢，已报告整改完成，买方将进行验收。"
ADDED = "已添加照片：本次完成报告共2张照片。"
NOT_A_PHOTO = ("照片未被接收：不是图片：文件内容不是JPEG、PNG或HEIC格式。"
               "请发送整改后产品的照片（JPEG、PNG或HEIC格式，不超过10 MB）。")
RETRY = "请发送整改后产品的照片（JPEG、PNG或HEIC格式，不超过10 MB）。"
VERIFIED_ALREADY = "该整改措施当前状态为“买方已验收”（Anna Schmidt，北京时间2026年11月24日 19:00），现在不能这样更改。"
PHOTO = (EXAMPLE_VISIT / "f1-glaze-crawl-1.jpg").read_bytes()
OTHER_PHOTO = PHOTO[:-10] + b"\xff\xd9" * 5  # another shot: other bytes, still a JPEG


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """slack-sdk honours proxy variables even for 127.0.0.1."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


async def acknowledged_notice(world: SlackWorld, visit_dir, example_data) -> SlackMessage:
    """F1 posted, approved and sent; the factory has acknowledged the notice."""
    await post(world, bundle_of(visit_dir, one_finding(example_data)))
    notice = await send_notice(world)
    await world.click(FACTORY, FACTORY_CHANNEL, notice, "确认收到")
    return next(m for m in world.channel(FACTORY_CHANNEL) if m.ts == notice.ts)


async def tap_done(world: SlackWorld, channel: str, message: SlackMessage) -> SlackMessage:
    """The factory taps "done, with photos"; returns the bot's question."""
    before = len(bot_said(world, channel))
    status, _ = await world.click(FACTORY, channel, message, DONE)
    assert status == 200
    return (await world.fake.wait_for(lambda: bot_said(world, channel)[before:]))[0]


async def upload(world: SlackWorld, channel: str, files: dict[str, bytes], thread_ts: str | None = None,
                 **options) -> tuple[dict, list[SlackMessage]]:
    """The factory uploads `files` in one message; returns the event and the bot's answers."""
    before = len(bot_said(world, channel))
    shared = [world.fake.add_uploaded_file(name, content) for name, content in files.items()]
    event = world.fake.message_event(FACTORY, channel, "", files=shared, thread_ts=thread_ts)
    status, _ = await world.event(event, **options)
    assert status == 200
    return event, bot_said(world, channel)[before:]


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


async def reported_with(world: SlackWorld, visit_dir, example_data, photo: bytes) -> SlackMessage:
    """F1 acknowledged and reported done with `photo` in the notice's thread; the notice."""
    notice = await acknowledged_notice(world, visit_dir, example_data)
    await tap_done(world, FACTORY_CHANNEL, notice)
    await upload(world, FACTORY_CHANNEL, {"IMG_0001.jpg": photo}, notice.ts)
    return notice


async def upload_declaring(world: SlackWorld, notice: SlackMessage, content: bytes, size: int | None = None,
                           **declared) -> str:
    """The factory uploads `content` in the notice's thread, the event declaring `size` (and
    any other field of the file object) as given; the bot's answer."""
    shared = world.fake.add_uploaded_file("IMG_0001.jpg", content)
    event = world.fake.message_event(FACTORY, FACTORY_CHANNEL, "", files=[shared], thread_ts=notice.ts)
    event["files"][0].update(declared, **({"size": size} if size is not None else {}))
    await world.event(event)
    return [m.text for m in bot_said(world, FACTORY_CHANNEL)][-1]


async def instruction(world: SlackWorld) -> Instruction:
    async with world.app.store.unit_of_work() as uow:
        (visit,) = await uow.visits.latest_per_order()
        (found,) = await uow.instructions.for_visit(visit.id)
    return found


async def instruction_state(world: SlackWorld) -> tuple[InstructionState, tuple[str, ...]]:
    found = await instruction(world)
    return found.state, found.evidence


def images(message: SlackMessage) -> list[str]:
    return [b["title"]["text"] for b in message.blocks if b["type"] == "image"]


def reported_done(world: SlackWorld) -> list[SlackMessage]:
    return [m for m in world.channel(BUYER_CHANNEL) if "reported done by the factory" in m.text]


async def test_the_factory_reports_f1_done_with_two_photos_and_the_buyer_verifies(
    config, clock, visit_dir, example_data
):
    async with running_slack(config, clock) as world:
        notice = await acknowledged_notice(world, visit_dir, example_data)
        assert notice.buttons == {} and list(notice.menus) == ["更新整改进度"]  # one list, not two buttons each
        assert list(notice.menus["更新整改进度"]) == ["F1 承诺完成日期", DONE]

        question = await tap_done(world, FACTORY_CHANNEL, notice)
        assert question.thread_ts == notice.ts
        assert question.text == f"<@{FACTORY}> {ASKED}"

        _, answers = await upload(world, FACTORY_CHANNEL, {"IMG_0001.jpg": PHOTO, "IMG_0002.jpg": OTHER_PHOTO},
                                  notice.ts)
        assert [(a.text, a.thread_ts) for a in answers] == [(REPORTED, notice.ts), (ADDED, notice.ts)]
        state, evidence = await instruction_state(world)
        assert state is InstructionState.DONE and len(evidence) == 2
        assert all(world.app.media.find(sha256) for sha256 in evidence)

        (done,) = reported_done(world)
        assert images(done) == ["f1-glaze-crawl-1.jpg", "f1-glaze-crawl-2.jpg", "F1-evidence-1.jpg"]
        assert set(done.buttons) == {"Verify", "Reopen"}
        more = with_button(world, BUYER_CHANNEL, "Verify")
        assert more.ts != done.ts and images(more) == ["F1-evidence-added-1.jpg"]

        await world.click(BUYER, BUYER_CHANNEL, done, "Verify")
        state, _ = await instruction_state(world)
        assert state is InstructionState.VERIFIED
        told = [m.text for m in world.channel(FACTORY_CHANNEL) if "买方已验收" in m.text]
        assert len(told) == 1 and "F1" in told[0]


async def test_the_buyer_reopens_with_a_reason_and_the_factory_can_report_again(
    config, clock, visit_dir, example_data
):
    async with running_slack(config, clock) as world:
        notice = await reported_with(world, visit_dir, example_data, PHOTO)

        await world.click(BUYER, BUYER_CHANNEL, reported_done(world)[0], "Reopen")
        (modal,) = world.fake.views
        assert modal.json["callback_id"] == "ask_text"
        status, body = await submit(world, BUYER, {"text": {"text": "Glaze still crawls at the handle."}})
        assert status == 200 and body is None

        assert (await instruction_state(world))[0] is InstructionState.REOPENED
        reopened = with_button(world, FACTORY_CHANNEL, DONE)
        assert reopened.ts != notice.ts and "Glaze still crawls at the handle." in reopened.text
        question = await tap_done(world, FACTORY_CHANNEL, reopened)
        assert question.thread_ts == reopened.ts
        _, answers = await upload(world, FACTORY_CHANNEL, {"IMG_0003.jpg": OTHER_PHOTO}, reopened.ts)
        assert [a.text for a in answers] == [REPORTED]
        assert (await instruction_state(world))[0] is InstructionState.DONE

        first, second = reported_done(world)
        assert images(second) == ["f1-glaze-crawl-1.jpg", "f1-glaze-crawl-2.jpg", "F1-evidence-1.jpg",
                                  "F1-round1-1.jpg"]  # the new photo, then the reopened report's
        assert "Evidence from the factory: 1 photo (done report 2)" in second.text
        assert "Done report 1, reopened: 1 photo — Li Wei" in second.text and ", Slack" in second.text
        target = (await instruction(world)).id
        async with world.app.store.unit_of_work() as uow:
            rounds = await uow.evidence.rounds(target)
        assert [(r.number, len(r.photos), r.reported.platform) for r in rounds] == [(1, 1, "slack"), (2, 1, "slack")]
        assert rounds[0].hashes != rounds[1].hashes


async def test_the_same_photo_sent_again_after_a_reopen_is_flagged(config, clock, visit_dir, example_data):
    async with running_slack(config, clock) as world:
        await reported_with(world, visit_dir, example_data, OTHER_PHOTO)
        await world.click(BUYER, BUYER_CHANNEL, reported_done(world)[0], "Reopen")
        await submit(world, BUYER, {"text": {"text": "Still crawling."}})
        reopened = with_button(world, FACTORY_CHANNEL, DONE)
        await tap_done(world, FACTORY_CHANNEL, reopened)

        await upload(world, FACTORY_CHANNEL, {"IMG_0001.jpg": OTHER_PHOTO}, reopened.ts)

        assert "⚠ photo 1 is the same file as one of done report 1" in reported_done(world)[1].text


async def test_a_photo_after_the_buyer_verified_is_refused_and_not_kept(config, clock, visit_dir, example_data):
    async with running_slack(config, clock) as world:
        notice = await reported_with(world, visit_dir, example_data, PHOTO)
        await world.click(BUYER, BUYER_CHANNEL, reported_done(world)[0], "Verify")
        stored = set(world.app.media.root.rglob("*"))

        _, answers = await upload(world, FACTORY_CHANNEL, {"IMG_0002.jpg": OTHER_PHOTO}, notice.ts)

        assert [a.text for a in answers] == [VERIFIED_ALREADY]
        assert set(world.app.media.root.rglob("*")) == stored
        assert await instruction_state(world) == (InstructionState.VERIFIED, (sha256(PHOTO),))
        _, answers = await upload(world, FACTORY_CHANNEL, {"IMG_0003.jpg": OTHER_PHOTO}, notice.ts)
        assert answers == []  # the question is closed: the thread is conversation again


async def test_a_photo_declared_over_10_mb_is_refused_before_it_is_fetched(config, clock, visit_dir, example_data):
    async with running_slack(config, clock) as world:
        notice = await acknowledged_notice(world, visit_dir, example_data)
        await tap_done(world, FACTORY_CHANNEL, notice)
        fetched = list(world.fake.downloads)

        said = await upload_declaring(world, notice, PHOTO, 11 * 1024 * 1024)

        assert said == f"照片未被接收：照片大小为11 MB，上限为10 MB。{RETRY}"
        assert world.fake.downloads == fetched
        assert await instruction_state(world) == (InstructionState.ACKNOWLEDGED, ())


async def test_a_photo_larger_than_slack_declared_is_cut_off_at_10_mb(config, clock, visit_dir, example_data):
    async with running_slack(config, clock) as world:
        notice = await acknowledged_notice(world, visit_dir, example_data)
        await tap_done(world, FACTORY_CHANNEL, notice)
        stored = set(world.app.media.root.rglob("*"))

        said = await upload_declaring(world, notice, PHOTO + bytes(11 * 1024 * 1024), len(PHOTO))

        assert said == f"照片未被接收：照片大小超过10 MB。{RETRY}"
        assert set(world.app.media.root.rglob("*")) == stored
        assert await instruction_state(world) == (InstructionState.ACKNOWLEDGED, ())


async def test_a_download_link_to_another_host_never_gets_the_token(
        config, clock, visit_dir, example_data, caplog: pytest.LogCaptureFixture):
    asked: list[dict] = []

    async def record(request: web.Request) -> web.Response:
        asked.append(dict(request.headers))
        return web.Response(body=PHOTO, content_type="image/jpeg")

    elsewhere = web.Application()
    elsewhere.router.add_get("/{tail:.*}", record)
    runner = web.AppRunner(elsewhere)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        async with running_slack(config, clock) as world:
            notice = await acknowledged_notice(world, visit_dir, example_data)
            await tap_done(world, FACTORY_CHANNEL, notice)
            elsewhere = f"http://{host}:{port}/files-pri/T0-F1/download/IMG_0001.jpg"

            said = await upload_declaring(world, notice, PHOTO, url_private_download=elsewhere)

            assert said == "Slack未允许机器人获取文件IMG_0001.jpg，请重新上传。"
            assert asked == []
            assert await instruction_state(world) == (InstructionState.ACKNOWLEDGED, ())
            assert "which is not Slack's" in caplog.text and world.fake.token not in caplog.text
    finally:
        await runner.cleanup()


@pytest.mark.parametrize(("api_url", "download", "sent"), [
    (None, "https://files.slack.com/files-pri/T0-F1/download/a.jpg", True),
    ("https://slack-gov.com/api/", "https://files.slack-gov.com/files-pri/T0-F1/download/a.jpg", True),
    (None, "http://files.slack.com/files-pri/T0-F1/download/a.jpg", False),  # not over TLS
    (None, "https://files.slack.com.example.net/files-pri/T0-F1/a.jpg", False),
    (None, "https://files.slack.com@example.net/files-pri/T0-F1/a.jpg", False),
    (None, "https://files.slack.com:8443/files-pri/T0-F1/a.jpg", False),
    (None, "https://example.net/?https://files.slack.com/", False),
    (None, "", False),
])
def test_the_bot_token_goes_only_to_slacks_file_hosts(api_url, download, sent) -> None:
    assert SlackFiles("xoxb-secret", api_url).is_slacks(download) is sent


async def test_the_factory_gives_a_completion_date_in_a_modal(config, clock, visit_dir, example_data):
    async with running_slack(config, clock) as world:
        notice = await acknowledged_notice(world, visit_dir, example_data)
        await world.click(FACTORY, FACTORY_CHANNEL, notice, "F1 承诺完成日期")
        (modal,) = world.fake.views
        assert modal.json["callback_id"] == "ask_text"
        status, body = await submit(world, FACTORY, {"text": {"text": ""}})
        assert body == {"response_action": "errors", "errors": {"text": "请填写日期。"}}

        due = (await instruction(world)).due
        status, body = await submit(world, FACTORY, {"text": {"text": due.isoformat()}})
        assert status == 200 and body is None
        assert (await instruction(world)).committed == due
        (thanks,) = bot_said(world, world.fake.dm_channel(FACTORY))
        assert thanks.text.startswith("谢谢，已记录承诺完成日期：")


async def test_a_pdf_in_the_thread_is_refused_and_nothing_is_stored(config, clock, visit_dir, example_data):
    async with running_slack(config, clock) as world:
        notice = await acknowledged_notice(world, visit_dir, example_data)
        await tap_done(world, FACTORY_CHANNEL, notice)
        stored = set(world.app.media.root.rglob("*"))

        _, answers = await upload(world, FACTORY_CHANNEL, {"proof.pdf": b"%PDF-1.4 not a photo"}, notice.ts)
        assert [a.text for a in answers] == [NOT_A_PHOTO]
        assert set(world.app.media.root.rglob("*")) == stored
        assert await instruction_state(world) == (InstructionState.ACKNOWLEDGED, ())
        assert reported_done(world) == []

        _, answers = await upload(world, FACTORY_CHANNEL, {"IMG_0001.jpg": PHOTO}, notice.ts)  # the question stays
        assert [a.text for a in answers] == [REPORTED]


async def test_a_retried_upload_event_reports_once(config, clock, visit_dir, example_data):
    async with running_slack(config, clock) as world:
        notice = await acknowledged_notice(world, visit_dir, example_data)
        await tap_done(world, FACTORY_CHANNEL, notice)

        event, answers = await upload(world, FACTORY_CHANNEL, {"IMG_0001.jpg": PHOTO}, notice.ts,
                                      event_id="Ev0PHOTO01")
        assert [a.text for a in answers] == [REPORTED]
        status, _ = await world.event(event, event_id="Ev0PHOTO01", retry_num=1)
        assert status == 200
        assert [m.text for m in bot_said(world, FACTORY_CHANNEL)].count(REPORTED) == 1
        assert len(reported_done(world)) == 1 and len((await instruction_state(world))[1]) == 1


async def test_uploads_the_bot_did_not_ask_for_are_left_alone(config, clock, visit_dir, example_data):
    async with running_slack(config, clock) as world:
        notice = await acknowledged_notice(world, visit_dir, example_data)
        before = len(bot_said(world, FACTORY_CHANNEL))
        await upload(world, FACTORY_CHANNEL, {"IMG_0001.jpg": PHOTO})  # in the channel
        await upload(world, FACTORY_CHANNEL, {"IMG_0001.jpg": PHOTO}, notice.ts)  # in a thread nobody was asked in
        assert len(bot_said(world, FACTORY_CHANNEL)) == before
        assert await instruction_state(world) == (InstructionState.ACKNOWLEDGED, ())

        dm = world.fake.dm_channel(FACTORY)
        _, answers = await upload(world, dm, {"IMG_0001.jpg": PHOTO})
        assert [a.text for a in answers] == ["报告整改完成前，请先点击整改通知书下方的“更新整改进度”，再点击对应整改措施的“整改完成（附照片）”。"]


async def test_a_contact_reading_english_is_told_the_buttons_as_the_factory_channel_draws_them(config, clock):
    """Li Wei reads English, the factory's channel Chinese: a photo nobody asked for is answered
    in English, naming the notice's buttons as he sees them there."""
    async with running_slack(speaking(config, Role.FACTORY, "en"), clock) as world:
        _, answers = await upload(world, world.fake.dm_channel(FACTORY), {"IMG_0001.jpg": PHOTO})
    assert [a.text for a in answers] == [
        "To report an instruction done, tap “更新整改进度” (Update progress) on the notice, then the instruction’s "
        "“整改完成（附照片）” (done, with photos), first."]


def notices_in_dms(monkeypatch: pytest.MonkeyPatch) -> None:
    """The factory has no channel: its notices go to its contact's DM with the bot."""
    original = slack_world.slack_config

    def to_the_contact(cfg: Config, port: int) -> Config:
        done = original(cfg, port)
        factories = tuple(f.model_copy(update={"slack_channel": FACTORY}) for f in done.factories)
        return done.model_copy(update={"factories": factories})

    monkeypatch.setattr(slack_world, "slack_config", to_the_contact)


async def test_a_factory_contact_reports_done_in_the_bots_dm(config, clock, visit_dir, example_data, monkeypatch):
    notices_in_dms(monkeypatch)
    async with running_slack(config, clock) as world:
        dm = world.fake.dm_channel(FACTORY)
        await post(world, bundle_of(visit_dir, one_finding(example_data)))
        notice = await send_notice(world, dm)
        await world.click(FACTORY, dm, notice, "确认收到")
        notice = next(m for m in world.channel(dm) if m.ts == notice.ts)

        question = await tap_done(world, dm, notice)
        assert question.thread_ts is None and question.text == f"<@{FACTORY}> {ASKED}"
        _, answers = await upload(world, dm, {"IMG_0001.jpg": PHOTO})
        assert [a.text for a in answers] == [REPORTED]
        _, answers = await upload(world, dm, {"IMG_0002.jpg": OTHER_PHOTO})  # a better shot, later
        assert [a.text for a in answers] == [ADDED]
        assert len(reported_done(world)) == 1
        assert world.channel(FACTORY_CHANNEL) == []
