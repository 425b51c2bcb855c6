"""A factory without a chat gets its notices by e-mail: the story against a real SMTP server
on 127.0.0.1 (aiosmtpd), through the outbox as `followup run` wires it."""

from __future__ import annotations

import json
import logging
import re
import ssl
from datetime import UTC, datetime
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import trustme

from bot.app import App, build_app, deliver_on_email
from bot.config import Config, ConfigError, Smtp, load_config
from bot.email.settings import PASSWORD_VARIABLE, SmtpSettings, SmtpSettingsError
from bot.redaction import REDACTED
from bot.running import Pace, build_bot
from bot.web.links import LinkSigner, NoticeLinks
from handlers.commands import (
    AcknowledgeNotice, EscalateToManager, ReopenInstruction, RemindFactory, ReportDone, VerifyInstruction,
)
from handlers.model import Platform, Role
from handlers.views import label_of
from tests.conftest import EXAMPLE_CONFIG, actor, approve_and_send, deliver_until_done, outbox_table, post_example
from tests.fake_smtp import FakeMailServer, free_port, start
from tests.fakes import FakeClock, RecordingConsole, Transcript

FACTORY_MAIL = ("qc@evergreen.example.cn", "zhang.min@evergreen.example.cn")
SENDER = "followup@buyer.example.com"


@pytest.fixture
def mail_server() -> FakeMailServer:
    return FakeMailServer()


@pytest.fixture
def listening(mail_server: FakeMailServer):
    controller = start(mail_server)
    yield controller.port
    controller.stop()


@pytest.fixture
def mail_config(config: Config, listening: int) -> Config:
    """The example, with the factory reading e-mail from our server on 127.0.0.1."""
    factories = tuple(f.model_copy(update={"email": FACTORY_MAIL}) for f in config.factories)
    smtp = Smtp.model_validate({"host": "127.0.0.1", "port": listening, "from": SENDER, "starttls": False})
    return config.model_copy(update={"factories": factories, "smtp": smtp})


@pytest.fixture
async def mailing(mail_config: Config, clock: FakeClock, transcript: Transcript) -> AsyncIterator[App]:
    app = await build_app(mail_config, clock, RecordingConsole(transcript))
    deliver_on_email(app, SmtpSettings(mail_config.smtp))
    yield app
    await app.close()


async def notice_sent(app: App, config: Config, clock: FakeClock) -> None:
    visit_id = await post_example(app, config)
    await approve_and_send(app, config, visit_id)
    await deliver_until_done(app, clock)


def email_rows(app: App, kind: str) -> list:
    return [r for r in outbox_table(app) if r["platform"] == Platform.EMAIL and r["kind"] == kind]


async def test_the_factory_finds_the_notice_in_its_mailbox_with_the_pdf_attached(
    mailing: App, mail_config: Config, clock: FakeClock, mail_server: FakeMailServer
) -> None:
    await notice_sent(mailing, mail_config, clock)

    (received,) = mail_server.received
    assert (received.sender, sorted(received.recipients)) == (SENDER, sorted(FACTORY_MAIL))
    mail = received.mail
    assert mail["Subject"] == "整改通知书 CN-2026-0001 / Corrective action notice CN-2026-0001"
    assert re.search(rb"^Subject: =\?utf-8\?", received.raw, re.MULTILINE), "the Chinese subject RFC 2047-encoded"
    assert mail["To"] == ", ".join(FACTORY_MAIL)
    (row,) = email_rows(mailing, "notice")
    assert mail["Message-ID"] == row["platform_ref"] == f"<followup.outbox.{row['id']}@buyer.example.com>"

    plain = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    for body in (plain, html):
        assert body.index("整改通知书") < body.index("CORRECTIVE NOTICE CN-2026-0001"), "Chinese first"
        assert "宁波常青家居用品有限公司" in body and "Ningbo Evergreen Homeware" in body
        # Whom to ask, in each language, as the PDF has it (messages/templates/notice/contacts.j2).
        assert "联系人：买方 Anna Schmidt（+49 40 555 0142, anna.schmidt@nordhaus-living.example）" in body
        assert "Contacts: buyer Anna Schmidt (+49 40 555 0142, anna.schmidt@nordhaus-living.example)" in body
        assert "验货员 Chen Jing（+86 138 0574 0142 微信同号）" in body
    assert "<section" in html and "<section" not in plain
    (attachment,) = mail.iter_attachments()
    assert (attachment.get_content_type(), attachment.get_filename()) == ("application/pdf", "CN-2026-0001.pdf")
    async with mailing.store.unit_of_work() as uow:
        stored = await uow.notice_pdfs.get(json.loads(row["payload"])["notice_id"], 1)
    assert attachment.get_content() == stored, "the stored PDF of that version, as the chats get it"


