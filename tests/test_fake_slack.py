"""The fake Slack, driven by the real slack-sdk client and a real Bolt app.

Why: every Slack test of the product leans on this fake; if it accepted what Slack refuses or
answered in shapes slack-sdk and Bolt do not parse, those tests would prove nothing. So these tests
use slack-sdk's own AsyncWebClient and Bolt's own AsyncApp over real HTTP, as the product does.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import ClientSession, FormData, web
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from tests import fake_flood, fake_slack
from tests.fake_slack import BOT_USER_ID, TEAM_ID, FakeSlack, post_to_app, sign, slack_request

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
CHANNEL = "C0FOLLOWUP"
QA = "U0QA"
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 8


@pytest.fixture(autouse=True)
def direct_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    """slack-sdk honours proxy variables even for 127.0.0.1; a proxy would never reach the fake."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as server:
        server.add_channel(CHANNEL, "factory-followup")
        server.add_user(QA, "mei", tz="Asia/Shanghai", locale="zh-CN")
        yield server


@pytest.fixture
def client(fake: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=fake.token, base_url=fake.api_url)


def review_blocks() -> list[Any]:
    return [
        HeaderBlock(text="Visit PO-2026-0142"),
        SectionBlock(text=MarkdownTextObject(text="*3 findings* need corrective action")),
        ActionsBlock(block_id="review", elements=[
            ButtonElement(text="Approve", action_id="approve", value="visit:42", style="primary"),
            ButtonElement(text="Reject", action_id="reject", value="visit:42", style="danger"),
        ]),
    ]


async def refusal(call: Any) -> dict[str, Any]:
    """The body of the answer a call was refused with."""
    with pytest.raises(SlackApiError) as raised:
        await call
    return raised.value.response.data


# --- Web API through the real client ------------------------------------------------------------


async def test_auth_test_names_the_bot(client: AsyncWebClient, fake: FakeSlack) -> None:
    result = await client.auth_test()
    assert (result["user_id"], result["team_id"], result["bot_id"]) == (BOT_USER_ID, TEAM_ID, fake.bot_id)
    assert fake.calls("auth.test") == [{}]


async def test_wrong_or_missing_token_is_refused(fake: FakeSlack) -> None:
    wrong = AsyncWebClient(token="xoxb-not-this-one", base_url=fake.api_url)
    missing = AsyncWebClient(base_url=fake.api_url)
    assert (await refusal(wrong.auth_test()))["error"] == "invalid_auth"
    assert (await refusal(missing.auth_test()))["error"] == "not_authed"


async def test_unknown_method_is_refused(client: AsyncWebClient) -> None:
    assert (await refusal(client.api_call("chat.postMessages")))["error"] == "unknown_method"


async def test_post_message_with_sdk_blocks(client: AsyncWebClient, fake: FakeSlack) -> None:
    first = await client.chat_postMessage(channel=CHANNEL, text="Visit PO-2026-0142", blocks=review_blocks())
    second = await client.chat_postMessage(channel=CHANNEL, text="Reminder", thread_ts=first["ts"])

    assert first["channel"] == CHANNEL and first["message"]["bot_id"] == fake.bot_id
    assert first["ts"] == "1700000000.000100" and second["ts"] > first["ts"]
    parent, reply = fake.messages(CHANNEL)
    assert parent.blocks[2]["elements"][0]["action_id"] == "approve"
    assert parent.buttons == {"Approve": "approve", "Reject": "reject"}
    assert parent.from_bot and reply.thread_ts == first["ts"]
    assert fake.thread(CHANNEL, first["ts"]) == [parent, reply]


async def test_replying_to_a_reply_joins_the_parent_thread(client: AsyncWebClient, fake: FakeSlack) -> None:
    parent = await client.chat_postMessage(channel=CHANNEL, text="Finding 1")
    reply = await client.chat_postMessage(channel=CHANNEL, text="Photo", thread_ts=parent["ts"])
    await client.chat_postMessage(channel=CHANNEL, text="Again", thread_ts=reply["ts"])
    assert fake.messages(CHANNEL)[-1].thread_ts == parent["ts"]
    assert (await refusal(client.chat_postMessage(channel=CHANNEL, text="x", thread_ts="1.2")))["error"] == (
        "thread_not_found")


