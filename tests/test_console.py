"""`followup console`: a person plays each part at the keyboard, tapping buttons by number."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from bot.cli.followup import main
from tests.conftest import EXAMPLE_CONFIG, EXAMPLE_VISIT, example_config_file


def console_config(tmp_path: Path) -> Path:
    return example_config_file(tmp_path / "followup.toml", f"sqlite:///{tmp_path / 'console.sqlite3'}")


def play(tmp_path: Path, keys: list[str]) -> str:
    """Types `keys` into `followup console`, then quit; returns what the console printed."""
    result = CliRunner().invoke(main, ["console", "--config", str(console_config(tmp_path)), "--out", str(tmp_path)],
                                input="\n".join([*keys, "quit"]) + "\n")
    assert result.exit_code == 0, result.output
    return result.output


def test_a_person_posts_a_visit_taps_buttons_and_asks_for_status(tmp_path: Path) -> None:
    out = play(tmp_path, [
        "help",
        f"post {EXAMPLE_VISIT / 'report.yaml'}",
        "3",            # the buyer approves F1 ([1] is the summary's Approve all, [2] its visit report)
        "3",            # and taps the same (now stale) button again
        "as factory",
        "6",            # the factory tries to approve F2
        "PO-2026-0142 进度",
        "as buyer",
        "8",            # reject F2: no reason asked
        "what's up?",
    ])
    assert "post PATH" in out                                   # help
    assert "Visit for PO-2026-0142 posted with 7 proposed instructions." in out
    assert "bot to Anna Schmidt: Approved." in out
    assert "bot to Anna Schmidt: Already approved by Anna Schmidt" in out
    assert "bot to Li Wei: 抱歉，您的角色（工厂联系人）无权执行此操作。" in out
    assert "状态：有风险" in out
    assert "bot to Anna Schmidt: Rejected." in out
    assert "(not understood; type help)" in out


def test_the_console_keeps_its_data_between_sessions(tmp_path: Path) -> None:
    config = console_config(tmp_path)
    runner = CliRunner()
    runner.invoke(main, ["console", "--config", str(config)], input=f"post {EXAMPLE_VISIT / 'report.yaml'}\nquit\n")
    again = runner.invoke(main, ["console", "--config", str(config)], input="/orders\nquit\n")
    assert "1. PO-2026-0142" in again.output


def test_posting_the_same_report_twice_makes_one_visit(tmp_path: Path) -> None:
    post = f"post {EXAMPLE_VISIT / 'report.yaml'}"
    result = CliRunner().invoke(
        main, ["console", "--config", str(console_config(tmp_path))], input=f"{post}\n{post}\n/orders\nquit\n"
    )
    assert "This report was already posted for PO-2026-0142; nothing was changed." in result.output
    assert result.output.count("[F1] MA major") == 1
    assert "2. PO-2026" not in result.output


def test_the_factory_reports_f1_done_with_a_photo_file_and_the_buyer_verifies(tmp_path: Path) -> None:
    photo = tmp_path / "IMG_0001.jpg"
    photo.write_bytes((EXAMPLE_VISIT / "f1-glaze-crawl-1.jpg").read_bytes()[:-10] + b"\xff\xd9" * 5)
    out = play(tmp_path, [
        f"post {EXAMPLE_VISIT / 'report.yaml'}",
        *(str(n) for n in (3, 6, 9, 12, 15, 18, 21)),  # the buyer approves every finding
        "38",           # and sends the notice
        "as factory",
        "39",           # acknowledges it
        "41",           # 更新整改进度: the choices, printed
        "43",           # F1 done, with photos
        str(tmp_path / "missing.jpg"),
        "43",
        str(EXAMPLE_CONFIG),  # not a photo
        "43",
        str(photo),
        "as buyer",
        "57",           # Verify
    ])
    assert "[41] 更新整改进度" in out and "[43] F1 整改完成（附照片）" in out
    assert f"bot to Li Wei: 无法读取{tmp_path / 'missing.jpg'}，请输入照片文件的路径。" in out
    assert ("bot to Li Wei: 照片未被接收：不是图片：文件内容不是JPEG、PNG或HEIC格式。"
            "请发送整改后产品的照片（JPEG、PNG或HEIC格式，不超过10 MB）。") in out
    assert "bot to Li Wei: 谢谢，已报告整改完成，买方将进行验收。" in out
    assert "F1 reported done by the factory — Li Wei" in out
    assert "Evidence from the factory: 1 photo" in out and "[57] Verify  [58] Reopen" in out
    assert "bot to Anna Schmidt: Verified." in out
    assert "买方已验收" in out.split("bot to Anna Schmidt: Verified.")[1]
