"""A factory in mainland China reads the bot in its WeCom, DingTalk or Feishu group: the
robots post what the factory's chats receive, in Chinese first, signed, within each robot's
size cap and rate limit, each part once whatever fails between them; a robot that refuses
for good (a wrong key or secret) alerts the buyer as any failed delivery does."""

from __future__ import annotations

import re
import shutil
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime

import aiohttp
import pytest
import yaml
from aiohttp.test_utils import TestServer

from bot.app import App, build_app, deliver_on_robots
from bot.config import Config, ConfigError, Robots, load_config, robot_secrets
from bot.web.links import LinkSigner, NoticeLinks
from handlers.model import OutgoingMessage, Platform, Role
from handlers.model.message_kinds import MessageKind
from handlers.commands import PostVisit
from handlers.intake.reports import read_report
from messages.robot_markdown import dingtalk_markdown, feishu_markdown, wecom_markdown
from tests.conftest import EXAMPLE_VISIT, actor, approve_and_send, deliver_until_done, owe_again, post_example
from tests.fake_robots import FakeRobots
from tests.fakes import FakeClock, RecordingConsole, Transcript

FACTORY = "NB-EVERGREEN"
WEBHOOKS = {
    "wecom_webhook": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=wk-1",
    "dingtalk_webhook": "https://oapi.dingtalk.com/robot/send?access_token=dt-1",
    "dingtalk_secret": "SECdt-secret-1",
    "feishu_webhook": "https://open.feishu.cn/open-apis/bot/v2/hook/fs-1",
    "feishu_secret": "fs-secret-1",
}


@dataclass
class World:
    app: App
    config: Config
    clock: FakeClock
    robots: FakeRobots
    transcript: Transcript

    def outbox(self) -> list[sqlite3.Row]:
        with sqlite3.connect(self.app.store.path) as db:
            db.row_factory = sqlite3.Row
            return db.execute("SELECT * FROM outbox ORDER BY id").fetchall()


async def world_with(config: Config, clock: FakeClock, robots: FakeRobots, links: NoticeLinks | None = None,
                     **factory: str) -> AsyncIterator[World]:
    server = TestServer(robots.app(), host="127.0.0.1")
    await server.start_server()
    first, *others = config.factories
    config = config.model_copy(update={
        "factories": (first.model_copy(update=factory), *others),
        "robots": Robots(base_url=f"http://127.0.0.1:{server.port}"),
    })
    transcript = Transcript()
    app = await build_app(config, clock, RecordingConsole(transcript))
    session = aiohttp.ClientSession()
    deliver_on_robots(app, session, links)
    try:
        yield World(app, config, clock, robots, transcript)
    finally:
        await session.close()
        await app.close()
        await server.close()


def fake_robots(clock: FakeClock) -> FakeRobots:
    return FakeRobots(clock, wecom_keys={"wk-1"}, dingtalk_secrets={"dt-1": "SECdt-secret-1"},
                      feishu_secrets={"fs-1": "fs-secret-1"})


@pytest.fixture
async def world(config: Config, clock: FakeClock) -> AsyncIterator[World]:
    async for built in world_with(config, clock, fake_robots(clock), **WEBHOOKS):
        yield built


async def test_a_notice_reaches_all_three_robots_of_the_factory_in_chinese_first(world: World) -> None:
    visit_id = await post_example(world.app, world.config)
    await approve_and_send(world.app, world.config, visit_id)
    await deliver_until_done(world.app, world.clock)

    assert world.robots.refused == []
    for platform in ("wecom", "dingtalk", "feishu"):
        texts = world.robots.texts(platform)
        whole = "".join(texts)
        assert "整改通知书" in whole and "CORRECTIVE NOTICE" in whole, platform
        assert whole.index("整改通知书") < whole.index("CORRECTIVE NOTICE"), "Chinese first"
        assert not any("[1]" in text for text in texts), "robots show no buttons"
        # Whom to ask, in each language, as the PDF has it (messages/templates/notice/contacts.j2).
        assert "联系人：买方 Anna Schmidt（+49 40 555 0142, anna.schmidt@nordhaus-living.example）" in whole, platform
        assert "Contacts: buyer Anna Schmidt (+49 40 555 0142, anna.schmidt@nordhaus-living.example)" in whole
        assert "inspector Chen Jing (+86 138 0574 0142 微信同号)" in whole, platform
    assert len(world.robots.texts("wecom")) > 1, "the notice is longer than WeCom's 4,096 bytes: split"
    robot_rows = [row for row in world.outbox() if row["platform"] in ("wecom", "dingtalk", "feishu")]
    assert {row["destination"] for row in robot_rows} == {FACTORY}, "addressed by factory, no key in the store"
    assert all(row["sent_at"] for row in robot_rows)
    assert {MessageKind(row["kind"]) for row in robot_rows} == {MessageKind.NOTICE}