async def test_posting_to_a_user_lands_in_their_dm(client: AsyncWebClient, fake: FakeSlack) -> None:
    posted = await client.chat_postMessage(channel=QA, text="Your visit report is ready")
    opened = await client.conversations_open(users=QA)
    assert posted["channel"] == opened["channel"]["id"] == fake.dm_channel(QA)
    assert posted["channel"].startswith("D")
    assert [m.text for m in fake.messages(posted["channel"])] == ["Your visit report is ready"]


async def test_unknown_channel_is_refused(client: AsyncWebClient) -> None:
    assert (await refusal(client.chat_postMessage(channel="C0NOWHERE", text="x")))["error"] == "channel_not_found"


def _button(**fields: str) -> dict[str, Any]:
    return {"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "OK"},
                                              "action_id": "ok", **fields}]}


def _button_text(text: str) -> dict[str, Any]:
    block = _button()
    block["elements"][0]["text"]["text"] = text
    return block


@pytest.mark.parametrize(("blocks", "message"), [
    ([{"type": "divider"}] * 51, "[ERROR] no more than 50 items allowed [json-pointer:/blocks]"),
    ([{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}],
     "[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]"),
    ([{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}],
     "[ERROR] must be less than 151 characters [json-pointer:/blocks/0/text/text]"),
    ([_button_text("x" * 76)], "[ERROR] must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]"),
    ([_button(action_id="x" * 256)],
     "[ERROR] must be less than 256 characters [json-pointer:/blocks/0/elements/0/action_id]"),
    ([_button(value="x" * 2001)],
     "[ERROR] must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]"),
], ids=["51 blocks", "section text", "header text", "button text", "action_id", "button value"])
async def test_block_kit_limits_are_refused(client: AsyncWebClient, blocks: list[dict], message: str) -> None:
    """Dict blocks: slack-sdk's block models would refuse these before sending."""
    body = await refusal(client.chat_postMessage(channel=CHANNEL, text="x", blocks=blocks))
    assert body["error"] == "invalid_blocks"
    assert body["response_metadata"]["messages"] == [message]


async def test_block_kit_limits_themselves_are_accepted(client: AsyncWebClient, fake: FakeSlack) -> None:
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3000}}
    await client.chat_postMessage(channel=CHANNEL, text="x", blocks=[section] + [{"type": "divider"}] * 49)
    assert len(fake.messages(CHANNEL)[0].blocks) == 50


async def test_overlong_messages_are_refused(client: AsyncWebClient) -> None:
    sections = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3000}}] * 5
    too_many_characters = client.chat_postMessage(channel=CHANNEL, text="x", blocks=sections)
    assert (await refusal(too_many_characters))["error"] == "msg_blocks_too_long"
    assert (await refusal(client.chat_postMessage(channel=CHANNEL, text="x" * 40_001)))["error"] == "msg_too_long"


async def test_chat_update_keeps_the_edit_history(client: AsyncWebClient, fake: FakeSlack) -> None:
    posted = await client.chat_postMessage(channel=CHANNEL, text="Awaiting review", blocks=review_blocks())
    await client.chat_update(channel=CHANNEL, ts=posted["ts"], text="Approved by mei", blocks=[])
    updated = await client.chat_update(channel=CHANNEL, ts=posted["ts"], text="Closed")

    message = fake.messages(CHANNEL)[0]
    assert (message.text, message.blocks, updated["message"]["text"]) == ("Closed", [], "Closed")
    assert [edit.text for edit in message.edits] == ["Approved by mei", "Closed"]
    assert (await refusal(client.chat_update(channel=CHANNEL, ts="1.000001", text="x")))["error"] == (
        "message_not_found")


async def test_chat_update_needs_the_channel_id_not_the_user(client: AsyncWebClient) -> None:
    """Posting to a user id answers with the DM's id: that id, not the user's, is what updates need."""
    posted = await client.chat_postMessage(channel=QA, text="Report ready")
    assert (await refusal(client.chat_update(channel=QA, ts=posted["ts"], text="x")))["error"] == "channel_not_found"
    await client.chat_update(channel=posted["channel"], ts=posted["ts"], text="Report read")


