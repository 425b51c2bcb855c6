"""A factory without Telegram or Slack answers its notice on the page a signed link opens: it
reads the notice in Chinese, acknowledges or disputes, commits dates, with the same commands
and audit trail as a chat button. A link that is forged, expired, revoked or aimed elsewhere
changes nothing."""

from __future__ import annotations

import re

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.web.links import LinkSigner
from bot.web.server import web_application
from handlers.commands import ApproveInstruction, RejectInstruction, RevokeNoticeLinks, SendNotice
from handlers.model import InstructionState, NoticeState, Platform, Role
from tests.conftest import actor, approve_and_send, post_example
from tests.test_lifecycle import another_visit

SIGNER = LinkSigner(b"k" * 32)


@pytest.fixture
async def notice_id(app, config) -> int:
    return await approve_and_send(app, config, await post_example(app, config))


@pytest.fixture
async def client(app):
    woken = []
    async with TestClient(TestServer(web_application(app, SIGNER, lambda: woken.append(1)))) as test_client:
        yield test_client


def link_to(app, notice_id: int, version: int = 1, recipient: str = "NB-EVERGREEN", days: int = 30) -> str:
    return "/n/" + SIGNER.mint(notice_id, version, recipient, app.bus.clock.now(), days)


async def stored(app, notice_id: int):
    async with app.store.unit_of_work() as uow:
        notice = await uow.notices.get(notice_id)
        instructions = await uow.instructions.for_notice(notice_id)
        events = await uow.audit.for_entity("notice", notice_id)
    return notice, instructions, events


def nonce_of(html: str, suffix: str) -> str:
    return re.search(rf'name="nonce" value="([A-Za-z0-9_-]+-{suffix})"', html)[1]


async def test_the_page_shows_the_notice_in_chinese_with_an_english_toggle(app, notice_id, client) -> None:
    url = link_to(app, notice_id)
    page = await client.get(url)
    html = await page.text()
    assert page.status == 200
    assert "整改通知书" in html and "CN-2026-0001" in html and 'href="' + url + '?lang=en"' in html
    assert "确认收到" in html and "有异议" in html
    assert "http://" not in html.replace("http://www.w3.org", "") and "<script" not in html
    assert page.headers["Referrer-Policy"] == "no-referrer" and "default-src 'none'" in page.headers[
        "Content-Security-Policy"]
    english = await (await client.get(url + "?lang=en")).text()
    assert "CORRECTIVE NOTICE" in english and "Acknowledge" in english
    # Whom to ask, as the PDF, the mail and the robots have it (messages/templates/notice/contacts.j2).
    assert "联系人：买方 Anna Schmidt（+49 40 555 0142, anna.schmidt@nordhaus-living.example）" in html
    assert "Contacts: buyer Anna Schmidt (+49 40 555 0142, anna.schmidt@nordhaus-living.example) · " \
           "inspector Chen Jing (+86 138 0574 0142 微信同号)" in english


async def f1_alone_and_another(app, config) -> tuple[int, int]:
    """Two notices: the example's with F1 alone (the rest rejected), and another order's with
    every instruction, so photos and instructions of the second are real and not the first's."""
    buyer = actor(config, Role.BUYER)
    visit_id = await post_example(app, config)
    async with app.store.unit_of_work() as uow:
        instructions = await uow.instructions.for_visit(visit_id)
    assert (await app.bus.handle(ApproveInstruction(instructions[0].id), buyer)).ok
    for instruction in instructions[1:]:
        assert (await app.bus.handle(RejectInstruction(instruction.id), buyer)).ok
    first = (await app.bus.handle(SendNotice(visit_id), buyer)).params["notice_id"]
    other = another_visit()
    posted = await app.bus.handle(other, actor(config, Role.INSPECTOR))
    return first, await approve_and_send(app, config, posted.params["visit_id"])


async def test_its_photos_come_through_the_link_and_no_other_notices_do(app, config, client) -> None:
    first, second = await f1_alone_and_another(app, config)
    url = link_to(app, first)
    html = await (await client.get(url)).text()
    photo = re.search(r'<img src="(/n/[^"]+/photo/([0-9a-f]{64}))"', html)
    assert photo is not None
    fetched = await client.get(photo[1])
    assert fetched.status == 200 and (await fetched.read())[:2] == b"\xff\xd8"
    own = set(re.findall(r"/photo/([0-9a-f]{64})", html))
    theirs = set(re.findall(r"/photo/([0-9a-f]{64})", await (await client.get(link_to(app, second))).text())) - own
    assert theirs and all(app.media.find(sha256) for sha256 in theirs), "stored, and shown on the other notice"
    for sha256 in theirs:
        assert (await client.get(f"{url}/photo/{sha256}")).status == 404
    assert (await client.get(f"{url}/photo/{'0' * 64}")).status == 404


