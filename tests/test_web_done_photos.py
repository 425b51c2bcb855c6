"""A factory reports an instruction done from the notice page, with photos straight from the
phone's camera: each photo is held to what a chat upload is held to, and one refused photo
sends nothing at all, naming its file and the limit."""

from __future__ import annotations

import hashlib
import io
import re

import aiohttp
import pytest
from PIL import Image

from bot.web.page import MAX_BODY, MAX_PHOTOS
from handlers.commands import ReopenInstruction, VerifyInstruction
from handlers.model import InstructionState, Role
from messages.i18n import CHINESE, Language
from tests.conftest import EXAMPLE_VISIT, actor, outbox_table
from tests.test_web_notice_page import client, link_to, nonce_of, notice_id, stored  # noqa: F401 (fixtures)

PHOTO = (EXAMPLE_VISIT / "f1-glaze-crawl-1.jpg").read_bytes()


def camera_photo(shade: int) -> bytes:
    """A small JPEG with the camera's clock in it, different for each shade."""
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x0132] = "2026:11:26 10:15:00"
    Image.new("RGB", (64, 48), (shade, 140, 90)).save(out, "JPEG", exif=exif)
    return out.getvalue()


def photos_form(instruction_id: int, photos: list[tuple[str, bytes]], nonce: str | None = None) -> aiohttp.FormData:
    form = aiohttp.FormData(quote_fields=False)  # as a browser sends a file's name: UTF-8 as it is
    form.add_field("instruction", str(instruction_id))
    if nonce:
        form.add_field("nonce", nonce)
    for name, content in photos:
        form.add_field("photos", content, filename=name, content_type="image/jpeg")
    return form


@pytest.fixture
async def acknowledged(app, notice_id, client) -> tuple[str, list]:
    """The notice acknowledged through its link by 王经理: (the link, its instructions)."""
    url = link_to(app, notice_id)
    await client.post(url + "/acknowledge", data={"name": "王经理"})
    _, instructions, _ = await stored(app, notice_id)
    assert {i.state for i in instructions} == {InstructionState.ACKNOWLEDGED}
    return url, instructions


def media_files(app) -> set:
    return set(app.media.root.rglob("*"))


async def test_the_factory_reports_f1_done_with_two_camera_photos(app, notice_id, client, acknowledged) -> None:
    url, instructions = acknowledged
    page = await (await client.get(url)).text()
    assert 'accept="image/*" capture="environment" multiple' in page and 'enctype="multipart/form-data"' in page
    first, second = camera_photo(10), camera_photo(200)
    nonce = nonce_of(page, f"p{instructions[0].id}")
    answer = await client.post(url + "/done", data=photos_form(instructions[0].id, [("IMG_1.jpg", first),
                                                                                   ("IMG_2.jpg", second)], nonce))
    assert answer.status == 200 and "谢谢，已报告整改完成，买方将进行验收。" in await answer.text()
    again = await client.post(url + "/done", data=photos_form(instructions[0].id, [("IMG_1.jpg", first),
                                                                                  ("IMG_2.jpg", second)], nonce))
    assert again.status == 200, "the same form twice is one report"
    _, after, events = await stored(app, notice_id)
    sha = (hashlib.sha256(first).hexdigest(), hashlib.sha256(second).hexdigest())
    assert (after[0].state, after[0].evidence) == (InstructionState.DONE, sha)
    assert all(app.media.find(s) is not None for s in sha)
    assert [row["kind"] for row in outbox_table(app)].count("done_reported") == 1
    async with app.store.unit_of_work() as uow:
        audit = await uow.audit.for_entity("instruction", after[0].id)
    assert audit[-1].action == "report_done" and audit[-1].actor == "factory/NB-EVERGREEN@web/NB-EVERGREEN:王经理"
    assert "已提交整改照片：2" in await (await client.get(url)).text()