async def test_post_ephemeral_is_seen_by_one_user(client: AsyncWebClient, fake: FakeSlack) -> None:
    answer = await client.chat_postEphemeral(channel=CHANNEL, user=QA, text="Only you can see this")
    [ephemeral] = fake.ephemerals(CHANNEL)
    assert (ephemeral.ts, ephemeral.to_user, ephemeral.ephemeral) == (answer["message_ts"], QA, True)
    assert fake.messages(CHANNEL) == []
    assert (await refusal(client.chat_postEphemeral(channel=CHANNEL, user="U0NOBODY", text="x")))["error"] == (
        "user_not_found")


async def test_permalink(client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel=CHANNEL, text="Finding")
    link = await client.chat_getPermalink(channel=CHANNEL, message_ts=posted["ts"])
    assert link["permalink"].endswith(f"/archives/{CHANNEL}/p{posted['ts'].replace('.', '')}")


async def test_users_info_gives_time_zone_and_locale_only_on_request(client: AsyncWebClient) -> None:
    plain = await client.users_info(user=QA)
    localised = await client.users_info(user=QA, include_locale=True)
    assert plain["user"]["tz"] == "Asia/Shanghai" and plain["user"]["tz_offset"] == 8 * 3600
    assert "locale" not in plain["user"] and localised["user"]["locale"] == "zh-CN"
    assert (await refusal(client.users_info(user="U0NOBODY")))["error"] == "user_not_found"


async def test_conversations_info(client: AsyncWebClient, fake: FakeSlack) -> None:
    channel = (await client.conversations_info(channel=CHANNEL))["channel"]
    dm = (await client.conversations_info(channel=fake.dm_channel(QA)))["channel"]
    assert (channel["name"], channel["is_channel"], dm["is_im"], dm["user"]) == ("factory-followup", True, True, QA)
    assert (await refusal(client.conversations_info(channel="C0NOWHERE")))["error"] == "channel_not_found"


# --- Views ---------------------------------------------------------------------------------------


def finding_modal() -> View:
    return View(type="modal", callback_id="finding", title="New finding", submit="Save",
                private_metadata="visit:42", blocks=[
                    InputBlock(block_id="what", label="What", element=PlainTextInputElement(action_id="text"))])


async def test_views_open_and_update(client: AsyncWebClient, fake: FakeSlack) -> None:
    opened = await client.views_open(trigger_id=fake.new_trigger_id(QA), view=finding_modal())
    view = opened["view"]
    edited = finding_modal()
    edited.title = PlainTextObject(text="Edit finding")
    await client.views_update(view_id=view["id"], hash=view["hash"], view=edited)

    [stored] = fake.views
    assert (stored.user_id, stored.json["callback_id"], stored.json["title"]["text"]) == (QA, "finding", "Edit finding")
    assert len(stored.versions) == 2
    stale = client.views_update(view_id=view["id"], hash=view["hash"], view=finding_modal())
    assert (await refusal(stale))["error"] == "hash_conflict"


