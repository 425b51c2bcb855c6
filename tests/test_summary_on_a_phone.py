"""The findings summary on a phone (issue 16): what the buyer decides on fits one screen (the
status and its reasons, counted against reported progress, projected completion against the
final inspection, the options) and every detail is one tap away: inside an expandable quote
on Telegram (through the real PTB against the fake Bot API), in the summary's thread on
Slack (signed requests into the real Bolt app), behind `details PO-…` on the console."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from bot.cli.followup import main
from bot.config import load_config
from handlers.analysis.analyze import analyze
from handlers.intake.reports import check_data
from handlers.model import Role
from messages.environment import render
from messages.i18n import Language
from tests.conftest import (EXAMPLE_CONFIG, EXAMPLE_VISIT, changed, example_config_file, person, speaking, write_report,
                            zipped)
from tests.fake_telegram import TelegramHtml
from tests.fakes import FakeClock
from tests.slack_world import BUYER_CHANNEL, running_slack
from tests.telegram_world import BUYER_CHAT, INSPECTOR_ID, running
from tests.test_console import play
from tests.test_slack import post_example as post_on_slack

ORDER = "PO-2026-0142"
SCREEN = 700  # characters a buyer reads before deciding, on a phone
GLANCE = {
    "en": ["Status: AT RISK", "Progress: verified 48.0 % · reported 65.0 % · gap 17.0 pts",
           "Projected completion: Dec 12, 2026 · Final inspection: Dec 14, 2026",
           "1. Adjust the final-inspection date"],
    "zh_Hans_CN": ["状态：有风险", "生产进度：验货员核实48.0% · 工厂报告65.0% · 进度差异17.0个百分点",
                   "预计完工日期：2026年12月12日 · 尾期检验：2026年12月14日", "1. 调整尾期检验日期"],
}


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx and slack-sdk honour proxy variables even for 127.0.0.1."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


def details_lines(data: dict, locale: str) -> list[str]:
    """Every line of the report's details as plain text: what must be one tap away."""
    report, _, problems = check_data(data, ["NB-EVERGREEN"])
    assert report is not None, problems
    config = load_config(EXAMPLE_CONFIG)
    plant = config.factory("NB-EVERGREEN")
    text = render("text", "chat/visit_details.j2", Language(locale), report=report,
                  analysis=analyze(report, plant, config.analysis), factory=plant)
    return [line.strip() for line in text.splitlines() if line.strip()]


POSTED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # any moment after the example visit


def lines_of(text: str) -> set[str]:
    return {line.strip() for line in text.splitlines() if line.strip()}


def quoted(message) -> str:
    """The text of a Telegram message's expandable quotes, as Telegram parsed it."""
    parsed = TelegramHtml(message.text)
    units = parsed.plain_text().encode("utf-16-le")
    return "\n".join(units[2 * q["offset"]:2 * (q["offset"] + q["length"])].decode("utf-16-le")
                     for q in parsed.quotes if q["type"] == "expandable_blockquote")


async def post_on_telegram(world, bundle: bytes) -> None:
    await world.fake.send_document(INSPECTOR_ID, world.inspector, "visit.zip", bundle)
    await world.fake.wait_for(lambda: any("posted" in (m.text or "") for m in world.chat(INSPECTOR_ID)))
    await world.settled()


def summary_messages(world) -> list:
    """The summary's messages: those before the first finding's photos or text."""
    chat = world.chat(BUYER_CHAT)
    end = next(i for i, m in enumerate(chat) if m.method != "sendMessage" or m.plain.startswith("[F1]"))
    return chat[:end]


@pytest.mark.parametrize("locale", ["en", "zh_Hans_CN"])
async def test_the_buyer_reads_the_summary_on_one_screen_and_every_detail_one_tap_away(
        config, clock, example_data, visit_dir, locale) -> None:
    async with running(speaking(config, Role.BUYER, locale), clock) as world:
        await post_on_telegram(world, zipped(visit_dir))

        (summary,) = summary_messages(world)
        shown = summary.unexpanded
        assert len(shown.encode("utf-16-le")) // 2 < SCREEN
        assert all(line in shown for line in GLANCE[locale])
        assert summary.text.count("<blockquote expandable>") == 1  # the details, folded away
        assert set(details_lines(example_data, locale)) <= lines_of(quoted(summary))
        assert len(summary.buttons) == 2  # Approve all and the visit report, under the one message