async def test_a_factory_contact_acknowledges_by_name_once_and_a_double_submit_is_one_answer(
        app, config, notice_id, client) -> None:
    url = link_to(app, notice_id)
    asked = await client.post(url + "/name", data={"name": " 王经理 "})
    assert asked.status == 200 and asked.cookies["followup_name"].value
    nonce = nonce_of(await asked.text(), "a")
    first = await client.post(url + "/acknowledge", data={"nonce": nonce})
    again = await client.post(url + "/acknowledge", data={"nonce": nonce})
    assert (first.status, again.status) == (200, 200)
    thanks = "谢谢，已确认收到整改通知书CN-2026-0001。"
    assert thanks in await first.text() and thanks in await again.text(), "the second answer is the first one's"
    notice, instructions, events = await stored(app, notice_id)
    assert notice.state is NoticeState.ACKNOWLEDGED
    assert notice.answered.by == "factory/NB-EVERGREEN@web/NB-EVERGREEN:王经理"
    assert notice.answered.platform is Platform.WEB
    assert [e.action for e in events].count("acknowledge") == 1
    assert {i.state for i in instructions} == {InstructionState.ACKNOWLEDGED}


async def test_the_name_is_asked_before_anything_is_done(app, notice_id, client) -> None:
    answer = await client.post(link_to(app, notice_id) + "/acknowledge", data={})
    assert answer.status == 422 and "请填写您的姓名，以便买方知道由谁回复。" in await answer.text()
    notice, _, _ = await stored(app, notice_id)
    assert notice.state is NoticeState.SENT


async def test_a_dispute_needs_its_reason(app, notice_id, client) -> None:
    url = link_to(app, notice_id)
    client.session.cookie_jar.update_cookies({"followup_name": "%E6%9D%8E%E4%BC%9F"})
    empty = await client.post(url + "/dispute", data={"reason": "  "})
    assert empty.status == 422
    assert (await stored(app, notice_id))[0].state is NoticeState.SENT
    disputed = await client.post(url + "/dispute", data={"reason": "唛头文字需买方确认。"})
    assert disputed.status == 200
    notice, _, events = await stored(app, notice_id)
    assert (notice.state, notice.dispute_reason) == (NoticeState.DISPUTED, "唛头文字需买方确认。")
    assert notice.answered.by.endswith(":李伟")


async def test_a_completion_date_per_instruction_and_none_for_another_notices(app, config, client) -> None:
    first, second = await f1_alone_and_another(app, config)
    url = link_to(app, first)
    (f1,) = (await stored(app, first))[1]
    _, theirs, _ = await stored(app, second)
    client.session.cookie_jar.update_cookies({"followup_name": "Wang"})
    committed = await client.post(url + "/commit", data={"instruction": str(f1.id), "date": f1.due.isoformat()})
    assert committed.status == 200
    for instruction in theirs:  # each open at the factory: only the link stands between
        foreign = await client.post(url + "/commit", data={"instruction": str(instruction.id),
                                                            "date": instruction.due.isoformat()})
        assert foreign.status == 422 and "该整改措施不属于整改通知书" in await foreign.text()
    assert (await stored(app, first))[1][0].committed == f1.due
    assert all(i.committed is None for i in (await stored(app, second))[1])


async def test_a_post_through_a_superseded_link_changes_nothing(app, config, notice_id, client) -> None:
    url = link_to(app, notice_id, version=1)
    client.session.cookie_jar.update_cookies({"followup_name": "Wang"})
    await client.post(url + "/dispute", data={"reason": "唛头文字需买方确认。"})
    buyer = actor(config, Role.BUYER)
    _, instructions, _ = await stored(app, notice_id)
    for instruction in instructions:
        if instruction.state is InstructionState.DISPUTED:
            assert (await app.bus.handle(ApproveInstruction(instruction.id), buyer)).ok
    assert (await app.bus.handle(SendNotice(instructions[0].visit_id), buyer)).ok
    notice, _, events = await stored(app, notice_id)
    assert notice.version == 2
    old = await client.post(url + "/acknowledge", data={})
    assert old.status == 422 and "已有新版本" in await old.text()
    after, _, later = await stored(app, notice_id)
    assert after.state is NoticeState.SENT and later == events


async def test_a_form_that_reaches_no_command_reads_the_notice_once(app, notice_id, client, monkeypatch) -> None:
    opened = []
    unit_of_work = app.store.unit_of_work
    monkeypatch.setattr(app.store, "unit_of_work", lambda short=False: opened.append(1) or unit_of_work(short))
    answer = await client.post(link_to(app, notice_id) + "/acknowledge", data={})
    assert answer.status == 422 and len(opened) == 1
    opened.clear()
    client.session.cookie_jar.update_cookies({"followup_name": "Wang"})
    acknowledged = await client.post(link_to(app, notice_id) + "/acknowledge", data={})
    assert acknowledged.status == 200 and len(opened) >= 3, "read, answered, read again as the answer left it"