async def test_views_open_needs_a_fresh_trigger(client: AsyncWebClient, fake: FakeSlack,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """Slack's triggers last 3 s and serve once: opening a modal late or twice fails."""
    used = fake.new_trigger_id(QA)
    await client.views_open(trigger_id=used, view=finding_modal())
    assert (await refusal(client.views_open(trigger_id=used, view=finding_modal())))["error"] == "invalid_trigger_id"
    monkeypatch.setattr(fake_slack, "TRIGGER_LIFETIME", -1.0)
    late = client.views_open(trigger_id=fake.new_trigger_id(QA), view=finding_modal())
    assert (await refusal(late))["error"] == "expired_trigger_id"


async def test_invalid_view_is_refused_with_pointers(client: AsyncWebClient, fake: FakeSlack) -> None:
    view = {"type": "modal", "title": {"type": "plain_text", "text": "x" * 25},
            "blocks": [{"type": "input", "label": {"type": "plain_text", "text": "What"},
                        "element": {"type": "plain_text_input", "action_id": "text"}}]}
    body = await refusal(client.views_open(trigger_id=fake.new_trigger_id(QA), view=view))
    assert body["error"] == "invalid_arguments"
    assert body["response_metadata"]["messages"] == [
        "[ERROR] must be less than 25 characters [json-pointer:/view/title/text]",
        "[ERROR] missing required field: submit [json-pointer:/view]",
    ]


async def test_views_publish_records_app_home(client: AsyncWebClient, fake: FakeSlack) -> None:
    home = View(type="home", blocks=[SectionBlock(text="Nothing waits for you")])
    await client.views_publish(user_id=QA, view=home)
    assert fake.home(QA)["blocks"][0]["text"]["text"] == "Nothing waits for you"
    assert fake.home("U0SOMEONE") is None


# --- Files ---------------------------------------------------------------------------------------


async def test_files_upload_v2_into_a_thread(client: AsyncWebClient, fake: FakeSlack) -> None:
    parent = await client.chat_postMessage(channel=CHANNEL, text="Visit PO-2026-0142")
    result = await client.files_upload_v2(channel=CHANNEL, thread_ts=parent["ts"], content=PDF,
                                          filename="report.pdf", title="Visit report", initial_comment="Report")

    [file] = fake.files(CHANNEL)
    assert (result["file"]["id"], file.content, file.title) == (file.id, PDF, "Visit report")
    assert file.thread_ts == parent["ts"]
    assert result["file"]["name"] == "report.pdf" and result["file"]["permalink"]
    assert fake.calls("files.getUploadURLExternal") == [{"filename": "report.pdf", "length": str(len(PDF))}]
    share = fake.messages(CHANNEL)[-1]
    assert (share.files, share.thread_ts, share.text) == ([file.id], parent["ts"], "Report")


async def test_upload_url_takes_multipart_too(client: AsyncWebClient, fake: FakeSlack) -> None:
    ticket = await client.files_getUploadURLExternal(filename="photo.png", length=3)
    form = FormData()
    form.add_field("file", b"PNG", filename="photo.png", content_type="image/png")
    async with ClientSession() as session, session.post(ticket["upload_url"], data=form) as response:
        assert (response.status, await response.text()) == (200, "OK - 3")
    await client.files_completeUploadExternal(files=[{"id": ticket["file_id"]}], channel_id=CHANNEL)
    assert fake.files(CHANNEL)[0].content == b"PNG"


async def test_completing_an_upload_without_bytes_fails(client: AsyncWebClient) -> None:
    ticket = await client.files_getUploadURLExternal(filename="photo.png", length=3)
    completing = client.files_completeUploadExternal(files=[{"id": ticket["file_id"]}], channel_id=CHANNEL)
    assert (await refusal(completing))["error"] == "file_not_found"


async def test_private_file_url_needs_the_bot_token(fake: FakeSlack) -> None:
    """Without the token Slack answers 200 with its sign-in page: a bot must check what it got."""
    url = fake.add_uploaded_file("photo.jpg", b"\xff\xd8jpeg")["url_private_download"]
    async with ClientSession() as session:
        async with session.get(url, headers={"Authorization": f"Bearer {fake.token}"}) as authorised:
            assert (await authorised.read(), authorised.content_type) == (b"\xff\xd8jpeg", "image/jpeg")
        async with session.get(url) as anonymous:
            assert (anonymous.status, anonymous.content_type) == (200, "text/html")


# --- Faults --------------------------------------------------------------------------------------


async def test_rate_limit_is_retried_by_the_handler(client: AsyncWebClient, fake: FakeSlack) -> None:
    fake.fail_next("chat.postMessage", retry_after=0)
    client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=2))
    await client.chat_postMessage(channel=CHANNEL, text="Reminder")
    assert len(fake.calls("chat.postMessage")) == 2 and len(fake.messages(CHANNEL)) == 1


