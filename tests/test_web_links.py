"""The buyer's operator mints a notice's signed link and revokes it from the command line; the
web server's configuration and key are checked before anything starts."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from click.testing import CliRunner

from bot.cli.followup import main
from bot.config import ConfigError, load_config
from bot.running import Pace, build_bot
from bot.web.links import BadLink, ExpiredLink, LinkSigner
from tests.conftest import approve_and_send, example_config_file, post_example

SECRET = "s" * 40
WEB = '\n[web]\npublic_url = "https://qc.example.com/"\n'


def config_file(tmp_path: Path, config, web: str = WEB) -> Path:
    return example_config_file(tmp_path / "followup.toml", config.storage.url, web)


async def cli(clock, *args: str, secret: str | None = SECRET):
    env = {"FOLLOWUP_WEB_SECRET": secret or ""}
    return await asyncio.to_thread(CliRunner(env=env).invoke, main, list(args), obj={"clock": clock})


async def test_the_operator_prints_a_link_that_opens_and_revokes_it(app, config, clock, tmp_path) -> None:
    notice_id = await approve_and_send(app, config, await post_example(app, config))
    path = str(config_file(tmp_path, config))
    printed = await cli(clock, "notice", "link", "CN-2026-0001", "--config", path)
    assert printed.exit_code == 0, printed.output
    url = printed.output.strip()
    assert url.startswith("https://qc.example.com/n/1.1.NB-EVERGREEN.")
    link = LinkSigner(SECRET.encode()).read(url.rsplit("/", 1)[1], clock.now())
    assert (link.notice_id, link.version, link.recipient) == (notice_id, 1, "NB-EVERGREEN")
    assert (link.expires - clock.now()).days == 30

    revoked = await cli(clock, "notice", "link", "CN-2026-0001", "--revoke", "--config", path)
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    async with app.store.unit_of_work() as uow:
        assert await uow.link_revocations.is_revoked(notice_id, "NB-EVERGREEN", link.issued)
        events = await uow.audit.for_entity("notice", notice_id)
    assert events[-1].action == "revoke_links" and events[-1].actor.startswith("admin:operator ")


async def test_revoking_needs_no_key(app, config, clock, tmp_path) -> None:
    notice_id = await approve_and_send(app, config, await post_example(app, config))
    revoked = await cli(clock, "notice", "link", "CN-2026-0001", "--revoke", "--config",
                        str(config_file(tmp_path, config)), secret=None)
    assert revoked.exit_code == 0 and "revoked" in revoked.output, revoked.output
    async with app.store.unit_of_work() as uow:
        assert await uow.link_revocations.is_revoked(notice_id, "NB-EVERGREEN", clock.now().replace(microsecond=0))


async def test_without_a_key_the_link_is_signed_with_the_stores_and_opens_on_the_running_bot(
        app, config, clock, tmp_path, unused_tcp_port, monkeypatch) -> None:
    """No FOLLOWUP_WEB_SECRET: the operator's command and the bot sign with the one key kept in
    the store they share, so the printed link opens the page the bot serves."""
    monkeypatch.delenv("FOLLOWUP_WEB_SECRET", raising=False)
    await approve_and_send(app, config, await post_example(app, config))
    keyless = await cli(clock, "notice", "link", "CN-2026-0001", "--config", str(config_file(tmp_path, config)),
                        secret=None)
    assert keyless.exit_code == 0, keyless.output
    token = keyless.output.strip().rsplit("/", 1)[1]
    web = config.web.model_copy(update={"public_url": "http://127.0.0.1", "port": unused_tcp_port})
    bot = await build_bot(config.model_copy(update={"web": web}), clock, None, None, Pace(warm_up=False),
                          lambda error: None)
    await bot.start()
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{unused_tcp_port}/n/{token}") as page:
                assert page.status == 200 and "CN-2026-0001" in await page.text()
    finally:
        await bot.stop()


async def test_no_link_with_a_short_key_or_without_the_web_server(app, config, clock, tmp_path) -> None:
    await approve_and_send(app, config, await post_example(app, config))
    short = await cli(clock, "notice", "link", "CN-2026-0001", "--config", str(config_file(tmp_path, config)),
                      secret="too-short")
    assert short.exit_code != 0 and "FOLLOWUP_WEB_SECRET must be a random secret of at least 32" in short.output
    off = await cli(clock, "notice", "link", "CN-2026-0001", "--config", str(config_file(tmp_path, config, "")))
    assert off.exit_code != 0 and "[web] public_url" in off.output


def test_followup_run_refuses_a_web_key_too_short_to_sign_with(config, tmp_path) -> None:
    result = CliRunner(env={"FOLLOWUP_WEB_SECRET": "short", "TELEGRAM_BOT_TOKEN": "", "SLACK_BOT_TOKEN": ""}).invoke(
        main, ["run", "--config", str(config_file(tmp_path, config))])
    assert result.exit_code == 2 and "FOLLOWUP_WEB_SECRET must be" in result.output


def test_a_bad_web_setting_names_its_key(tmp_path) -> None:
    path = tmp_path / "followup.toml"
    path.write_text('[web]\nport = 70000\npublic_url = "qc.example.com"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    assert {p.path for p in refused.value.problems} == {"web.port", "web.public_url"}


def test_a_link_is_refused_when_altered_and_gone_when_expired() -> None:
    now = datetime(2026, 11, 24, tzinfo=UTC)
    signer = LinkSigner(b"k" * 32)
    token = signer.mint(7, 2, "NB-EVERGREEN", now, 30)
    assert signer.read(token, now + timedelta(days=29, hours=23)).version == 2
    issued, days = token.split(".")[3:5]
    assert (datetime.fromtimestamp(int(issued), UTC), days) == (now, "30")
    for altered in (token.replace("7.2.", "7.3.", 1), token.replace("7.2.", "8.2.", 1), token + "x",
                    "0" + token,  # the same numbers spelled otherwise
                    token.replace(f".{issued}.", ".999999999999.", 1),  # a year no datetime holds
                    token.replace(f".{issued}.{days}.", f".{issued}.365.", 1)):  # a longer life
        with pytest.raises(BadLink):
            signer.read(altered, now)
    with pytest.raises(BadLink):
        LinkSigner(b"other" * 8).read(token, now)
    without_issue_time = f"7.2.NB-EVERGREEN.{int(issued) + 30 * 86400}"  # the first links' shape, never handed out
    digest = hmac.new(b"k" * 32, without_issue_time.encode(), hashlib.sha256).digest()
    with pytest.raises(BadLink):
        signer.read(f"{without_issue_time}.{base64.urlsafe_b64encode(digest).rstrip(b'=').decode()}", now)
    with pytest.raises(ExpiredLink):
        signer.read(token, now + timedelta(days=30))


async def test_the_running_bot_serves_the_page_on_its_port(app, config, clock, tmp_path, unused_tcp_port) -> None:
    notice_id = await approve_and_send(app, config, await post_example(app, config))
    web = config.web.model_copy(update={"public_url": "http://127.0.0.1", "port": unused_tcp_port})
    signer = LinkSigner(SECRET.encode())
    bot = await build_bot(config.model_copy(update={"web": web}), clock, None, None, Pace(warm_up=False),
                          lambda error: None, signer)
    await bot.start()
    try:
        token = signer.mint(notice_id, 1, "NB-EVERGREEN", clock.now(), 30)
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{unused_tcp_port}/n/{token}") as page:
                assert page.status == 200 and "CN-2026-0001" in await page.text()
    finally:
        await bot.stop()