async def test_a_summary_too_long_for_one_message_goes_on_folded_in_the_next(config, clock, example_data,
                                                                             visit_dir) -> None:
    long_note = "Carton <5-ply> & side marks per the buyer's artwork, checked box by box. " * 26
    data = changed(changed(example_data, "packaging.checks.2.note", long_note[:1990]),
                   "packaging.checks.3.note", long_note[:1990])
    write_report(visit_dir, data)
    async with running(speaking(config, Role.BUYER, "en"), clock) as world:
        await post_on_telegram(world, zipped(visit_dir))

        first, *rest = messages = summary_messages(world)
        assert rest and all(len(m.plain.encode("utf-16-le")) // 2 <= 4096 for m in messages)
        assert len(first.unexpanded.encode("utf-16-le")) // 2 < SCREEN
        assert all(m.text.startswith("<blockquote expandable>") for m in rest)  # still folded
        assert set(details_lines(data, "en")) <= lines_of("\n".join(quoted(m) for m in messages))
        assert "Approve all (7)" in messages[-1].buttons  # under the last, as for any long message


async def test_on_slack_the_summary_stays_short_and_its_details_are_the_first_reply_in_its_thread(
        config, clock, example_data) -> None:
    async with running_slack(speaking(config, Role.BUYER, "en"), clock) as world:
        await post_on_slack(world)

        summary, details = world.channel(BUYER_CHANNEL)[:2]
        shown = _plain_mrkdwn("\n".join(_block_texts(summary.blocks)))
        assert len(shown) < SCREEN and "verified 48.0 % · reported 65.0 % · gap 17.0 pts" in shown
        assert "Approve all (7)" in summary.buttons and not details.buttons
        assert details.thread_ts == summary.ts
        in_thread = _plain_mrkdwn("\n".join(_block_texts(details.blocks)))
        assert set(details_lines(example_data, "en")) <= lines_of(in_thread)


def _block_texts(blocks: list[dict]) -> list[str]:
    """The text a person reads in blocks: headers, sections, context."""
    texts = []
    for block in blocks:
        if "text" in block:
            texts.append(block["text"]["text"])
        texts.extend(element["text"] for element in block.get("elements", []) if isinstance(element.get("text"), str))
    return texts


def _plain_mrkdwn(text: str) -> str:
    """As Slack shows mrkdwn: bold without its stars, an emoji's code as one character."""
    text = re.sub(r":[a-z0-9_+-]+:", "●", text)
    return re.sub(r"\*([^*\n]+)\*", r"\1", text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def test_the_console_abridges_the_summary_and_prints_it_in_full_on_request(tmp_path, example_data) -> None:
    out = play(tmp_path, [f"post {EXAMPLE_VISIT / 'report.yaml'}", f"details {ORDER.lower()}",
                          "as factory", f"details {ORDER}"])

    _, posted, asked = out.split("━━ Visit findings", 2)
    assert f"type details {ORDER}" in posted
    assert "Quality (ISO 2859-1" not in posted  # abridged: the details are not printed with it
    assert set(details_lines(example_data, person(load_config(EXAMPLE_CONFIG), Role.BUYER).locale)) <= lines_of(asked)
    assert f"bot to Li Wei: 没有可供您查阅的{ORDER}验货记录。" in asked  # a factory contact reads no buyer's summary


def test_followup_visit_post_prints_the_summary_whole_as_nothing_is_typed_after_it(tmp_path, example_data) -> None:
    """A one-off command's terminal has no `details` command to name: it prints the details too."""
    config = example_config_file(tmp_path / "followup.toml", f"sqlite:///{tmp_path / 'followup.sqlite3'}")
    posted = CliRunner().invoke(main, ["visit", "post", str(EXAMPLE_VISIT / "report.yaml"), "--config", str(config)],
                                obj={"clock": FakeClock(POSTED)})
    assert posted.exit_code == 0, posted.output
    assert "type details" not in posted.output
    buyer = person(load_config(EXAMPLE_CONFIG), Role.BUYER).locale
    assert set(details_lines(example_data, buyer)) <= lines_of(posted.output)