async def test_rate_limit_without_a_handler_raises(client: AsyncWebClient, fake: FakeSlack) -> None:
    """slack-sdk's default handlers retry connection errors only."""
    fake.fail_next("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel=CHANNEL, text="Reminder")
    response = raised.value.response
    assert (response.status_code, response.headers["Retry-After"], response["error"]) == (429, "7", "ratelimited")


async def test_a_channel_takes_a_message_a_second_and_answers_429_with_retry_after(
        client: AsyncWebClient, fake: FakeSlack) -> None:
    """chat.postMessage over its limit, as Slack answers it; another channel is not held back."""
    fake.flood_limits(per_channel=fake_flood.Limit(1, 3600.0))
    await client.chat_postMessage(channel=CHANNEL, text="Reminder")
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel=CHANNEL, text="Reminder again")
    response = raised.value.response
    assert (response.status_code, response["error"]) == (429, "ratelimited")
    assert 3590 < int(response.headers["Retry-After"]) <= 3600
    dm = (await client.conversations_open(users=BOT_USER_ID))["channel"]["id"]
    await client.chat_postMessage(channel=dm, text="elsewhere")
    assert len(fake.messages(CHANNEL)) == 1 and fake.flood.refused == 1


async def test_injected_error_fails_once(client: AsyncWebClient, fake: FakeSlack) -> None:
    fake.fail_next("chat.postMessage", error="channel_not_found")
    assert (await refusal(client.chat_postMessage(channel=CHANNEL, text="x")))["error"] == "channel_not_found"
    await client.chat_postMessage(channel=CHANNEL, text="x")


async def test_a_500_raises_and_passes(client: AsyncWebClient, fake: FakeSlack) -> None:
    fake.fail_next("chat.postMessage", status=500, error="internal_error")
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel=CHANNEL, text="x")
    assert (raised.value.response.status_code, raised.value.response["error"]) == (500, "internal_error")
    await client.chat_postMessage(channel=CHANNEL, text="x")
    assert len(fake.messages(CHANNEL)) == 1


async def test_an_answer_later_than_the_client_waits_is_a_timeout(fake: FakeSlack) -> None:
    impatient = AsyncWebClient(token=fake.token, base_url=fake.api_url, timeout=0.2)
    fake.stall_next("chat.postMessage", seconds=1.0)
    with pytest.raises(asyncio.TimeoutError):
        await impatient.chat_postMessage(channel=CHANNEL, text="lost on the way")
    await asyncio.sleep(1.0)  # dropped, not handled late
    assert fake.messages(CHANNEL) == []

    fake.stall_next("chat.postMessage", seconds=1.0, handled=True)
    with pytest.raises(asyncio.TimeoutError):
        await impatient.chat_postMessage(channel=CHANNEL, text="arrived, answer lost")
    assert [m.text for m in fake.messages(CHANNEL)] == ["arrived, answer lost"]


async def test_a_dropped_connection_is_retried_once_by_the_client(client: AsyncWebClient, fake: FakeSlack) -> None:
    """slack-sdk's default handler retries one connection error; a second one reaches the caller."""
    fake.drop_next("chat.postMessage")
    await client.chat_postMessage(channel=CHANNEL, text="x")
    fake.drop_next("chat.postMessage", times=2)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await client.chat_postMessage(channel=CHANNEL, text="y")
    assert [m.text for m in fake.messages(CHANNEL)] == ["x"]


async def test_a_rate_limited_channel_answers_429_until_restored_and_others_post_meanwhile(
    client: AsyncWebClient, fake: FakeSlack
) -> None:
    fake.rate_limit(CHANNEL, retry_after=30)
    for _ in range(2):
        with pytest.raises(SlackApiError) as raised:
            await client.chat_postMessage(channel=CHANNEL, text="x")
        response = raised.value.response
        assert (response.status_code, response.headers["Retry-After"], response["error"]) == (429, "30", "ratelimited")
    dm = (await client.conversations_open(users=BOT_USER_ID))["channel"]["id"]
    await client.chat_postMessage(channel=dm, text="elsewhere")
    fake.restore_channel(CHANNEL)
    await client.chat_postMessage(channel=CHANNEL, text="x")
    assert [m.text for m in fake.messages(CHANNEL)] == ["x"]