async def test_the_name_cookie_is_secure_when_people_open_https(app, notice_id) -> None:
    application = web_application(app, SIGNER, lambda: None, public_url="https://qc.example.com")
    async with TestClient(TestServer(application)) as behind_a_proxy:  # TLS ends at the proxy: http here
        answer = await behind_a_proxy.post(link_to(app, notice_id) + "/name", data={"name": "王经理"})
        assert answer.cookies["followup_name"]["secure"]
    async with TestClient(TestServer(web_application(app, SIGNER, lambda: None, "http://127.0.0.1"))) as plain:
        answer = await plain.post(link_to(app, notice_id) + "/name", data={"name": "王经理"})
        assert not answer.cookies["followup_name"]["secure"]


@pytest.mark.parametrize("tamper", [
    lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # the signature
    lambda token: token.replace(".NB-EVERGREEN.", ".OTHER.", 1),  # the recipient
    lambda token: "2" + token,  # the notice
    lambda token: "garbage",
    lambda token: ".".join([*token.split(".")[:4], "366", token.split(".")[5]]),  # an unsigned longer life
    lambda token: ".".join([*token.split(".")[:3], "4102444800", *token.split(".")[4:]]),  # issued after a revocation
])
async def test_a_tampered_link_is_refused_and_changes_nothing(app, notice_id, client, tamper) -> None:
    token = link_to(app, notice_id)[len("/n/"):]
    await refused_in_both_languages(app, notice_id, client, "/n/" + tamper(token), 403, "链接无效", "not valid")


async def test_an_expired_link_is_gone(app, clock, notice_id, client) -> None:
    url = link_to(app, notice_id, days=30)
    clock.advance(days=30)
    await refused_in_both_languages(app, notice_id, client, url, 410, "已过期", "expired")


async def refused_in_both_languages(app, notice_id: int, client, url: str, status: int, chinese: str,
                                    english: str) -> None:
    """Reading and acting are refused alike, with a page saying why in Chinese and English."""
    page = await client.get(url)
    posted = await client.post(url + "/acknowledge", data={"name": "X"})
    assert (page.status, posted.status) == (status, status)
    assert chinese in await page.text() and english in await page.text()
    assert (await stored(app, notice_id))[0].state is NoticeState.SENT


async def test_a_revoked_link_is_gone_and_the_revocation_is_audited(app, config, notice_id, client) -> None:
    url = link_to(app, notice_id)
    other = link_to(app, notice_id, recipient="agent-zhang")
    reply = await app.bus.handle(RevokeNoticeLinks(notice_id, "NB-EVERGREEN"), actor(config, Role.BUYER))
    assert reply.code == "links_revoked"
    await refused_in_both_languages(app, notice_id, client, url, 410, "撤销", "withdrawn")
    assert (await client.get(other)).status == 200
    notice, _, events = await stored(app, notice_id)
    assert notice.state is NoticeState.SENT
    assert [(e.action, e.after) for e in events if e.action == "revoke_links"] == [
        ("revoke_links", {"recipient": "NB-EVERGREEN"})]
    again = await app.bus.handle(RevokeNoticeLinks(notice_id, "NB-EVERGREEN"), actor(config, Role.BUYER))
    assert again.code == "links_already_revoked"


async def test_a_revocation_ends_the_links_issued_before_it_not_those_the_bot_sends_after(
        app, config, clock, notice_id, client) -> None:
    forwarded = link_to(app, notice_id)
    clock.advance(hours=1)
    assert (await app.bus.handle(RevokeNoticeLinks(notice_id, "NB-EVERGREEN"), actor(config, Role.BUYER))).ok
    clock.advance(seconds=1)
    reminder = link_to(app, notice_id)  # what a robot's reminder or a mail carries from now on
    assert (await client.get(forwarded)).status == 410
    assert (await client.get(reminder)).status == 200
    clock.advance(days=1)
    assert (await app.bus.handle(RevokeNoticeLinks(notice_id, "NB-EVERGREEN"), actor(config, Role.BUYER))).ok
    assert (await client.get(reminder)).status == 410, "revoked again: the links issued in between end too"


async def test_a_factory_cannot_revoke_links(app, config, notice_id) -> None:
    refused = await app.bus.handle(RevokeNoticeLinks(notice_id, "NB-EVERGREEN"), actor(config, Role.FACTORY))
    assert not refused.ok