async def test_with_the_web_server_on_the_mail_carries_the_notice_page_link(
    mail_config: Config, clock: FakeClock, transcript: Transcript, mail_server: FakeMailServer
) -> None:
    links = NoticeLinks(LinkSigner(b"k" * 32), "https://qc.example.test", 30, clock)
    app = await build_app(mail_config, clock, RecordingConsole(transcript))
    deliver_on_email(app, SmtpSettings(mail_config.smtp), links)
    try:
        await notice_sent(app, mail_config, clock)
    finally:
        await app.close()

    (received,) = mail_server.received
    plain = received.mail.get_body(("plain",)).get_content()
    html = received.mail.get_body(("html",)).get_content()
    (link,) = set(re.findall(r"https://qc\.example\.test/n/[\w.-]+", plain))
    assert plain.count(link) == 2, "in the Chinese part and in the English part"
    assert f'<a href="{link}">' in html
    assert LinkSigner(b"k" * 32).read(link.rsplit("/", 1)[1], clock.now()).recipient == "NB-EVERGREEN"


async def test_a_server_that_says_try_later_gets_the_mail_once_on_a_later_round(
    mailing: App, mail_config: Config, clock: FakeClock, mail_server: FakeMailServer
) -> None:
    mail_server.refuse_data.append("451 4.3.0 Mail server temporarily rejected message")
    await notice_sent(mailing, mail_config, clock)

    (row,) = email_rows(mailing, "notice")
    assert (row["attempts"], row["sent_at"] is not None) == (1, True), "one attempt failed, the next sent it"
    assert len(mail_server.received) == 1


async def test_a_mailbox_that_does_not_exist_fails_for_good_and_the_buyer_is_told(
    mailing: App, mail_config: Config, clock: FakeClock, mail_server: FakeMailServer, transcript: Transcript
) -> None:
    mail_server.refuse_recipients.extend(["550 5.1.1 No such user"] * 2)
    await notice_sent(mailing, mail_config, clock)

    (row,) = email_rows(mailing, "notice")
    assert (row["failure_reason"], row["attempts"], row["sent_at"]) == ("address_refused", 1, None)
    assert mail_server.received == []
    assert "Reason: the mail server refused the e-mail address" in transcript.text
    assert f"Where: e-mail {','.join(FACTORY_MAIL)}" in transcript.text