async def test_an_archived_channel_or_one_without_the_bot_refuses_every_post(
    client: AsyncWebClient, fake: FakeSlack
) -> None:
    fake.archive_channel(CHANNEL)
    for _ in range(2):
        assert (await refusal(client.chat_postMessage(channel=CHANNEL, text="x")))["error"] == "is_archived"
    fake.remove_bot(CHANNEL)
    assert (await refusal(client.chat_postMessage(channel=CHANNEL, text="x")))["error"] == "not_in_channel"
    assert (await client.conversations_info(channel=CHANNEL))["channel"]["id"] == CHANNEL  # reading still works
    fake.restore_channel(CHANNEL)
    await client.chat_postMessage(channel=CHANNEL, text="x")


# --- Inbound requests through a real Bolt app ----------------------------------------------------


@dataclass
class Served:
    app: AsyncApp
    url: str

    async def post(self, kind: str, payload: dict[str, Any], secret: str = SECRET, **options: Any) -> tuple[int, str]:
        return await post_to_app(self.url, kind, payload, secret, **options)


@pytest.fixture
async def bolt(fake: FakeSlack) -> AsyncIterator[Served]:
    """A Bolt app served over HTTP on 127.0.0.1, as the bot serves it, its client aimed at the fake."""
    app = AsyncApp(signing_secret=SECRET, client=AsyncWebClient(token=fake.token, base_url=fake.api_url))
    runner = web.AppRunner(app.web_app(path="/slack/events"), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    yield Served(app, f"http://{host}:{port}/slack/events")
    await runner.cleanup()


def test_signature_is_slacks_v0_hmac() -> None:
    """The example from Slack's "Verifying requests from Slack" page."""
    body = (b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
            b"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
            b"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554"
            b"%2F96rGlfmibIGlgcZRskXaIFfN"
            b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")
    assert sign(body, SECRET, 1531420618) == "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


async def test_slash_command_reaches_the_listener(bolt: Served, fake: FakeSlack) -> None:
    seen: list[dict] = []

    @bolt.app.command("/followup")
    async def followup(ack, command, respond) -> None:
        seen.append(command)
        await ack("Working on it")
        await respond("Visit PO-2026-0142 has 3 open findings")

    status, body = await bolt.post("command", fake.slash_command(QA, CHANNEL, "/followup", "status PO-2026-0142"))
    assert (status, "Working on it" in body) == (200, True)
    assert (seen[0]["text"], seen[0]["user_id"]) == ("status PO-2026-0142", QA)
    [ephemeral] = await fake.wait_for(lambda: fake.ephemerals(CHANNEL))
    assert (ephemeral.to_user, fake.responses[0]["text"]) == (QA, "Visit PO-2026-0142 has 3 open findings")


async def test_bad_signature_is_refused(bolt: Served, fake: FakeSlack) -> None:
    status, _ = await bolt.post("command", fake.slash_command(QA, CHANNEL, "/followup"), secret="not-the-secret")
    assert status == 401


async def test_stale_timestamp_is_refused(bolt: Served, fake: FakeSlack) -> None:
    command = fake.slash_command(QA, CHANNEL, "/followup")
    assert (await bolt.post("command", command, timestamp=int(time.time()) - 301))[0] == 401


async def test_url_verification_is_answered_with_the_challenge(bolt: Served) -> None:
    challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    assert await bolt.post("url_verification", {"challenge": challenge}) == (200, f'{{"challenge": "{challenge}"}}')


async def test_block_action_reaches_the_listener_which_opens_a_modal(bolt: Served, fake: FakeSlack) -> None:
    seen: list[dict] = []

    @bolt.app.action("approve")
    async def approve(ack, body, client) -> None:
        await ack()
        seen.append(body)
        await client.views_open(trigger_id=body["trigger_id"], view=finding_modal())

    posted = await bolt.app.client.chat_postMessage(channel=CHANNEL, text="Visit", blocks=review_blocks())
    status, _ = await bolt.post("interactive", fake.block_action(QA, CHANNEL, posted["ts"], "approve"))

    [view] = await fake.wait_for(lambda: fake.views)
    assert (status, view.user_id) == (200, QA)
    action = seen[0]["actions"][0]
    assert (action["value"], action["block_id"], seen[0]["message"]["ts"]) == ("visit:42", "review", posted["ts"])


async def test_view_submission_reaches_the_listener(bolt: Served, fake: FakeSlack, client: AsyncWebClient) -> None:
    seen: list[dict] = []

    @bolt.app.view("finding")
    async def save(ack, view) -> None:
        await ack()
        seen.append(view)

    opened = await client.views_open(trigger_id=fake.new_trigger_id(QA), view=finding_modal())
    submission = fake.view_submission(QA, values={"what": {"text": "Loose stitching"}}, view_id=opened["view"]["id"])
    assert (await bolt.post("interactive", submission))[0] == 200
    assert seen[0]["state"]["values"]["what"]["text"]["value"] == "Loose stitching"
    assert seen[0]["private_metadata"] == "visit:42"


async def test_shortcut_reaches_the_listener(bolt: Served, fake: FakeSlack) -> None:
    @bolt.app.shortcut("new_finding")
    async def new_finding(ack, shortcut, client) -> None:
        await ack()
        await client.views_open(trigger_id=shortcut["trigger_id"], view=finding_modal())

    assert (await bolt.post("interactive", fake.shortcut(QA, "new_finding")))[0] == 200
    await fake.wait_for(lambda: fake.views)


async def test_dm_upload_event_and_its_retry(bolt: Served, fake: FakeSlack) -> None:
    """Bolt does not de-duplicate: the retry, same event_id, reaches the listener again."""
    downloads: list[bytes] = []
    retries: list[list[str] | None] = []

    @bolt.app.event("message")
    async def on_message(event, say, client, request) -> None:
        retries.append(request.headers.get("x-slack-retry-num"))
        bearer = {"Authorization": f"Bearer {client.token}"}
        url = event["files"][0]["url_private_download"]
        async with ClientSession(headers=bearer) as session, session.get(url) as got:
            downloads.append(await got.read())
        await say("Photo received")

    dm = fake.dm_channel(QA)
    event = fake.message_event(QA, dm, "", files=[fake.add_uploaded_file("IMG_0001.jpg", b"\xff\xd8jpeg")])
    assert event["subtype"] == "file_share" and event["channel_type"] == "im"
    assert (await bolt.post("event", event, event_id="Ev0UPLOAD"))[0] == 200
    assert (await bolt.post("event", event, event_id="Ev0UPLOAD", retry_num=1))[0] == 200

    await fake.wait_for(lambda: len(fake.messages(dm)) == 3)
    assert downloads == [b"\xff\xd8jpeg"] * 2 and sorted(retries, key=str) == [None, ["1"]]
    assert fake.files(dm)[0].user == QA


async def test_other_events_reach_their_listeners(bolt: Served, fake: FakeSlack, client: AsyncWebClient) -> None:
    seen: list[str] = []

    async def record(event) -> None:
        seen.append(event["type"])

    for kind in ("app_mention", "app_home_opened", "file_shared"):
        bolt.app.event(kind)(record)
    await client.views_publish(user_id=QA, view=View(type="home", blocks=[SectionBlock(text="Home")]))
    file = fake.add_uploaded_file("report.pdf", PDF)
    for event in (fake.app_mention_event(QA, CHANNEL, "status?"), fake.app_home_opened_event(QA),
                  fake.file_shared_event(QA, CHANNEL, file)):
        assert (await bolt.post("event", event))[0] == 200
    await fake.wait_for(lambda: len(seen) == 3)
    assert sorted(seen) == ["app_home_opened", "app_mention", "file_shared"]
    assert fake.messages(CHANNEL)[-1].text == f"<@{BOT_USER_ID}> status?"


def test_slack_request_headers() -> None:
    body, headers = slack_request("event", {"type": "app_mention"}, SECRET, timestamp=1_700_000_000,
                                  retry_num=2, retry_reason="http_error")
    assert headers["X-Slack-Signature"] == sign(body, SECRET, 1_700_000_000)
    assert (headers["X-Slack-Retry-Num"], headers["X-Slack-Retry-Reason"]) == ("2", "http_error")
    assert headers["Content-Type"] == "application/json"
