"""The fake Telegram server, driven by the real python-telegram-bot client.

Why: every Telegram test of the product leans on this fake; if it accepted what Telegram refuses
or answered in shapes PTB does not parse, those tests would prove nothing. So these tests use
PTB's own Bot and Application over real HTTP, as the product does.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
from aiohttp import ClientSession, web
from PIL import Image
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    EndPointNotFound,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from tests.fake_telegram import ApiError, FakeTelegram, Limit, UploadedFile, visible_text

CHAT = 501
GROUP = -1001234567890


@pytest.fixture(autouse=True)
def direct_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx honours proxy variables even for 127.0.0.1; a proxy would never reach the fake."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # RetryAfter.retry_after as a timedelta, without a warning


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url) as client:
        yield client


def png(width: int = 300, height: int = 200) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "teal").save(buffer, "PNG")
    return buffer.getvalue()


def keyboard(*labels: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=label.lower()) for label in labels]])


@asynccontextmanager
async def polling(app: Application) -> AsyncIterator[Application]:
    """Runs the application inside the test's event loop, as run_polling would but stoppable."""
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()


def echo_app(fake: FakeTelegram) -> Application:
    """Replies to text with a button, and answers a tap by editing that reply."""

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(f"Got: {update.message.text}", reply_markup=keyboard("Done"))

    async def done(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.callback_query.answer("Noted")
        await update.callback_query.edit_message_text("Closed")

    app = ApplicationBuilder().token(fake.token).base_url(fake.base_url).base_file_url(fake.base_file_url).build()
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.add_handler(CallbackQueryHandler(done))
    return app


async def test_polling_delivers_a_text_and_a_tap_to_the_handlers(fake: FakeTelegram) -> None:
    anna = fake.user(CHAT, "Anna")
    async with polling(echo_app(fake)):
        await fake.send_text(CHAT, anna, "lot 7 passed")
        reply = await fake.wait_for(lambda: fake.transcript(CHAT) and fake.transcript(CHAT)[-1])
        assert (reply.text, reply.buttons) == ("Got: lot 7 passed", {"Done": "done"})

        await fake.tap(CHAT, anna, reply.message_id, "done")
        await fake.wait_for(lambda: reply.edited)

    assert [name for name, _ in fake.requests[:2]] == ["getMe", "deleteWebhook"]
    assert fake.callback_answers[0].text == "Noted"
    assert (reply.text, reply.reply_markup) == ("Closed", None)  # an edit without markup drops the keyboard
    assert fake.pending_updates == []  # stopping confirmed the offset


async def test_get_updates_forgets_what_an_offset_confirms(fake: FakeTelegram, bot: Bot) -> None:
    anna = fake.user(CHAT, "Anna")
    first = await fake.send_text(CHAT, anna, "one")
    await fake.send_text(CHAT, anna, "two")

    assert [u.message.text for u in await bot.get_updates(timeout=0)] == ["one", "two"]
    assert await bot.get_updates(offset=first["update_id"] + 2, timeout=0) == ()
    assert await bot.get_updates(timeout=0) == ()


async def test_a_long_poll_returns_as_soon_as_an_update_arrives(fake: FakeTelegram, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await asyncio.sleep(0.05)
    await fake.send_command(CHAT, fake.user(CHAT, "Anna"), "/start")

    updates = await asyncio.wait_for(poll, 1)
    assert updates[0].message.text == "/start"
    assert updates[0].message.entities[0].type == "bot_command"


async def test_valid_html_is_sent_and_read_without_its_markup(fake: FakeTelegram, bot: Bot) -> None:
    message = await bot.send_message(CHAT, '<b>Lot 7</b> &lt;AQL&gt; &amp; <a href="https://x.test/?a=1&b=2">"QC"</a>', parse_mode="HTML")

    assert message.text == 'Lot 7 <AQL> & "QC"'
    assert fake.transcript(CHAT)[0].plain == message.text
    assert fake.transcript(CHAT)[0].parse_mode == "HTML"


async def test_malformed_html_reaches_ptb_as_bad_request(fake: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(BadRequest, match='(?i)can\'t parse entities: unsupported start tag "p" at byte offset 0'):
        await bot.send_message(CHAT, "<p>Lot 7</p>", parse_mode="HTML")

    assert fake.transcript(CHAT) == []


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("width < 5 mm", 'Unsupported start tag "" at byte offset 6'),
        ("Tom & Jerry", 'Unescaped "&" at byte offset 4'),
        ("a > b", 'Unescaped ">"'),
        ("&nbsp;", 'Unescaped "&"'),
        ("<b>bold</i>", 'Unmatched end tag at byte offset 7, expected "</b>", found "</i>"'),
        ("<b>bold", "Can't find end tag corresponding to start tag b"),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler"'),
        ("<a href=https://x.test>link</a>", "Unexpected end of name token"),
    ],
)
def test_malformed_html_is_refused_with_telegrams_reason(text: str, complaint: str) -> None:
    """The parser alone, without a round trip per case: the reasons follow tdlib's parse_html."""
    with pytest.raises(ApiError) as refused:
        visible_text(text, "HTML")

    assert refused.value.code == 400
    assert complaint in refused.value.description


async def test_the_4096_limit_counts_utf16_units_after_markup(bot: Bot) -> None:
    await bot.send_message(CHAT, "😀" * 2048)
    await bot.send_message(CHAT, f"<b>{'x' * 4096}</b>", parse_mode="HTML")

    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await bot.send_message(CHAT, "😀" * 2048 + "x")


async def test_a_photo_upload_keeps_its_bytes_and_limits_its_caption(fake: FakeTelegram, bot: Bot) -> None:
    photo = png()
    message = await bot.send_photo(CHAT, photo, caption="c" * 1024)

    assert [(size.width, size.height) for size in message.photo] == [(90, 60), (300, 200)]
    assert fake.transcript(CHAT)[0].photos == [photo]
    with pytest.raises(BadRequest, match="(?i)caption is too long"):
        await bot.send_photo(CHAT, photo, caption="c" * 1025)
    with pytest.raises(BadRequest, match="(?i)image_process_failed"):
        await bot.send_photo(CHAT, b"not an image")


async def test_a_media_group_uploads_each_photo_as_an_attached_part(fake: FakeTelegram, bot: Bot) -> None:
    photos = [png(100 + n, 100) for n in range(3)]
    messages = await bot.send_media_group(GROUP, [InputMediaPhoto(p, caption=f"#{n}") for n, p in enumerate(photos)])

    params = fake.calls("sendMediaGroup")[0]
    parts = [params[item["media"].removeprefix("attach://")] for item in params["media"]]
    assert all(isinstance(part, UploadedFile) for part in parts)
    assert [m.caption for m in messages] == ["#0", "#1", "#2"]
    assert len({m.media_group_id for m in messages}) == 1
    assert [sent.photos for sent in fake.transcript(GROUP)] == [[p] for p in photos]
    with pytest.raises(BadRequest, match="2-10 items"):
        await bot.send_media_group(GROUP, [InputMediaPhoto(photos[0])])


async def test_a_document_from_a_user_downloads_through_get_file(fake: FakeTelegram, bot: Bot) -> None:
    content = b"%PDF-1.4 inspection report"
    update = await fake.send_document(CHAT, fake.user(CHAT, "Anna"), "report.pdf", content, caption="PO-0142")

    file = await bot.get_file(update["message"]["document"]["file_id"])

    assert bytes(await file.download_as_bytearray()) == content
    assert update["message"]["document"]["mime_type"] == "application/pdf"


async def test_a_document_the_bot_sends_is_in_the_transcript(fake: FakeTelegram, bot: Bot) -> None:
    message = await bot.send_document(CHAT, b"lot,qty\n7,500\n", filename="lots.csv")

    assert message.document.file_name == "lots.csv"
    assert fake.transcript(CHAT)[0].document.content == b"lot,qty\n7,500\n"


async def test_an_injected_429_raises_retry_after_once(bot: Bot, fake: FakeTelegram) -> None:
    fake.fail_next("sendMessage", retry_after=3)

    with pytest.raises(RetryAfter) as refused:
        await bot.send_message(CHAT, "hello")
    assert refused.value.retry_after == timedelta(seconds=3)
    await bot.send_message(CHAT, "hello")
    assert [sent.text for sent in fake.transcript(CHAT)] == ["hello"]


async def test_the_flood_limit_holds_back_a_second_send_to_the_same_chat(fake: FakeTelegram, bot: Bot) -> None:
    fake.flood_limit(per_chat_per_second=1.0)
    await bot.send_message(CHAT, "one")
    await bot.send_message(GROUP, "another chat is not limited")

    with pytest.raises(RetryAfter):
        await bot.send_message(CHAT, "two")


async def test_a_group_takes_twenty_messages_a_minute_each_photo_of_an_album_counted(
        fake: FakeTelegram, bot: Bot) -> None:
    """As Telegram answers: 429 with parameters.retry_after, the whole seconds until the group's
    window has room; a private chat is not held to it. The chat's own second is left out here."""
    fake.flood_limits(per_chat=None, per_group=Limit(3, 3600.0), overall=None)
    photo = InputMediaPhoto(png())
    await bot.send_media_group(GROUP, [photo, photo])
    await bot.send_message(GROUP, "the third")
    await bot.send_message(CHAT, "a private chat is not a group")

    with pytest.raises(RetryAfter) as refused:
        await bot.send_message(GROUP, "the fourth")
    assert timedelta(seconds=3590) < refused.value.retry_after <= timedelta(seconds=3600)
    assert fake.flood.refused == 1 and len(fake.transcript(GROUP)) == 3


async def test_the_bots_overall_limit_counts_every_chat_and_an_album_too_heavy_waits_for_room(
        fake: FakeTelegram, bot: Bot) -> None:
    fake.flood_limits(per_chat=None, per_group=None, overall=Limit(2, 3600.0))
    await bot.send_message(CHAT, "one")
    photo = InputMediaPhoto(png())
    with pytest.raises(RetryAfter):
        await bot.send_media_group(GROUP, [photo, photo])  # refused whole: nothing of it is sent
    await bot.send_message(GROUP, "two")
    with pytest.raises(RetryAfter):
        await bot.send_message(CHAT + 1, "three")
    assert fake.transcript(GROUP)[0].text == "two"


async def test_a_callback_query_is_answered_only_once(fake: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(CHAT, "Approve?", reply_markup=keyboard("Yes"))
    tap = await fake.tap(CHAT, fake.user(CHAT, "Anna"), sent.message_id, "yes")
    query_id = tap["callback_query"]["id"]

    with pytest.raises(BadRequest, match="(?i)message_too_long"):
        await bot.answer_callback_query(query_id, "x" * 201)
    assert await bot.answer_callback_query(query_id, "Approved")
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await bot.answer_callback_query(query_id)
    assert [answer.text for answer in fake.callback_answers] == ["Approved"]


async def test_a_tap_must_match_a_button_unless_forged(fake: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(CHAT, "Approve?", reply_markup=keyboard("Yes"))
    anna = fake.user(CHAT, "Anna")

    with pytest.raises(LookupError):
        await fake.tap(CHAT, anna, sent.message_id, "delete-everything")
    forged = await fake.tap(CHAT, anna, sent.message_id, "delete-everything", forged=True)
    assert forged["callback_query"]["data"] == "delete-everything"


async def test_an_edit_that_changes_nothing_is_refused(fake: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(CHAT, "Status: open")
    await bot.edit_message_text("Status: closed", CHAT, sent.message_id)

    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_text("Status: closed", CHAT, sent.message_id)
    assert [edit.text for edit in fake.transcript(CHAT)[0].edits] == ["Status: closed"]


async def test_set_webhook_checks_the_secret_and_stops_get_updates(fake: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(BadRequest, match="(?i)unallowed characters"):
        await bot.set_webhook("https://bot.test/hook", secret_token="base64+/=")
    await bot.set_webhook("https://bot.test/hook", secret_token="A-z_09", allowed_updates=["message"])

    info = await bot.get_webhook_info()
    assert (info.url, fake.webhook.secret_token) == ("https://bot.test/hook", "A-z_09")
    with pytest.raises(Conflict):
        await bot.get_updates(timeout=0)


async def test_post_to_webhook_delivers_json_with_the_secret(fake: FakeTelegram, bot: Bot) -> None:
    received: list[tuple[str | None, dict]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        return web.Response(text="ok")

    async with receiver(hook) as url:
        await bot.set_webhook(url, secret_token="s3cret")
        update = await fake.send_text(CHAT, fake.user(CHAT, "Anna"), "hi")
        assert await fake.post_to_webhook(update) == (200, "ok")

    assert received == [("s3cret", update)]
    assert fake.pending_updates == []


@asynccontextmanager
async def receiver(handler) -> AsyncIterator[str]:
    """A tiny aiohttp server standing in for the bot's webhook endpoint."""
    app = web.Application()
    app.router.add_post("/hook", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}/hook"
    finally:
        await runner.cleanup()


async def test_commands_are_kept_per_language(fake: FakeTelegram, bot: Bot) -> None:
    await bot.set_my_commands([("status", "Open findings")])
    await bot.set_my_commands([("status", "未关闭的问题")], language_code="zh")

    assert [c.description for c in await bot.get_my_commands(language_code="zh")] == ["未关闭的问题"]
    assert fake.commands()[0]["description"] == "Open findings"
    with pytest.raises(BadRequest, match="(?i)invalid language code"):
        await bot.set_my_commands([("status", "x")], language_code="zh_CN")


@pytest.fixture
async def impatient_bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    """A client that waits 0.2 s for an answer."""
    request = HTTPXRequest(read_timeout=0.2)
    async with Bot(fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url, request=request) as client:
        yield client


async def test_a_500_is_a_network_error_and_passes(fake: FakeTelegram, bot: Bot) -> None:
    fake.fail_next("sendMessage", times=2, error_code=500)
    for _ in range(2):
        with pytest.raises(NetworkError, match="Internal Server Error"):
            await bot.send_message(CHAT, "hello")
    await bot.send_message(CHAT, "hello")
    assert [sent.text for sent in fake.transcript(CHAT)] == ["hello"]


async def test_an_answer_later_than_the_client_waits_is_a_timeout(fake: FakeTelegram, impatient_bot: Bot) -> None:
    fake.stall_next("sendMessage", seconds=1.0)
    with pytest.raises(TimedOut):
        await impatient_bot.send_message(CHAT, "lost on the way")
    await asyncio.sleep(1.0)  # the stalled request was dropped, not handled late
    assert fake.transcript(CHAT) == []


async def test_a_timeout_after_telegram_handled_the_request_leaves_the_message_in_the_chat(
    fake: FakeTelegram, impatient_bot: Bot
) -> None:
    fake.stall_next("sendMessage", seconds=1.0, handled=True)
    with pytest.raises(TimedOut):
        await impatient_bot.send_message(CHAT, "arrived, answer lost")
    assert [sent.text for sent in fake.transcript(CHAT)] == ["arrived, answer lost"]


async def test_a_dropped_connection_is_a_network_error(fake: FakeTelegram, bot: Bot) -> None:
    fake.drop_next("sendMessage")
    with pytest.raises(NetworkError) as dropped:
        await bot.send_message(CHAT, "hello")
    assert not isinstance(dropped.value, TimedOut | BadRequest)
    assert fake.transcript(CHAT) == []


async def test_a_chat_that_blocked_the_bot_or_is_gone_refuses_every_send(fake: FakeTelegram, bot: Bot) -> None:
    fake.block_bot(CHAT)
    fake.delete_chat(GROUP)
    for _ in range(2):
        with pytest.raises(Forbidden, match="bot was blocked by the user"):
            await bot.send_message(CHAT, "hello")
        with pytest.raises(BadRequest, match="Chat not found"):
            await bot.send_message(GROUP, "hello")
    fake.restore_chat(CHAT)
    await bot.send_message(CHAT, "hello again")
    assert [sent.text for sent in fake.transcript(CHAT)] == ["hello again"]


async def test_a_user_who_never_started_the_bot_is_written_to_once_they_write(fake: FakeTelegram, bot: Bot) -> None:
    fake.never_started(CHAT)
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await bot.send_message(CHAT, "hello")
    await fake.send_command(GROUP, fake.user(CHAT, "Anna"), "/orders")  # in a group: still a stranger
    with pytest.raises(Forbidden):
        await bot.send_message(CHAT, "hello")
    await fake.send_command(CHAT, fake.user(CHAT, "Anna"), "/start")
    await bot.send_message(CHAT, "hello")
    assert [sent.text for sent in fake.transcript(CHAT)] == ["hello"]


async def test_a_wrong_token_or_method_is_refused(fake: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("1:wrong", base_url=fake.base_url, base_file_url=fake.base_file_url):
            pass
    with pytest.raises(EndPointNotFound):
        await bot.do_api_request("sendTelepathy")


async def test_errors_have_telegrams_json_shape(fake: FakeTelegram) -> None:
    """Shapes other clients than PTB (and PTB's own error mapping) depend on."""
    fake.fail_next("sendMessage", retry_after=2)
    async with ClientSession() as session:
        wrong_token = await (await session.post(f"{fake.base_url}1:wrong/getMe")).json()
        unknown = await (await session.post(f"{fake.base_url}{fake.token}/sendTelepathy")).json()
        flood = await session.post(f"{fake.base_url}{fake.token}/sendMessage", data={"chat_id": "1", "text": "x"})

        assert wrong_token == {"ok": False, "error_code": 401, "description": "Unauthorized"}
        assert unknown == {"ok": False, "error_code": 404, "description": "Not Found"}
        assert (flood.status, await flood.json()) == (429, {
            "ok": False, "error_code": 429, "description": "Too Many Requests: retry after 2",
            "parameters": {"retry_after": 2},
        })