async def test_the_smtp_password_never_reaches_a_log_line(
    mail_config: Config, mail_server: FakeMailServer, clock: FakeClock, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    mail_server.login = ("followup", "s3cret-Pa55word")
    monkeypatch.setenv(PASSWORD_VARIABLE, "wrong-Pa55word")
    config = mail_config.model_copy(update={"smtp": mail_config.smtp.model_copy(update={"username": "followup"})})
    running = await build_bot(config, clock, None, None, Pace(warm_up=False), lambda error: None)
    secrets = ("wrong-Pa55word", "AGZvbGxvd3VwAHdyb25nLVBhNTV3b3Jk", "d3JvbmctUGE1NXdvcmQ=")  # as is, AUTH PLAIN, LOGIN
    try:
        await notice_sent(running.app, config, clock)
        # Neither aiosmtplib nor the bot logs the login today; a line that does is redacted.
        logging.getLogger("aiosmtplib").debug("AUTH %s %s %s", *secrets)
    finally:
        await running.app.close()

    (row,) = email_rows(running.app, "notice")
    assert row["failure_reason"] == "invalid_auth", "a refused login is permanent"
    assert "Authentication" in caplog.text
    assert f"AUTH {REDACTED} {REDACTED} {REDACTED}" in caplog.text
    for secret in secrets:
        assert secret not in caplog.text


BAD_INPUTS = [
    ('[[factories]]\nemail = "not-an-address"', "factories.0.email.0"),
    ('[[factories]]\nemail = ["qc@evergreen.example.cn", "qc@"]', "factories.0.email.1"),
    ('[[factories]]\nemail = "qc@evergreen.example.cn"', "smtp.host"),
    ('[[factories]]\nemail = "qc@evergreen.example.cn"\n[smtp]\nhost = "smtp.example.com"', "smtp.from"),
    ('[smtp]\nhost = "smtp.example.com"\nport = 70000', "smtp.port"),
    ('[smtp]\nhost = "smtp.example.com"\nfrom = "followup at buyer"', "smtp.from"),
    ('[smtp]\nhost = "smtp.example.com"\nstarttls = "maybe"', "smtp.starttls"),
    ('[smtp]\nhost = "smtp.example.com"\npassword = "in the file"', "smtp.password"),
]


@pytest.mark.parametrize(("added", "key"), BAD_INPUTS)
def test_a_bad_mail_setting_is_refused_naming_its_key(tmp_path: Path, added: str, key: str) -> None:
    example = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    if added.startswith("[[factories]]"):  # a key of the example's first factory
        example = example.replace('id = "NB-EVERGREEN"', f'id = "NB-EVERGREEN"\n{added.splitlines()[1]}', 1)
        added = "\n".join(added.splitlines()[2:])
    path = tmp_path / "followup.toml"
    path.write_text(f"{example}\n{added}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    assert key in [problem.path for problem in refused.value.problems], str(refused.value)


def test_a_config_with_a_mail_server_reads_back_as_dumped(mail_config: Config) -> None:
    """As the crash tests hand it to a bot process."""
    assert Config.model_validate_json(mail_config.model_dump_json()) == mail_config


def test_a_login_without_its_password_and_a_password_without_a_login_are_named(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PASSWORD_VARIABLE, raising=False)
    with_login = Smtp.model_validate({"host": "smtp.example.com", "from": SENDER, "username": "followup"})
    with pytest.raises(SmtpSettingsError, match=f"{PASSWORD_VARIABLE}.*username|username.*{PASSWORD_VARIABLE}"):
        SmtpSettings.from_environment(with_login)
    monkeypatch.setenv(PASSWORD_VARIABLE, "s3cret")
    with pytest.raises(SmtpSettingsError, match=r"\[smtp\] username"):
        SmtpSettings.from_environment(with_login.model_copy(update={"username": None}))
    assert "s3cret" not in repr(SmtpSettings.from_environment(with_login))



async def test_a_mail_server_that_is_down_is_tried_again_later(
    mail_config: Config, clock: FakeClock, transcript: Transcript
) -> None:
    down = mail_config.smtp.model_copy(update={"port": free_port()})  # nothing listens there
    app = await build_app(mail_config, clock, RecordingConsole(transcript))
    deliver_on_email(app, SmtpSettings(down))
    try:
        visit_id = await post_example(app, mail_config)
        await approve_and_send(app, mail_config, visit_id)
        await app.dispatcher.deliver_pending()
    finally:
        await app.close()

    (row,) = email_rows(app, "notice")
    assert (row["sent_at"], row["failure_reason"], row["attempts"]) == (None, None, 1), "transient: tried again"
    assert "SMTPConnectError" in row["last_error"]


async def test_an_address_the_server_defers_gets_the_mail_later_and_the_other_address_only_once(
    mailing: App, mail_config: Config, clock: FakeClock, mail_server: FakeMailServer, caplog
) -> None:
    mail_server.refuse_recipients.append("450 4.2.1 Mailbox busy, try again later")  # the first address, once
    with caplog.at_level(logging.WARNING):
        await notice_sent(mailing, mail_config, clock)

    assert [r.recipients for r in mail_server.received] == [[FACTORY_MAIL[1]], [FACTORY_MAIL[0]]]
    assert len({r.mail["Message-ID"] for r in mail_server.received}) == 1, "one mail, in two deliveries"
    (row,) = email_rows(mailing, "notice")
    assert (row["attempts"], bool(row["sent_at"]), row["failed_at"]) == (1, True, None), "one failed attempt"
    assert f"refused {FACTORY_MAIL[0]} (450)" in caplog.text


async def test_an_address_refused_for_good_fails_the_mail_and_tells_the_buyer_though_the_other_got_it(
    mailing: App, mail_config: Config, clock: FakeClock, mail_server: FakeMailServer, transcript: Transcript
) -> None:
    mail_server.refuse_recipients.append("550 5.1.1 No such user")  # the first address
    await notice_sent(mailing, mail_config, clock)

    assert [r.recipients for r in mail_server.received] == [[FACTORY_MAIL[1]]], "sent once, to the other address"
    (row,) = email_rows(mailing, "notice")
    assert (row["failure_reason"], row["sent_at"]) == ("address_refused", None)
    assert FACTORY_MAIL[0] in row["last_error"] and "550" in row["last_error"]
    assert "Reason: the mail server refused the e-mail address" in transcript.text


@pytest.fixture
def certificate(tmp_path: Path, monkeypatch) -> ssl.SSLContext:
    """The mail server's certificate, for 127.0.0.1, from a CA made for this test; the bot
    trusts that CA as it trusts the system's (SSL_CERT_FILE), nothing else changes."""
    authority = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(server)
    authority.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "ca.pem"))
    return server