async def test_with_the_web_server_on_each_robot_posts_the_notices_signed_link(config: Config, clock: FakeClock) -> None:
    """A robot is one-way: the factory answers through the link its message carries."""
    signer = LinkSigner(b"k" * 32)
    links = NoticeLinks(signer, "https://qc.example.test", 30, clock)
    async for world in world_with(config, clock, fake_robots(clock), links, **WEBHOOKS):
        visit_id = await post_example(world.app, world.config)
        await approve_and_send(world.app, world.config, visit_id)
        await deliver_until_done(world.app, world.clock)
        for platform in ("wecom", "dingtalk", "feishu"):
            tokens = re.findall(r"https://qc\.example\.test/n/([A-Za-z0-9_.=-]+)", "".join(world.robots.texts(platform)))
            assert tokens, platform
            link = signer.read(tokens[-1], clock.now())
            assert (link.version, link.recipient) == (1, FACTORY), platform


async def test_a_robot_past_its_twenty_messages_a_minute_waits_alone(world: World) -> None:
    visit_id = await post_example(world.app, world.config)
    await deliver_until_done(world.app, world.clock)
    for _ in range(25):
        await owe_again(world.app, Platform.WECOM, FACTORY, visit_id, "findings.0")
    for _ in range(3):
        await owe_again(world.app, Platform.FEISHU, FACTORY, visit_id, "findings.0")

    await world.app.dispatcher.deliver_pending()
    assert len(world.robots.texts("wecom")) == 20
    assert len(world.robots.texts("feishu")) == 3, "another robot does not wait for WeCom"
    assert world.robots.refused == [], "the bot waits before the robot would refuse"
    waiting = next(row for row in world.outbox() if row["platform"] == "wecom" and not row["sent_at"])
    assert "rate limit" in waiting["last_error"]
    assert datetime.fromisoformat(waiting["next_attempt_at"]) == world.clock.now() + timedelta(seconds=60)

    world.clock.advance(seconds=60)
    await world.app.dispatcher.deliver_pending()
    assert len(world.robots.texts("wecom")) == 25


async def test_a_split_notice_is_posted_once_part_by_part_across_a_failure(world: World) -> None:
    visit_id = await post_example(world.app, world.config)
    await deliver_until_done(world.app, world.clock)
    world.robots.answer_next["wecom"] = [0, -1]  # WeCom's "system busy" for the notice's second part
    await approve_and_send(world.app, world.config, visit_id)
    await deliver_until_done(world.app, world.clock)

    texts = world.robots.texts("wecom")
    assert ("wecom", -1) in world.robots.refused
    assert len(texts) == len(set(texts)) > 1, "each part once"
    assert all(len(text.encode()) <= 4096 for text in texts)