@pytest.mark.parametrize(("name", "content", "problem"), [
    ("会议纪要.pdf", b"%PDF-1.4 not a photo", "会议纪要.pdf"),
    ("IMG_big.jpg", PHOTO[:-2] + b"\0" * (10 * 1024 * 1024) + PHOTO[-2:], "10 MB"),
    ("IMG_cut.jpg", PHOTO[: len(PHOTO) // 2], "IMG_cut.jpg"),
])
async def test_one_bad_photo_sends_nothing_and_names_its_file(app, notice_id, client, acknowledged, name, content,
                                                              problem) -> None:
    url, instructions = acknowledged
    before = media_files(app)
    answer = await client.post(url + "/done", data=photos_form(instructions[0].id, [("IMG_ok.jpg", camera_photo(5)),
                                                                                   (name, content)]))
    text = await answer.text()
    assert answer.status == 422 and f"{name}未被接收" in text and problem in text
    _, after, _ = await stored(app, notice_id)
    assert (after[0].state, after[0].evidence) == (InstructionState.ACKNOWLEDGED, ())
    assert media_files(app) == before and "done_reported" not in [row["kind"] for row in outbox_table(app)]


async def test_no_photo_or_too_many_send_nothing(app, notice_id, client, acknowledged) -> None:
    url, instructions = acknowledged
    before = media_files(app)
    none = await client.post(url + "/done", data=photos_form(instructions[0].id, []))
    assert none.status == 422 and "请至少发送一张整改后产品的照片。" in await none.text()
    many = [(f"IMG_{n}.jpg", camera_photo(n)) for n in range(MAX_PHOTOS + 1)]
    too_many = await client.post(url + "/done", data=photos_form(instructions[0].id, many))
    assert too_many.status == 422 and f"一次最多可发送{MAX_PHOTOS}张" in await too_many.text()
    _, after, _ = await stored(app, notice_id)
    assert after[0].state is InstructionState.ACKNOWLEDGED and media_files(app) == before


async def test_a_body_over_the_limit_gets_a_page_naming_it(app, notice_id, client, acknowledged) -> None:
    url, instructions = acknowledged
    before = media_files(app)
    answer = await client.post(url + "/done", data=photos_form(instructions[0].id, [("IMG_huge.jpg", b"\0" * MAX_BODY)]))
    text = await answer.text()
    assert answer.status == 413 and "10 MB" in text and f"{MAX_PHOTOS}" in text
    assert re.search("too large", text) and "照片总大小超出限制" in text
    _, after, _ = await stored(app, notice_id)
    assert after[0].state is InstructionState.ACKNOWLEDGED and media_files(app) == before


async def test_a_body_of_undeclared_length_is_cut_off_at_the_limit(app, notice_id, client, acknowledged) -> None:
    url, instructions = acknowledged
    before = media_files(app)
    boundary = "phone-camera-boundary"

    async def streamed():  # chunked: no Content-Length to refuse it by before it is read
        yield (f'--{boundary}\r\nContent-Disposition: form-data; name="instruction"\r\n\r\n{instructions[0].id}\r\n'
               f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; filename="IMG_huge.jpg"\r\n'
               f"Content-Type: image/jpeg\r\n\r\n").encode()
        for _ in range(MAX_BODY // (1024 * 1024) + 2):
            yield b"\0" * (1024 * 1024)
        yield f"\r\n--{boundary}--\r\n".encode()

    answer = await client.post(url + "/done", data=streamed(),
                               headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert answer.status == 413 and "照片总大小超出限制" in await answer.text()
    _, after, _ = await stored(app, notice_id)
    assert after[0].state is InstructionState.ACKNOWLEDGED and media_files(app) == before


async def test_done_is_offered_only_once_acknowledged(app, notice_id, client) -> None:
    url = link_to(app, notice_id)
    page = await (await client.post(url + "/name", data={"name": "王经理"})).text()
    assert "/done?" not in page
    _, instructions, _ = await stored(app, notice_id)
    before = media_files(app)
    early = await client.post(url + "/done", data=photos_form(instructions[0].id, [("IMG_1.jpg", camera_photo(1))]))
    assert early.status == 422
    _, after, _ = await stored(app, notice_id)
    assert after[0].state is InstructionState.SENT and media_files(app) == before


async def test_after_acknowledging_the_page_says_who_when_and_what_comes_next(app, notice_id, client,
                                                                              acknowledged) -> None:
    url, _ = acknowledged
    page = await (await client.get(url)).text()
    notice, _, _ = await stored(app, notice_id)
    at = Language(CHINESE, "Asia/Shanghai").moment(notice.answered.at)
    assert f"王经理于{at}确认收到。" in page and at.startswith("北京时间")
    assert "下一步：" in page and "在完成期限内附整改后产品照片报告整改完成" in page
    english = await (await client.get(url + "?lang=en")).text()
    assert "Acknowledged by 王经理 at" in english and "report each instruction done, with photos" in english


async def test_each_instruction_shows_the_buyers_reopen_with_its_reason_then_the_verification(
        app, config, clock, notice_id, client, acknowledged) -> None:
    url, instructions = acknowledged
    f1 = instructions[0].id
    await client.post(url + "/done", data=photos_form(f1, [("IMG_1.jpg", camera_photo(1))]))
    page = await (await client.get(url)).text()
    assert re.search(r"已于北京时间2026年[^<]+报告整改完成，买方将进行验收。", page) and f'id="photos-{f1}"' not in page
    clock.advance(hours=3)
    buyer = actor(config, Role.BUYER)
    assert (await app.bus.handle(ReopenInstruction(f1, "仍有3件釉面缩釉，请全检。"), buyer)).ok
    reopened = await (await client.get(url)).text()
    assert "买方于" in reopened and "退回返工" in reopened and "原因：仍有3件釉面缩釉，请全检。" in reopened
    assert f'id="photos-{f1}"' in reopened, "done, with photos, is offered again"
    await client.post(url + "/done", data=photos_form(f1, [("IMG_2.jpg", camera_photo(2))]))
    assert (await app.bus.handle(VerifyInstruction(f1), buyer)).ok
    verified = await (await client.get(url)).text()
    assert "买方已于" in verified and "验收通过" in verified and f'id="photos-{f1}"' not in verified
