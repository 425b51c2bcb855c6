"""A notice's photos are decoded once: their print-size copies are kept beside the media folder
by SHA-256, so drawing the PDF again (every delivery, `followup notice render`) decodes none."""

from __future__ import annotations

import asyncio
import os
import shutil

from messages.pdf import notice_pdf
from storage.media import MediaStore
from tests.pdf_reading import pdf_pages
from tests.telegram_world import running
from tests.test_notice_a_factory_can_act_on import sent_notice_view
from tests.test_telegram import post_example


async def test_a_second_pdf_of_the_same_photos_decodes_none_of_them(app, config, tmp_path) -> None:
    view = await sent_notice_view(app, config)
    first = notice_pdf(view, app.media)
    # Without the camera originals, only the kept copies can fill the photos in.
    shutil.move(app.media.root, tmp_path / "originals-elsewhere")
    assert app.media.find(next(iter(view.visit.photos.values()))) is None

    assert notice_pdf(view, app.media) == first


async def test_a_photo_not_stored_is_left_out_and_nothing_is_kept_for_it(app, config) -> None:
    view = await sent_notice_view(app, config)
    shutil.rmtree(app.media.root)

    assert "整改通知书" in pdf_pages(notice_pdf(view, app.media))[0]
    assert all(app.media.find_thumbnail(sha256) is None for sha256 in view.visit.photos.values())


def test_the_kept_copies_are_bounded_the_least_recently_used_dropped_first(tmp_path) -> None:
    media = MediaStore(tmp_path / "media", thumbnails_kept=2)
    a, b, c = ("a" * 64, "b" * 64, "c" * 64)
    for n, sha256 in enumerate((a, b)):
        path = media.keep_thumbnail(sha256, b"jpeg " + sha256.encode())
        os.utime(path, (1_000 + n, 1_000 + n))  # a kept first, then b
    media.find_thumbnail(a)  # a drawn again: now the most recent

    media.keep_thumbnail(c, b"jpeg c")

    assert media.find_thumbnail(b) is None
    assert media.find_thumbnail(a).read_bytes() == b"jpeg " + a.encode()
    assert media.find_thumbnail(c) is not None
    assert media.find_thumbnail(a).parent.parent == tmp_path / "thumbnails"  # beside media/, not in it


async def test_a_posted_visits_photos_are_made_print_size_ahead_so_its_first_notice_decodes_none(
        config, clock, monkeypatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)  # httpx honours them even for 127.0.0.1
    async with running(config, clock) as world:
        await post_example(world)
        media = world.app.media
        posted = {path.name.split(".")[0] for path in media.root.glob("*/*") if path.suffix != ".part"}
        assert posted
        for _ in range(1500):  # made in the CPU pool after the answer: waited for, not timed
            if all(media.find_thumbnail(sha256) for sha256 in posted):
                break
            await asyncio.sleep(0.02)
        assert all(media.find_thumbnail(sha256) for sha256 in posted)
