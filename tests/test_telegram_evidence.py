"""The factory's proof on Telegram: photos answering "done, with photos" are held to what a visit
report's photos are held to, refused ones leave nothing behind and the question open, and a
typed answer that is refused closes its question. The real python-telegram-bot client against
the fake Bot API server."""

from __future__ import annotations

import io
import struct
import zlib
from functools import cache

import pytest
from PIL import Image

from handlers.commands import Actor, CancelNotice
from handlers.model import InstructionState, Platform, Role
from tests.conftest import EXAMPLE_VISIT, bundle_of, one_finding, person, speaking
from tests.telegram_world import BUYER_CHAT, FACTORY_CHAT, FACTORY_ID, World, running
from tests.test_telegram_more import post, send_notice

PHOTO = (EXAMPLE_VISIT / "f1-glaze-crawl-1.jpg").read_bytes()
REPORTED = "谢谢，已报告整改完成，买方将进行验收。"
RETRY = "请发送整改后产品的照片（JPEG、PNG或HEIC格式，不超过10 MB）。"

pytestmark = pytest.mark.usefixtures("direct_to_fakes")


async def asked_for_photos(world: World, visit_dir, example_data):
    """F1 sent and acknowledged; the factory tapped "done, with photos": the bot's question."""
    await post(world, bundle_of(visit_dir, one_finding(example_data)))
    notice = await send_notice(world)
    await world.tap(world.factory, FACTORY_CHAT, notice, "确认收到")
    await world.tap(world.factory, FACTORY_CHAT, notice, "更新整改进度")
    await world.tap(world.factory, FACTORY_CHAT, notice, "F1 整改完成")
    return world.chat(FACTORY_CHAT)[-1]


async def send_file(world: World, prompt, name: str, content: bytes, **options) -> str:
    """The factory sends a file in reply to the question; the bot's answer."""
    before = len(world.chat(FACTORY_CHAT))
    await world.fake.send_document(FACTORY_CHAT, world.factory, name, content, reply_to_message_id=prompt.message_id,
                                   **options)
    await world.fake.wait_for(lambda: len(world.chat(FACTORY_CHAT)) > before, timeout=20)  # a cold worker
    await world.settled()
    return world.chat(FACTORY_CHAT)[-1].plain


async def nothing_kept(world: World, media_before: set) -> None:
    """No file in media beyond what was there, F1 still acknowledged, the question still open."""
    assert set(world.app.media.root.rglob("*")) == media_before
    async with world.app.store.unit_of_work() as uow:
        (visit,) = await uow.visits.latest_per_order()
        (instruction,) = await uow.instructions.for_visit(visit.id)
        waiting = await uow.pending.latest(Platform.TELEGRAM, str(FACTORY_CHAT), str(world.factory.id))
    assert (instruction.state, instruction.evidence) == (InstructionState.ACKNOWLEDGED, ())
    assert waiting is not None


@cache
def forty_megapixels() -> bytes:
    """A PNG of 8,000 × 5,001 pixels: small as a file, over the 40 MP limit as an image."""
    out = io.BytesIO()
    Image.new("1", (8000, 5001)).save(out, "PNG")
    return out.getvalue()