@pytest.mark.parametrize(("implicit_tls", "setting"), [
    (False, {"starttls": True}),  # port 587: plain, then STARTTLS before the login and the mail
    pytest.param(True, {"starttls": False, "implicit_tls": True},  # port 465: TLS from the first byte
                 marks=pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")),
])
async def test_the_mail_goes_over_tls_with_starttls_or_from_the_first_byte(
    config: Config, clock: FakeClock, transcript: Transcript, certificate: ssl.SSLContext, implicit_tls: bool,
    setting: dict
) -> None:
    server = FakeMailServer(login=("followup", "s3cret"))
    controller = start(server, tls=certificate, implicit_tls=implicit_tls)
    factories = tuple(f.model_copy(update={"email": FACTORY_MAIL}) for f in config.factories)
    smtp = Smtp.model_validate({"host": "127.0.0.1", "port": controller.port, "from": SENDER,
                                "username": "followup", **setting})
    tls_config = config.model_copy(update={"factories": factories, "smtp": smtp})
    app = await build_app(tls_config, clock, RecordingConsole(transcript))
    deliver_on_email(app, SmtpSettings(smtp, "s3cret"))
    try:
        await notice_sent(app, tls_config, clock)
    finally:
        await app.close()
        controller.stop()

    (received,) = server.received
    assert received.tls and sorted(received.recipients) == sorted(FACTORY_MAIL)


@pytest.fixture
async def managed_mailing(mail_config: Config, clock: FakeClock, transcript: Transcript) -> AsyncIterator[App]:
    """The mailing factory with a manager the buyer may escalate to."""
    factory = mail_config.factories[0].model_copy(update={"manager": "Li Wei"})
    managed = mail_config.model_copy(update={"factories": (factory, *mail_config.factories[1:])})
    app = await build_app(managed, clock, RecordingConsole(transcript))
    deliver_on_email(app, SmtpSettings(managed.smtp))
    yield app
    await app.close()


def subjects(mail_server: FakeMailServer) -> list[str]:
    return [r.mail["Subject"] for r in mail_server.received]


def plain_of(received) -> str:
    return received.mail.get_body(("plain",)).get_content()


async def test_the_buyers_reminder_and_escalation_reach_the_factory_mailbox_in_its_own_words(
    managed_mailing: App, mail_config: Config, clock: FakeClock, mail_server: FakeMailServer
) -> None:
    clock.moment = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 10:00 at the factory: the reminder goes at once
    visit_id = await post_example(managed_mailing, mail_config)
    notice_id = await approve_and_send(managed_mailing, mail_config, visit_id)
    buyer = actor(mail_config, Role.BUYER)
    assert (await managed_mailing.bus.handle(RemindFactory(notice_id), buyer)).ok
    assert (await managed_mailing.bus.handle(EscalateToManager(notice_id), buyer)).ok
    await deliver_until_done(managed_mailing, clock)

    notice, reminder, escalation = mail_server.received
    assert subjects(mail_server)[1:] == [
        "催办提醒：请确认收到整改通知书 CN-2026-0001 / Reminder: please acknowledge corrective action notice CN-2026-0001",
        "已提请工厂负责人督办：整改通知书 CN-2026-0001 尚未回复 / "
        "Escalated to the factory manager: corrective action notice CN-2026-0001 not answered",
    ]
    assert "买方提请您督办整改通知书CN-2026-0001" in plain_of(escalation)
    for mail in (notice, reminder):
        text = plain_of(mail)
        assert "按钮" not in text and "Acknowledge button" not in text, "a mail has no buttons"
        assert "请联系您的买方" in text and "contact your buyer" in text, "no web server: the buyer is how to answer"


async def test_the_buyers_verification_and_reopening_reach_the_factory_mailbox(
    mailing: App, mail_config: Config, clock: FakeClock, mail_server: FakeMailServer
) -> None:
    visit_id = await post_example(mailing, mail_config)
    notice_id = await approve_and_send(mailing, mail_config, visit_id)
    factory, buyer = actor(mail_config, Role.FACTORY), actor(mail_config, Role.BUYER)
    assert (await mailing.bus.handle(AcknowledgeNotice(notice_id), factory)).ok
    async with mailing.store.unit_of_work() as uow:
        first, second, *_ = await uow.instructions.for_notice(notice_id)
    for instruction in (first, second):
        assert (await mailing.bus.handle(ReportDone(instruction.id, photos=("a" * 64,)), factory)).ok
    assert (await mailing.bus.handle(VerifyInstruction(first.id), buyer)).ok
    assert (await mailing.bus.handle(ReopenInstruction(second.id, reason="Glaze still crawls on 3 units."), buyer)).ok
    await deliver_until_done(mailing, clock)

    verified, reopened = [r for r in mail_server.received if "PO-2026-0142" in r.mail["Subject"]]
    assert verified.mail["Subject"].endswith(f"PO-2026-0142, {first_label(first)}: correction verified")
    rework = f"PO-2026-0142, {first_label(second)}: correction not accepted, rework needed"
    assert reopened.mail["Subject"].endswith(rework)
    assert "Glaze still crawls on 3 units." in plain_of(reopened)
    assert [r["kind"] for r in outbox_table(mailing) if r["platform"] == Platform.EMAIL and not r["sent_at"]] == []


def first_label(instruction) -> str:
    return label_of(instruction.source)