@pytest.mark.parametrize(("key", "wrong", "code"), [
    ("wecom_webhook", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=revoked", ("wecom", 93000)),
    ("dingtalk_secret", "SEC-not-the-robots", ("dingtalk", 310000)),
    ("feishu_secret", "not-the-robots", ("feishu", 19021)),
])
async def test_a_wrong_key_or_secret_fails_for_good_and_alerts_the_buyer(config: Config, clock: FakeClock, key: str,
                                                                        wrong: str, code: tuple[str, int]) -> None:
    async for world in world_with(config, clock, fake_robots(clock), **{**WEBHOOKS, key: wrong}):
        visit_id = await post_example(world.app, world.config)
        await approve_and_send(world.app, world.config, visit_id)
        await deliver_until_done(world.app, world.clock)

        assert code in world.robots.refused
        failed = [row for row in world.outbox() if row["failed_at"]]
        assert [(row["platform"], row["failure_reason"]) for row in failed] == [(code[0], "invalid_auth")]
        alerts = [row for row in world.outbox() if row["kind"] == MessageKind.DELIVERY_FAILED]
        assert [row["platform"] for row in alerts] == ["console"], "the buyer is told"
        others = {p for p in ("wecom", "dingtalk", "feishu") if p != code[0]}
        assert all(world.robots.texts(p) for p in others), "the factory's other robots carry on"


async def answered_with(world: World, platform: Platform, code: int) -> sqlite3.Row:
    """The outbox row of a finding's message owed again to the robot, which answered `code`."""
    visit_id = await post_example(world.app, world.config)
    await deliver_until_done(world.app, world.clock)
    await owe_again(world.app, platform, FACTORY, visit_id, "findings.0")
    world.robots.answer_next[platform] = [code]
    await world.app.dispatcher.deliver_pending()
    return [row for row in world.outbox() if row["platform"] == platform][-1]


@pytest.mark.parametrize(("platform", "code", "wait"), [
    (Platform.WECOM, 45009, 60), (Platform.DINGTALK, 130101, 600), (Platform.FEISHU, 11232, 60),
])
async def test_a_rate_limit_code_from_the_robot_is_waited_out(world: World, platform: Platform, code: int,
                                                              wait: int) -> None:
    """A restarted bot does not know what it sent last minute; the robot says so."""
    row = await answered_with(world, platform, code)
    assert not row["sent_at"] and not row["failed_at"]
    assert datetime.fromisoformat(row["next_attempt_at"]) == world.clock.now() + timedelta(seconds=wait)
    world.clock.advance(seconds=wait)
    await world.app.dispatcher.deliver_pending()
    assert world.outbox()[-1]["sent_at"]


def robot_config(tmp_path, robot_keys: str, robots: str = "") -> list[str]:
    """The problems of a config whose one factory has `robot_keys`."""
    path = tmp_path / "followup.toml"
    path.write_text(f"""{robots}
[[factories]]
id = "NB"
name = "Ningbo"
name_zh = "宁波"
{robot_keys}
""", encoding="utf-8")
    try:
        load_config(path)
    except ConfigError as refused:
        return [str(p) for p in refused.problems]
    return []


@pytest.mark.parametrize(("keys", "problem"), [
    ('wecom_webhook = "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K"',
     "factories.0.wecom_webhook: not an https URL"),
    ('wecom_webhook = "https://qyapi.weixin.qq.com.evil.example/cgi-bin/webhook/send?key=K"',
     "factories.0.wecom_webhook: host 'qyapi.weixin.qq.com.evil.example' is not the robot's"),
    ('wecom_webhook = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"',
     "factories.0.wecom_webhook: not the robot's webhook"),
    ('dingtalk_webhook = "https://oapi.dingtalk.com/robot/send?access_token=T"',
     "factories.0.dingtalk_secret: dingtalk_webhook needs dingtalk_secret"),
    ('dingtalk_secret = "SEC1"', "factories.0.dingtalk_secret: dingtalk_secret without dingtalk_webhook"),
    ('dingtalk_webhook = "https://oapi.dingtalk.com:8443/robot/send?access_token=T"\ndingtalk_secret = "S"',
     "factories.0.dingtalk_webhook: host 'oapi.dingtalk.com' is not the robot's"),
    ('dingtalk_webhook = "https://oapi.dingtalk.com/robot/send?token=T"\ndingtalk_secret = "S"',
     "factories.0.dingtalk_webhook: not the robot's webhook"),
    ('feishu_webhook = "https://open.feishu.cn/open-apis/bot/v2/hook/T"',
     "factories.0.feishu_secret: feishu_webhook needs feishu_secret"),
    ('feishu_webhook = "https://open.feishu.cn/open-apis/bot/v2/hook/"\nfeishu_secret = "S"',
     "factories.0.feishu_webhook: not the robot's webhook"),
    ('feishu_secret = "S"', "factories.0.feishu_secret: feishu_secret without feishu_webhook"),
])
def test_every_bad_robot_setting_is_named_by_its_key(tmp_path, keys: str, problem: str) -> None:
    problems = robot_config(tmp_path, keys)
    assert len(problems) == 1 and problems[0].startswith(problem), problems


def test_the_robots_may_be_pointed_only_at_this_machine(tmp_path) -> None:
    assert robot_config(tmp_path, "", '[robots]\nbase_url = "http://127.0.0.1:8123"') == []
    problems = robot_config(tmp_path, "", '[robots]\nbase_url = "https://robots.example.com"')
    assert len(problems) == 1 and problems[0].startswith("robots.base_url"), problems


def test_well_formed_robots_load(tmp_path) -> None:
    assert robot_config(tmp_path, "\n".join(f'{key} = "{value}"' for key, value in WEBHOOKS.items())) == []


def test_every_robot_key_and_secret_is_kept_from_the_logs_wherever_the_key_stands(config: Config) -> None:
    factory = config.factories[0].model_copy(update={
        **WEBHOOKS,
        "dingtalk_webhook": "https://oapi.dingtalk.com/robot/send?access_token=dt-1&x=1",
        "feishu_webhook": "https://open.feishu.cn/open-apis/bot/v2/hook/fs-1/",
    })
    hidden = set(robot_secrets(factory))
    assert {"wk-1", "dt-1", "fs-1", "SECdt-secret-1", "fs-secret-1"} <= hidden
    assert "1" not in hidden and "" not in hidden  # not the other parameter, nor an empty key


HOSTILE = ("**bold** _it_ `code` [click](https://evil.example) <font color=\"warning\">red</font> <@all> "
           "![img](https://evil.example/x.png) ~~gone~~\n# heading\n> quote\n- item\n1) first\nunder\n===\n---\n"
           "    indented code")
LIVE_MARKUP = ("**bold**", "_it_", "`code`", "[click](", "<font", "<@all>", "![img]", "~~gone~~", "\n# ", "\n> ",
               "\n- ", "\n1) ", "\n===", "\n---", "\n    indented")


async def post_hostile_visit(world: World, tmp_path) -> int:
    """The example visit, its first finding described and its factory named as a hostile
    inspector and buyer would: every piece of markup the three robots read."""
    report = yaml.safe_load((EXAMPLE_VISIT / "report.yaml").read_text(encoding="utf-8"))
    report["findings"][0]["description"] = HOSTILE
    report["findings"][0]["description_zh"] = HOSTILE
    shutil.copytree(EXAMPLE_VISIT, tmp_path / "visit")
    (tmp_path / "visit" / "report.yaml").write_text(yaml.safe_dump(report, allow_unicode=True), encoding="utf-8")
    with read_report(tmp_path / "visit" / "report.yaml", [f.id for f in world.config.factories]) as checked:
        for photo in checked.photos.values():
            world.app.media.put(photo.path, photo.sha256, photo.format)
        photos = {name: photo.sha256 for name, photo in checked.photos.items()}
        reply = await world.app.bus.handle(PostVisit(checked.report, photos), actor(world.config, Role.INSPECTOR))
    assert reply.ok, reply
    return reply.params["visit_id"]


async def test_markup_an_inspector_writes_is_shown_as_text_by_every_robot(world: World, tmp_path) -> None:
    visit_id = await post_hostile_visit(world, tmp_path)
    await approve_and_send(world.app, world.config, visit_id)
    for platform in (Platform.WECOM, Platform.DINGTALK, Platform.FEISHU):
        await owe_again(world.app, platform, FACTORY, visit_id, "findings.0")  # a chat message, with bold lines
    await deliver_until_done(world.app, world.clock)

    for platform in ("wecom", "dingtalk", "feishu"):
        whole = "\n".join(world.robots.texts(platform))
        assert "＊＊bold＊＊" in whole and "［click］(https://evil.example)" in whole, platform
        live = [markup for markup in LIVE_MARKUP if markup in whole]
        only_feishu_strikes_through = [] if platform == "feishu" else ["~~gone~~"]
        assert live == only_feishu_strikes_through, f"{platform}: {live}"
        assert re.search(r"\*\*\S[^*]*\S\*\*", whole), f"{platform}: the bot's own bold lines stay bold"


@pytest.mark.parametrize("dialect", [wecom_markdown, dingtalk_markdown, feishu_markdown])
def test_each_robots_neutralising_is_idempotent_and_leaves_plain_text_alone(dialect) -> None:
    once = dialect(HOSTILE)
    assert dialect(once) == once
    assert dialect("手柄连接处缩釉 3.5 mm, -2 pcs (batch 3)") == "手柄连接处缩釉 3.5 mm, -2 pcs (batch 3)"


BUTTON_WORDING = ("Acknowledge button", "press Dispute", "按钮")


async def remind(world: World, visit_id: int) -> None:
    """The notice of the visit, sent, and a reminder about it owed to each robot."""
    notice_id = await approve_and_send(world.app, world.config, visit_id)
    async with world.app.store.unit_of_work() as uow:
        for platform in (Platform.WECOM, Platform.DINGTALK, Platform.FEISHU):
            await uow.outbox.add(OutgoingMessage(platform, FACTORY, "reminder", {"notice_id": notice_id}, "zh_Hans_CN"))
        await uow.commit()
    await deliver_until_done(world.app, world.clock)


async def test_robots_never_ask_for_a_button_and_without_the_web_server_send_the_factory_to_its_buyer(
        world: World) -> None:
    await remind(world, await post_example(world.app, world.config))

    for platform in ("wecom", "dingtalk", "feishu"):
        texts = world.robots.texts(platform)
        assert len(texts) >= 2, platform  # the notice and its reminder
        assert not [t for t in texts if any(words in t for words in BUTTON_WORDING)], platform
        assert "请联系您的买方" in texts[-1] and "contact your buyer" in "".join(texts), platform


async def test_with_the_web_server_on_robots_send_the_factory_to_the_notice_link(config: Config,
                                                                                clock: FakeClock) -> None:
    links = NoticeLinks(LinkSigner(b"k" * 32), "https://qc.example.test", 30, clock)
    async for world in world_with(config, clock, fake_robots(clock), links, **WEBHOOKS):
        await remind(world, await post_example(world.app, world.config))
        for platform in ("wecom", "dingtalk", "feishu"):
            texts = world.robots.texts(platform)
            assert not [t for t in texts if any(words in t for words in BUTTON_WORDING)], platform
            assert "请打开下方的整改通知书链接" in "".join(texts), platform
            assert "Open the notice link below and press “确认收到” (Acknowledge)" in "".join(texts), platform


async def test_dingtalk_titles_are_the_messages_subjects_in_plain_chinese(world: World) -> None:
    await remind(world, await post_example(world.app, world.config))

    titles = [p.title for p in world.robots.posted if p.platform == "dingtalk"]
    assert titles == ["整改通知书 CN-2026-0001", "催办提醒：请确认收到整改通知书 CN-2026-0001"]


def test_a_robots_key_and_secret_may_come_from_the_environment(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("NB_DINGTALK_WEBHOOK", WEBHOOKS["dingtalk_webhook"])
    monkeypatch.setenv("NB_DINGTALK_SECRET", "SECdt-secret-1")
    path = tmp_path / "followup.toml"
    path.write_text('[[factories]]\nid = "NB"\nname = "Ningbo"\nname_zh = "宁波"\n'
                    'dingtalk_webhook = "env:NB_DINGTALK_WEBHOOK"\ndingtalk_secret = "env:NB_DINGTALK_SECRET"\n',
                    encoding="utf-8")
    factory = load_config(path).factories[0]
    assert (factory.dingtalk_webhook, factory.dingtalk_secret) == (WEBHOOKS["dingtalk_webhook"], "SECdt-secret-1")
    assert {"dt-1", "SECdt-secret-1"} <= set(robot_secrets(factory)), "kept from the logs as if written in the file"


@pytest.mark.parametrize(("keys", "problem"), [
    ('feishu_webhook = "https://open.feishu.cn/open-apis/bot/v2/hook/T"\nfeishu_secret = "env:NOT_SET_ANYWHERE"',
     "factories.0.feishu_secret: env:NOT_SET_ANYWHERE: the environment variable NOT_SET_ANYWHERE is not set"),
    ('feishu_webhook = "https://open.feishu.cn/open-apis/bot/v2/hook/T"\nfeishu_secret = "env:"',
     "factories.0.feishu_secret: 'env:': env: must be followed by the name of an environment variable"),
    ('wecom_webhook = "env:NB_WECOM"', "factories.0.wecom_webhook: not an https URL"),
])
def test_a_robot_key_from_the_environment_is_checked_and_named_by_its_key(tmp_path, monkeypatch, keys: str,
                                                                          problem: str) -> None:
    monkeypatch.setenv("NB_WECOM", "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K")
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    problems = robot_config(tmp_path, keys)
    assert len(problems) == 1 and problems[0].startswith(problem), problems


@pytest.mark.parametrize(("platform", "code", "outcome"), [
    (Platform.WECOM, -1, "again"), (Platform.WECOM, 45009, "again"), (Platform.WECOM, 93000, "invalid_auth"),
    (Platform.WECOM, 93004, "forbidden"), (Platform.WECOM, 40008, "rejected"), (Platform.WECOM, 40058, "rejected"),
    (Platform.DINGTALK, -1, "again"), (Platform.DINGTALK, 130101, "again"), (Platform.DINGTALK, 310000, "invalid_auth"),
    (Platform.DINGTALK, 300001, "invalid_auth"), (Platform.DINGTALK, 300005, "invalid_auth"),
    (Platform.DINGTALK, 400013, "chat_not_found"), (Platform.DINGTALK, 40035, "rejected"),
    (Platform.FEISHU, 11232, "again"), (Platform.FEISHU, 9499, "rejected"), (Platform.FEISHU, 19021, "invalid_auth"),
    (Platform.FEISHU, 19022, "forbidden"), (Platform.FEISHU, 19024, "forbidden"),
])
async def test_each_documented_refusal_is_waited_out_or_fails_for_good(world: World, platform: Platform, code: int,
                                                                        outcome: str) -> None:
    row = await answered_with(world, platform, code)
    assert not row["sent_at"]
    assert (row["failure_reason"] if row["failed_at"] else "again") == outcome, row["last_error"]


@pytest.mark.parametrize(("retry_after", "waited"), [
    (timedelta(seconds=90), timedelta(seconds=90)),  # an HTTP date: until then
    (timedelta(minutes=-5), timedelta(0)),  # a date already past: at once
    ("soon", None),  # neither seconds nor a date: the outbox's own backoff
])
async def test_a_retry_after_given_as_an_http_date_or_as_nonsense_is_waited_out_not_crashed_on(
        world: World, retry_after: timedelta | str, waited: timedelta | None) -> None:
    """A proxy in front of a robot may answer 429 with a standard Retry-After, which may be a
    date (RFC 9110, 10.2.3)."""
    visit_id = await post_example(world.app, world.config)
    await deliver_until_done(world.app, world.clock)
    await owe_again(world.app, Platform.FEISHU, FACTORY, visit_id, "findings.0")
    world.robots.too_many_next["feishu"] = [
        retry_after if isinstance(retry_after, str) else format_datetime(world.clock.now() + retry_after, usegmt=True)]
    await world.app.dispatcher.deliver_pending()
    row = [row for row in world.outbox() if row["platform"] == Platform.FEISHU][-1]
    assert not row["sent_at"] and not row["failed_at"] and "HTTP 429" in row["last_error"]
    next_attempt = datetime.fromisoformat(row["next_attempt_at"])
    if waited is not None:
        assert next_attempt == world.clock.now().replace(microsecond=0) + waited
    else:
        assert next_attempt > world.clock.now()


async def test_feishus_http_429_is_waited_out_as_long_as_its_header_says(world: World) -> None:
    world.robots.too_many_next["feishu"] = [52]
    row = await answered_with(world, Platform.FEISHU, 0)
    assert not row["sent_at"] and not row["failed_at"]
    assert datetime.fromisoformat(row["next_attempt_at"]) == world.clock.now() + timedelta(seconds=52)
