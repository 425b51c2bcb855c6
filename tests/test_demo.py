"""The demo, end to end: what a newcomer sees when they run `./dev demo`."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from bot.cli import main


def test_the_demo_runs_the_whole_flow_and_writes_the_notice(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["demo", "--dir", str(tmp_path / "data"), "--out", str(out)])

    assert result.exit_code == 0, result.output
    text = result.output
    steps = [
        "1. The inspector posts the visit report",
        "2. The buyer decides each proposed instruction",
        "3. The buyer sends the corrective notice",
        "4. The factory acknowledges",
        "5. Order status by message",
    ]
    assert [s in text for s in steps] == [True] * len(steps)
    assert "Status: AT RISK" in text
    assert "Gap: 17.0 percentage points" in text
    assert "MA major · AQL 2.5: sample 125, Ac 7 / Re 8, found 9 → FAIL" in text
    assert "Already approved by Anna Schmidt" in text
    assert "抱歉，您的角色（工厂联系人）无权执行此操作。" in text
    assert "整改通知书 CN-2026-0001（第1版）" in text
    assert "acknowledged notice CN-2026-0001" in text
    assert "Did you mean: PO-2026-0142?" in text
    html = (out / "CN-2026-0001.html").read_text(encoding="utf-8")
    assert "宁波常青家居用品有限公司" in html and "Ningbo Evergreen Homeware Co., Ltd." in html
    assert html.index("整改通知书") < html.index("CORRECTIVE NOTICE")
    assert (out / "CN-2026-0001.txt").read_text(encoding="utf-8").startswith("整改通知书 CN-2026-0001")
