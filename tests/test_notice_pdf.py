"""The notice PDF a factory prints: Chinese first then English, photos, the number and
version and page numbers on every page, and Chinese glyphs embedded (no fonts needed)."""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path

from click.testing import CliRunner
from pypdf import PdfReader

from bot.cli.followup import main
from tests.conftest import example_config_file
from tests.pdf_reading import pdf_pages


def demo_notice(tmp_path: Path) -> tuple[bytes, Path]:
    out = tmp_path / "out"
    data = tmp_path / "data"
    result = CliRunner().invoke(main, ["demo", "--dir", str(data), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return (out / "CN-2026-0001.pdf").read_bytes(), data


def test_the_demo_writes_a_bilingual_a4_notice_with_photos_and_numbered_pages(tmp_path: Path) -> None:
    pdf, _ = demo_notice(tmp_path)
    reader = PdfReader(BytesIO(pdf))
    pages = pdf_pages(pdf)
    text = "\n".join(pages)

    assert text.index("整改通知书 CN-2026-0001（第1版）") < text.index("CORRECTIVE NOTICE CN-2026-0001, version 1")
    assert "整改措施：对所有成品进行全检，挑出的不良品须隔离存放。" in text
    assert "MA 主要缺陷" in text and "MA major" in text
    count = len(pages)
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {count}" in page and "CN-2026-0001" in page
        *body, _footer = page.split("\n")
        assert not re.match(r"\d+\. \[[A-Z]\d+\]", body[-1]), f"page {number} ends on an item's heading"
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (210, 297)  # A4
    images = sum(len(page.images) for page in reader.pages)
    assert images == 6 + 1  # the photos of the six instructions sent (F3 was rejected), once each; the QR code
    # The demo's web server runs: the first page carries the factory's link under the title.
    first = pages[0]
    assert first.index("整改通知书 CN-2026-0001（第1版）") < first.index("扫码查看整改通知书并在线回复")
    assert "Scan to view and answer this notice" in first
    assert re.search(r"http://127\.0\.0\.1:\d+/n/1\.1\.NB-EVERGREEN\.\d+\.\d+\.[A-Za-z0-9_-]{43}", first)


def test_the_chinese_font_is_embedded_so_no_reader_needs_one(tmp_path: Path) -> None:
    pdf, _ = demo_notice(tmp_path)
    reader = PdfReader(BytesIO(pdf))
    fonts = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            descendant = font.get_object()["/DescendantFonts"][0].get_object()
            fonts.append(descendant["/FontDescriptor"].get_object())
    assert fonts and all("/FontFile3" in f for f in fonts)  # CFF subset embedded
    assert len(pdf) < 2_000_000


def test_a_notice_is_rendered_again_by_number_in_each_format(tmp_path: Path) -> None:
    _, data = demo_notice(tmp_path)
    config = example_config_file(tmp_path / "followup.toml", f"sqlite:///{data / 'followup.sqlite3'}")
    runner = CliRunner()
    for form, suffix in (("pdf", "pdf"), ("html", "html"), ("text", "txt")):
        out = tmp_path / f"again.{suffix}"
        result = runner.invoke(main, ["notice", "render", "CN-2026-0001", "--format", form, "--config", str(config),
                                      "--out", str(out)])
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 1000
    unknown = runner.invoke(main, ["notice", "render", "CN-2099-0001", "--config", str(config), "--out", str(out)])
    assert unknown.exit_code == 2 and "no notice 'CN-2099-0001'" in unknown.output
    first = runner.invoke(main, ["notice", "render", "CN-2026-0001", "--version", "1", "--format", "text",
                                 "--config", str(config), "--out", str(out)])
    assert first.exit_code == 0 and out.read_text(encoding="utf-8").startswith("整改通知书 CN-2026-0001（第1版）")
    # A file has no buttons, and without the web server no link: the factory asks its buyer.
    text = out.read_text(encoding="utf-8")
    assert "如需确认收到或提出异议，请联系您的买方。" in text and "按钮" not in text
    assert "To acknowledge receipt or dispute, contact your buyer." in text and "button" not in text
    later = runner.invoke(main, ["notice", "render", "CN-2026-0001", "--version", "2", "--config", str(config),
                                 "--out", str(out)])
    assert later.exit_code == 2 and "notice CN-2026-0001 has no version 2" in later.output


def test_the_html_notice_stands_alone_with_its_photos_inline(tmp_path: Path) -> None:
    demo_notice(tmp_path)
    html = (tmp_path / "out" / "CN-2026-0001.html").read_text(encoding="utf-8")
    assert html.count('<img src="data:image/jpeg;base64,') == 6
    assert html.index("整改通知书") < html.index("<img") < html.index("CORRECTIVE NOTICE")
