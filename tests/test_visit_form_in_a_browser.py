"""An inspector fills a visit in on a phone-sized browser (Debian's chromium, driven by
Playwright, never downloaded): three findings with camera photos and a proposed instruction,
a reload half way that finds everything where it was left, an inline problem fixed beside its
field, and Post; the visit is stored and the buyer's chat gets its findings.

FOLLOWUP_SCREENS=1 keeps the screenshots under docs/screens/ for people to look at."""

from __future__ import annotations

import asyncio
import os

import pytest
from aiohttp.test_utils import TestServer

from bot.web.form_links import mint_form_token
from bot.web.server import web_application
from tests.conftest import EXAMPLE_VISIT
from tests.test_visit_form import COUNTS, drafts, open_form
from tests.test_web_in_a_browser import CHROMIUM, PHONE, SCREENS
from tests.test_web_notice_page import SIGNER

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (./dev test "
                                                                 "installs it as root)")
FINDINGS = [
    ("major", "finishing", "Glaze crawl on the rim of the mug", "125", "4", "f1-glaze-crawl-1.jpg"),
    ("minor", "labelling", "Backstamp smudged on the base", "125", "6", "f2-backstamp.jpg"),
    ("major", "finishing", "Glaze colour darker than the approved sample", "125", "9", "f3-colour.jpg"),
]


@pytest.fixture
async def phone(app, config, tmp_path):
    """The form of a freshly opened draft in a 360×740 browser; yields (page, shot)."""
    from playwright.async_api import async_playwright

    opened = await open_form(app, config)
    token = mint_form_token(SIGNER, opened.params["draft_id"], app.bus.clock.now(), 14)
    server = TestServer(web_application(app, SIGNER, lambda: None), host="127.0.0.1")
    await server.start_server()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        context = await browser.new_context(viewport=PHONE, device_scale_factor=2, locale="en-GB")
        page = await context.new_page()
        await page.goto(str(server.make_url(f"/v/{token}")))

        async def shot(name: str) -> None:
            folder = SCREENS if os.environ.get("FOLLOWUP_SCREENS") else tmp_path
            folder.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(folder / name))

        try:
            yield page, shot
        finally:
            await browser.close()
            await server.close()


async def saved(page) -> None:
    """Every autosave answered: the page says when it last saved."""
    await page.wait_for_load_state("networkidle")


async def fill_finding(page, i: int, severity, category, description, checked, affected, photo) -> None:
    await page.get_by_role("button", name="Add a finding").click()
    await page.wait_for_load_state()
    item = f"findings.{i}"
    await page.select_option(f'select[name="{item}.severity"]', severity)
    await page.select_option(f'select[name="{item}.category"]', category)
    await page.fill(f'textarea[name="{item}.description"]', description)
    await page.fill(f'input[name="{item}.units_checked"]', checked)
    await page.fill(f'input[name="{item}.units_affected"]', affected)
    await saved(page)
    await page.set_input_files(f'input[id="photo-{item}"]', str(EXAMPLE_VISIT / photo))  # submits itself
    await page.wait_for_load_state()
    await page.locator(f'[id="i-{item}"] .photos img').wait_for()


async def test_an_inspector_fills_a_visit_on_a_phone_and_posts_it(app, phone, transcript) -> None:
    page, shot = phone
    for path, value in COUNTS.items():
        await page.fill(f'input[name="{path}"]', value)
    await saved(page)
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # nothing off the side
    for i, finding in enumerate(FINDINGS[:2]):
        await fill_finding(page, i, *finding)

    await page.reload()  # half way: a dropped connection, a closed tab, another phone
    assert await page.input_value('input[name="progress.daily_output"]') == "200"
    assert await page.input_value('textarea[name="findings.1.description"]') == FINDINGS[1][2]
    assert await page.locator(".photos img").count() == 2

    await fill_finding(page, 2, *FINDINGS[2])
    await page.select_option('select[name="findings.0.instruction.kind"]', "rework")  # the page shows its fields
    await page.wait_for_load_state()
    await page.fill('input[name="findings.0.instruction.params.quantity"]', "4")
    await page.fill('input[name="findings.0.instruction.due"]', "2026-11-30")
    await page.fill('input[name="findings.2.units_affected"]', "300")
    problem = page.locator('[data-path="findings.2.units_affected"] .problems li')
    await problem.wait_for()
    assert await problem.inner_text() == "300 units affected but only 125 checked"
    await page.locator('[id="i-findings.2"]').scroll_into_view_if_needed()
    await shot("visit-form-inline-problem.png")

    preview = page.locator('[id="i-findings.0"] .preview .text')
    await preview.wait_for()
    assert await preview.inner_text() == "4件不良品须返工，直至符合确认样要求。"  # as the factory will read it
    await page.fill('input[name="findings.2.units_affected"]', "9")
    await problem.wait_for(state="detached")
    await page.get_by_role("button", name="Post the visit").click()
    await page.wait_for_load_state()
    assert "Visit for PO-2026-0142 posted with 1 proposed instruction." in await page.get_by_role(
        "status").inner_text()
    await shot("visit-form-posted.png")

    (draft,) = drafts(app)
    async with app.store.unit_of_work() as uow:
        visit = await uow.visits.get(draft["visit_id"])
    assert visit.order_reference == "PO-2026-0142" and len(visit.report.findings) == 3
    assert len(visit.photos) == 3
    await app.dispatcher.deliver_pending()
    assert "Glaze crawl on the rim of the mug" in transcript.text and "F3" in transcript.text


async def test_after_a_refused_post_the_page_still_saves_each_change(app, phone) -> None:
    page, _ = phone
    await page.fill('input[name="progress.counted_complete"]', "7000")  # above the order's 6,000
    await saved(page)
    await page.get_by_role("button", name="Post the visit").click()
    await page.wait_for_url("**/submit?**")  # the refusal is answered at the submit address
    assert "problems to fix before posting." in await page.locator("#errors").inner_text()
    async with page.expect_response(lambda response: "/field" in response.url) as autosaved:
        await page.fill('input[name="progress.counted_complete"]', "2880")
        await page.press('input[name="progress.counted_complete"]', "Tab")
    assert (await autosaved.value).status == 200, (await autosaved.value).url
    await page.locator("#saved", has_text="Saved at").wait_for()
    assert '"counted_complete": 2880' in drafts(app)[0]["report"]


async def test_a_change_made_just_before_post_is_what_is_posted(app, phone) -> None:
    """The change's save is still on its way (a slow connection) when Post is pressed: Post
    waits for it, so the visit holds the corrected count, not the one before."""
    page, _ = phone
    for path, value in {**COUNTS, "progress.counted_complete": "2000"}.items():
        await page.fill(f'input[name="{path}"]', value)
        await page.press(f'input[name="{path}"]', "Tab")
    await saved(page)

    async def slowly(route) -> None:
        await asyncio.sleep(0.6)
        await route.continue_()
    await page.route("**/field?**", slowly)
    await page.fill('input[name="progress.counted_complete"]', "2880")
    await page.press('input[name="progress.counted_complete"]', "Tab")  # its save starts, and is slow
    await page.get_by_role("button", name="Post the visit").click()
    await page.wait_for_url("**/submit?**")
    assert "posted" in await page.get_by_role("status").inner_text()
    assert await page.locator("#saved").count() == 0, "a posted visit's page no longer says it saves"
    async with app.store.unit_of_work() as uow:
        visit = await uow.visits.get(drafts(app)[0]["visit_id"])
    assert visit.report.progress.counted_complete == 2880
