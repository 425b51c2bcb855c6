"""The notice page in a real phone-sized browser (Debian's chromium, driven by Playwright; no
browser is ever downloaded): a factory manager reads the notice in Chinese, gives a name
once and acknowledges; another, with JavaScript off, disputes with a reason; a third reports an
instruction done with two photos from the phone.

FOLLOWUP_SCREENS=1 keeps the screenshots under docs/screens/ for people to look at."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from bot.web.server import web_application
from handlers.model import InstructionState, NoticeState
from tests.conftest import approve_and_send, post_example
from tests.test_web_done_photos import camera_photo
from tests.test_web_notice_page import SIGNER, link_to, stored

CHROMIUM = Path("/usr/bin/chromium")
PHONE = {"width": 360, "height": 740}
SCREENS = Path(__file__).resolve().parent.parent / "docs" / "screens"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (./dev test "
                                                                 "installs it as root)")


@pytest.fixture
async def page_of(app, config, tmp_path):
    """Opens the link to a freshly sent notice in a 360×740 browser; yields (page, notice_id, shot)."""
    from playwright.async_api import async_playwright

    notice_id = await approve_and_send(app, config, await post_example(app, config))
    server = TestServer(web_application(app, SIGNER, lambda: None), host="127.0.0.1")
    await server.start_server()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])

        async def opened(javascript: bool = True):
            context = await browser.new_context(viewport=PHONE, device_scale_factor=2, java_script_enabled=javascript,
                                                locale="zh-CN")
            page = await context.new_page()
            await page.goto(str(server.make_url(link_to(app, notice_id))))
            return page

        async def shot(page, name: str) -> None:
            path = tmp_path / name
            await page.screenshot(path=str(path), full_page=False)
            if os.environ.get("FOLLOWUP_SCREENS"):
                SCREENS.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, SCREENS / name)

        try:
            yield opened, notice_id, shot
        finally:
            await browser.close()
            await server.close()


async def named(page, name: str) -> None:
    """The contact gives their name once, as the page asks before anything else."""
    await page.locator("#name").fill(name)
    await page.get_by_role("button", name="继续").click()
    await page.wait_for_load_state()


async def test_a_factory_manager_acknowledges_on_a_phone(app, page_of) -> None:
    opened, notice_id, shot = page_of
    page = await opened()
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # nothing off the side
    await shot(page, "notice-page-zh.png")
    await named(page, "王经理")
    await page.get_by_role("button", name="确认收到").click()
    await page.wait_for_load_state()
    await shot(page, "notice-acknowledged-zh.png")
    assert await page.get_by_role("status").count() == 1
    notice, _, _ = await stored(app, notice_id)
    assert notice.state is NoticeState.ACKNOWLEDGED and notice.answered.by.endswith(":王经理")
    await page.reload()
    assert await page.locator("#name").count() == 0  # the name is kept: not asked again


async def test_a_factory_disputes_with_javascript_off(app, page_of) -> None:
    opened, notice_id, shot = page_of
    page = await opened(javascript=False)
    await named(page, "李伟")
    await page.locator("summary").click()
    await page.locator("#reason").fill("外箱唛头文字需买方确认后才能印刷。")
    await shot(page, "notice-dispute-zh.png")
    await page.get_by_role("button", name="提交异议").click()
    await page.wait_for_load_state()
    notice, _, _ = await stored(app, notice_id)
    assert (notice.state, notice.dispute_reason) == (NoticeState.DISPUTED, "外箱唛头文字需买方确认后才能印刷。")


async def test_a_factory_reports_f1_done_with_photos_from_the_phone(app, page_of) -> None:
    opened, notice_id, shot = page_of
    page = await opened(javascript=False)
    await named(page, "王经理")
    await page.get_by_role("button", name="确认收到").click()
    await page.wait_for_load_state()
    _, instructions, _ = await stored(app, notice_id)
    f1 = instructions[0].id
    photos = page.locator(f"#photos-{f1}")
    await photos.set_input_files([{"name": f"IMG_000{n}.jpg", "mimeType": "image/jpeg", "buffer": camera_photo(60 * n)}
                                  for n in (1, 2)])
    await photos.scroll_into_view_if_needed()
    await shot(page, "notice-done-photos-zh.png")
    await page.locator(f"#instruction-{f1}").get_by_role("button", name="提交整改完成（附照片）").click()
    await page.wait_for_load_state()
    assert "谢谢，已报告整改完成，买方将进行验收。" in await page.get_by_role("status").inner_text()
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await page.locator(f"#instruction-{f1}").scroll_into_view_if_needed()
    await shot(page, "notice-done-reported-zh.png")
    _, after, _ = await stored(app, notice_id)
    assert after[0].state is InstructionState.DONE and len(after[0].evidence) == 2