def bomb() -> bytes:
    """A PNG whose header claims 40,000 × 40,000 pixels: 1.6 gigapixels to decode from 60 bytes."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", 40_000, 40_000, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0")) + chunk(b"IEND", b"")


def taken_on(day: str) -> bytes:
    """A JPEG whose camera clock says `day` (EXIF DateTime)."""
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x0132] = f"{day.replace('-', ':')} 09:30:00"
    Image.new("RGB", (64, 48), (120, 140, 90)).save(out, "JPEG", exif=exif)
    return out.getvalue()


@pytest.mark.parametrize(("locale", "answer"), [
    ("zh_Hans_CN", "报告整改完成前，请先点击整改通知书下方的“更新整改进度”，再点击对应整改措施的“整改完成（附照片）”。"),
    ("en", "To report an instruction done, tap “更新整改进度” (Update progress) on the notice, then the instruction’s "
           "“整改完成（附照片）” (done, with photos), first."),
])
async def test_a_photo_nobody_asked_for_names_the_buttons_as_the_factory_chat_draws_them(config, clock, locale, answer):
    """The factory's chat reads Chinese: a contact who reads English is answered in English, the
    buttons named as the chat draws them, with their English beside."""
    async with running(speaking(config, Role.FACTORY, locale), clock) as world:
        await world.fake.send_photo(FACTORY_ID, world.factory, PHOTO)
        await world.fake.wait_for(lambda: len(world.chat(FACTORY_ID)) > 0)
        assert [m.plain for m in world.chat(FACTORY_ID)] == [answer]


async def test_a_photo_declared_over_10_mb_is_refused_before_it_is_fetched(config, clock, visit_dir, example_data):
    async with running(config, clock) as world:
        prompt = await asked_for_photos(world, visit_dir, example_data)
        media = set(world.app.media.root.rglob("*"))

        fetched = len(world.fake.calls("getFile"))
        answer = await send_file(world, prompt, "IMG_0001.jpg", b"\xff\xd8" + bytes(12 * 1024 * 1024))

        assert answer == f"照片未被接收：照片大小为12 MB，上限为10 MB。{RETRY}"
        assert len(world.fake.calls("getFile")) == fetched
        await nothing_kept(world, media)
        assert await send_file(world, prompt, "IMG_0002.jpg", PHOTO) == REPORTED  # the question stayed open


async def test_a_photo_larger_than_declared_is_cut_off_at_10_mb(config, clock, visit_dir, example_data):
    async with running(config, clock) as world:
        prompt = await asked_for_photos(world, visit_dir, example_data)
        media = set(world.app.media.root.rglob("*"))

        answer = await send_file(world, prompt, "IMG_0001.jpg", PHOTO + bytes(11 * 1024 * 1024),
                                 declared_size=len(PHOTO))

        assert answer == f"照片未被接收：照片大小超过10 MB。{RETRY}"
        await nothing_kept(world, media)


@pytest.mark.parametrize(("content", "problem"), [
    (forty_megapixels, "图片尺寸为8000×5001 = 40,008,000像素，上限为40,000,000像素"),
    (bomb, "图片过大，无法安全解码："),
    (lambda: b"%PDF-1.4 a scan of the delivery note", "不是图片：文件内容不是JPEG、PNG或HEIC格式"),
    (lambda: PHOTO[: len(PHOTO) // 2], "图片不完整或已损坏："),
])
async def test_a_file_that_is_no_acceptable_photo_is_refused_and_nothing_is_stored(
        config, clock, visit_dir, example_data, content, problem):
    async with running(config, clock) as world:
        prompt = await asked_for_photos(world, visit_dir, example_data)
        media = set(world.app.media.root.rglob("*"))
        before = len(world.chat(BUYER_CHAT))

        answer = await send_file(world, prompt, "IMG_0001.png", content())

        assert answer.startswith(f"照片未被接收：{problem}") and answer.endswith(RETRY)
        await nothing_kept(world, media)
        assert len(world.chat(BUYER_CHAT)) == before


async def test_a_photo_taken_before_the_visit_is_flagged_to_the_buyer(config, clock, visit_dir, example_data):
    async with running(config, clock) as world:
        prompt = await asked_for_photos(world, visit_dir, example_data)
        before = len(world.chat(BUYER_CHAT))

        assert await send_file(world, prompt, "IMG_0001.jpg", taken_on("2026-11-02")) == REPORTED

        (done,) = [m for m in world.chat(BUYER_CHAT)[before:] if m.text and "reported done" in m.plain]
        assert "⚠ photo 1 was taken on 2 Nov 2026, before the visit" in done.plain


async def test_a_reason_refused_because_the_notice_was_withdrawn_closes_the_question(
        config, clock, visit_dir, example_data):
    async with running(config, clock) as world:
        await post(world, bundle_of(visit_dir, one_finding(example_data)))
        notice = await send_notice(world)
        await world.tap(world.factory, FACTORY_CHAT, notice, "有异议")
        prompt = world.chat(FACTORY_CHAT)[-1]
        async with world.app.store.unit_of_work() as uow:
            (sent,) = await uow.notices.for_visit((await uow.visits.latest_per_order())[0].id)
        buyer = Actor(person(world.app.config, Role.BUYER), Platform.CONSOLE)
        assert (await world.app.bus.handle(CancelNotice(sent.id), buyer)).ok
        await world.settled()

        answer = await world.say(world.factory, FACTORY_CHAT, "The sample was approved.", reply_to=prompt.message_id)

        assert answer.plain.startswith("整改通知书CN-2026-0001已被买方撤销")
        async with world.app.store.unit_of_work() as uow:
            assert await uow.pending.latest(Platform.TELEGRAM, str(FACTORY_CHAT), str(world.factory.id)) is None
        told = len(world.chat(FACTORY_CHAT))
        await world.fake.send_text(FACTORY_CHAT, world.factory, "Again?", reply_to_message_id=prompt.message_id)
        await world.settled()
        assert len(world.chat(FACTORY_CHAT)) == told  # no longer a question: chat in a group
