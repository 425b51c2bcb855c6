"""The demo, end to end: what a newcomer sees when they run `./dev demo`."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli.followup import main


@dataclass(frozen=True)
class Demo:
    text: str
    out: Path

    def section(self, title: str) -> str:
        """The output under one numbered heading, up to the next one."""
        start = self.text.index(title)
        following = re.search(r"\n═══ \d+\. ", self.text[start:])
        return self.text[start:start + following.start()] if following else self.text[start:]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    tmp_path = tmp_path_factory.mktemp("demo")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["demo", "--dir", str(tmp_path / "data"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return Demo(result.output, out)


def test_the_demo_runs_the_whole_flow_and_writes_the_notice(demo: Demo) -> None:
    text = demo.text
    steps = [
        "1. The inspector posts the visit report",
        "2. The buyer approves all proposed instructions, then changes two",
        "3. The buyer sends the corrective notice",
        "4. The factory does not answer: a reminder in its working hours",
        "5. Two days without an answer: the buyer is alerted and gives more time",
        "6. The factory acknowledges and gives completion dates",
        "7. Done, with photos: the buyer verifies one and reopens another",
        "8. A date passes without a done report: the overdue alert",
        "9. Order status by message",
    ]
    assert [s in text for s in steps] == [True] * len(steps)
    assert "Status: AT RISK" in text
    assert "Progress: verified 48.0 % · reported 65.0 % · gap 17.0 pts" in text
    assert "type details PO-2026-0142" in text  # the console's summary is abridged: its details are a command away
    assert "抱歉，您的角色（工厂联系人）无权执行此操作。" in text
    assert "整改通知书 CN-2026-0001（第1版）" in text
    assert "acknowledged notice CN-2026-0001" in text
    assert "Did you mean: PO-2026-0142?" in text
    html = (demo.out / "CN-2026-0001.html").read_text(encoding="utf-8")
    assert "宁波常青家居用品有限公司" in html and "Ningbo Evergreen Homeware Co., Ltd." in html
    assert html.index("整改通知书") < html.index("CORRECTIVE NOTICE")
    assert (demo.out / "CN-2026-0001.txt").read_text(encoding="utf-8").startswith("整改通知书 CN-2026-0001")


def test_the_buyer_approves_all_in_one_tap_and_may_still_change_one_before_sending(demo: Demo) -> None:
    deciding = demo.section("2. The buyer approves all")
    assert "Approved as proposed: 7 instructions (F1, F2, F3, M3, P1, P2, P3)." in deciding
    double = deciding.index("approve all again (a double tap)")
    assert "Nothing left to approve for PO-2026-0142: every instruction is decided." in deciding[double:]
    assert "✎ F2: approved with changes" in deciding and "✘ F3: rejected" in deciding
    assert re.search(r"\[\d+\] Send notice \(6\)", deciding), "the rejected one leaves six to send"


def test_the_demo_ends_counting_the_taps_each_person_pressed(demo: Demo) -> None:
    counted = demo.section("11. The taps each person made")
    assert "» Chen Jing (inspector): 0 taps" in counted
    assert "» Anna Schmidt (buyer): 11 taps: Approve all (7), Approve all (7) (refused), Edit, Reject," in counted
    assert "» Li Wei (factory): 8 taps: 确认收到, 更新整改进度, F1 承诺完成日期," in counted
    for name in ("Chen Jing", "Anna Schmidt", "Li Wei"):  # the count is of the taps the story told
        told = len(re.findall(rf"^» {name} taps \[\d+\]", demo.text, re.MULTILINE))
        assert re.search(rf"^» {name} \(\w+\): {told} taps?\b", counted, re.MULTILINE), name


def test_the_readmes_tap_counts_are_what_the_demo_prints(demo: Demo) -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    on_a_phone = readme[readme.index("## On a phone"):readme.index("## Running on Slack")]
    counted = demo.section("11. The taps each person made")
    printed = [line for line in on_a_phone.splitlines() if line.startswith("» ")]
    assert len(printed) == 3 and all(line in counted for line in printed)
    pressed = {re.match(r"» [^(]+\((\w+)\)", line)[1]: line for line in printed}
    rows = re.findall(r"^\|[^|]+\| (buyer|factory) \| 1: ([^|]+?) \|$", on_a_phone, re.MULTILINE)
    assert len(rows) == 3 and "更新整改进度" in pressed["factory"]
    for who, tapped in rows:  # each of the table's taps is one the demo's person made
        assert f": {tapped}" in pressed[who] or f", {tapped}" in pressed[who], (who, tapped)


def test_the_buyers_note_in_english_only_holds_the_notice_until_they_give_its_chinese(demo: Demo) -> None:
    sending = demo.section("3. The buyer sends the corrective notice")
    held = sending.index("⚠ 1 text will reach the factory in English only — add Chinese?")
    assert "Not sent yet: 1 text would reach the factory in English only." in sending[:held]
    assert '[F2] note: “Correct the backstamp screen before the next firing;' in sending[held:]
    added = sending.index("Chinese added for F2 (note); every text of it now has its Chinese.")
    assert held < added < sending.index("Notice CN-2026-0001 sent to the factory with 6 instructions.")
    notice = (demo.out / "CN-2026-0001.txt").read_text(encoding="utf-8")
    assert "备注：下一窑烧成前更正底标丝网版；请发送第一件更正后产品的照片。" in notice
    assert "【原文（英文）】" not in notice.split("CORRECTIVE NOTICE")[0]
    # A file has no buttons: each part sends the factory to the notice's page, its link below.
    chinese, english = notice.split("CORRECTIVE NOTICE")
    assert "请打开下方的整改通知书链接，点击“确认收到”确认收到本整改通知书。" in chinese and "按钮" not in chinese
    assert "Open the notice link below and press “确认收到” (Acknowledge)" in english and "button" not in english
    assert all(re.search(r"open the notice|打开整改通知书", part) and "/n/" in part for part in (chinese, english))


def test_the_reminder_waits_for_the_factory_morning_and_is_in_chinese(demo: Demo) -> None:
    waiting = demo.section("4. The factory does not answer")
    # Sent Tue 19:44 in Ningbo: the deadline falls after hours, the reminder goes at 08:30.
    assert "🕒 Wed 25 Nov 12:44 CET for Anna Schmidt (buyer) · Wed 25 Nov 19:44 Beijing time at the factory" in waiting
    assert "the reminder waits for Thu 26 Nov 08:30 Beijing time" in waiting
    clock, reminder = waiting.index("· Thu 26 Nov 08:30 Beijing time at the factory"), waiting.index("⏰ 催办提醒")
    assert clock < reminder
    assert waiting.count("┌─ to factory NB-EVERGREEN") == 1
    assert "⋯（另有8行）" in waiting  # the notice's instructions were shown in full in section 3; its chat reads Chinese


def test_after_48_hours_the_buyer_is_alerted_and_extends_the_deadline_with_a_tap(demo: Demo) -> None:
    escalated = demo.section("5. Two days without an answer")
    assert "⚠ Ningbo Evergreen Homeware Co., Ltd. has not answered notice CN-2026-0001" in escalated
    assert "1 reminder sent, no answer yet." in escalated
    assert re.search(r"\[(\d+)\] Remind again  \[(\d+)\] Extend by 24 h  \[(\d+)\] Withdraw notice", escalated)
    assert re.search(r"Anna Schmidt taps \[\d+\] extend by 24 h", escalated)
    assert "The factory now has until 27 Nov 2026, 12:56 CET to acknowledge notice CN-2026-0001." in escalated
    assert "⏳ 整改通知书CN-2026-0001：买方已延长确认收到期限" in escalated


def test_the_factory_answers_and_a_later_date_is_the_buyers_to_accept(demo: Demo) -> None:
    answered = demo.section("6. The factory acknowledges")
    assert re.search(r"Li Wei taps \[\d+\] acknowledge", answered)
    assert "谢谢，已记录承诺完成日期：最迟于2026年11月28日（含当日）完成。" in answered
    assert "📅 Ningbo Evergreen Homeware Co., Ltd. asks for more time on M3" in answered
    assert "Done: the completion date 3 Dec 2026 is accepted; the factory has been told." in answered
    assert "📅 PO-2026-0142，M3：承诺完成日期2026年12月3日（已确认）" in answered


def test_a_done_report_shows_its_evidence_and_the_buyer_verifies_or_reopens(demo: Demo) -> None:
    done = demo.section("7. Done, with photos")
    verified, reopened = done.split("reports P2 done")
    assert "📷 F2 reported done by the factory — Li Wei, 27 Nov 2026, 09:34 CET" in verified
    assert "Photos from the visit: f2-backstamp.jpg" in verified
    assert "Evidence from the factory: 1 photo" in verified
    assert "the same file as the visit photo" not in verified  # a new photo, not the inspection's
    assert re.search(r"Anna Schmidt taps \[\d+\] verify\n  ↳ bot to Anna Schmidt: Verified\.", verified)

    assert "⚠ the same file as the visit photo p2-side-mark.jpg" in reopened
    assert re.search(r"Anna Schmidt taps \[\d+\] reopen", reopened)
    assert "↺ 买方已退回P2，要求重新整改 — Anna Schmidt，北京时间2026年11月28日 15:32" in reopened
    assert "  退回原因：【原文（英文）】This is the inspection photo of the wrong side mark" in reopened
    assert "请重新整改，完成后附新照片再次报告整改完成。" in reopened


def test_an_overdue_instruction_is_alerted_once(demo: Demo) -> None:
    late = demo.section("8. A date passes without a done report")
    assert late.count("⏱ PO-2026-0142: 1 instruction overdue at Ningbo Evergreen Homeware Co., Ltd.") == 1
    assert "Sat 28 Nov 17:00 CET for Anna Schmidt (buyer) · Sun 29 Nov 00:00 Beijing time at the factory" in late
    assert "[F1] Sort every finished unit" in late
    status = demo.section("9. Order status by message")
    assert "Open findings: 1 MA major" in status  # F2 verified, F3 rejected: only F1 is still open


LINK = re.compile(r"http://127\.0\.0\.1:(\d+)/n/1\.1\.NB-EVERGREEN\.\d+\.\d+\.[A-Za-z0-9_-]{43}")


def test_the_buyer_sees_the_factorys_link_beside_the_notice_and_the_demo_lists_its_pages(demo: Demo) -> None:
    sent = demo.section("3. The buyer sends the corrective notice")
    shared = sent[sent.index("🔗 The factory's link to notice CN-2026-0001"):]
    link = LINK.search(shared)
    assert link and sent.index("✉ Notice CN-2026-0001") < sent.index("🔗")
    pages = demo.section("10. The pages on this machine")
    assert f"» the factory's page for notice CN-2026-0001 (version 1): {link[0]}" in pages
    form = re.search(r"» Chen Jing's visit form for the next visit to PO-2026-0142: (http://127\.0\.0\.1:(\d+)/v/"
                     r"[A-Za-z0-9_-]{16,40}\.\d+\.[A-Za-z0-9_-]{43})", pages)
    assert form and form[2] == link[1], "the form is on the same server as the page"
    assert "./dev demo --serve" in pages
    with pytest.raises(OSError):  # the plain demo ends by itself, its server with it
        socket.create_connection(("127.0.0.1", int(link[1])), timeout=2).close()


def test_each_demo_signs_its_links_with_a_secret_of_its_own(demo: Demo, tmp_path: Path) -> None:
    again = CliRunner().invoke(main, ["demo", "--dir", str(tmp_path / "data"), "--out", str(tmp_path / "out")])
    assert again.exit_code == 0, again.output
    first, second = (LINK.search(text)[0].rsplit(".", 1)[1] for text in (demo.text, again.output))
    assert first != second


def test_demo_serve_keeps_the_factorys_page_up_until_ctrl_c(tmp_path: Path) -> None:
    command = [sys.executable, "-c", "from bot.cli.followup import main; main()", "demo", "--serve",
               "--dir", str(tmp_path / "data"), "--out", str(tmp_path / "out")]
    demo = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"}, cwd=Path(__file__).parent.parent)
    try:
        seen = []
        for line in demo.stdout:
            seen.append(line)
            if "stays up on http://127.0.0.1:" in line:
                break
        link = LINK.search("".join(seen))
        assert link, "".join(seen[-20:])
        direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, never a proxy
        with direct.open(link[0], timeout=10) as page:
            html = page.read().decode()
        assert page.status == 200 and "整改通知书 CN-2026-0001" in html, "the page reads the demo's store"
        assert demo.poll() is None, "still serving after the story"
        demo.send_signal(signal.SIGINT)
        rest, _ = demo.communicate(timeout=30)
    finally:
        if demo.poll() is None:
            demo.kill()
    assert demo.returncode == 0 and "Stopped." in rest
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", int(link[1])), timeout=2).close()


def test_a_port_in_use_or_out_of_range_is_named_and_no_story_is_played(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = CliRunner().invoke(main, ["demo", "--port", str(port), "--dir", str(tmp_path / "data"),
                                         "--out", str(tmp_path / "out")])
    assert busy.exit_code == 1 and f"cannot listen on 127.0.0.1:{port}" in busy.output
    assert "1. The inspector posts" not in busy.output and not (tmp_path / "out").exists()
    wrong = CliRunner().invoke(main, ["demo", "--port", "70000", "--dir", str(tmp_path / "data")])
    assert wrong.exit_code == 2 and "--port" in wrong.output
