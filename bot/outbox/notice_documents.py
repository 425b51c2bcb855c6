"""A notice version's PDF, rendered once and then reused by every delivery attempt; and a
visit's report PDF, rendered afresh for each request (it tells what stands when asked).

Rendering costs about 0.23 s per photo and holds the GIL, so it runs in the CPU pool, and
only the first attempt to deliver a version pays for it: retries, the version's copies on
other platforms (and, later, e-mail) send the stored bytes. The factory thus gets the same
document wherever it reads it. The outbox delivers chats side by side, so a version's
Telegram and Slack copies may ask for it at once: they share the one render in flight. A
crash between rendering and storing loses only the work: the next attempt renders again.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.cpu import CpuPool
from handlers.clock import Clock
from handlers.context import Settings
from handlers.queries.visit_record import visit_record
from handlers.views import View
from messages.i18n import Language
from storage.media import MediaStore

if TYPE_CHECKING:  # the web server's links are handed in when it runs (App.link_notices)
    from bot.web.links import NoticeLinks

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SharedLink:
    """A version's signed link as the buyer passes it on: the address, its QR code (a PNG in
    the media store, by SHA-256) and when it stops opening the page."""

    url: str
    qr: str
    expires: datetime


class NoticeDocuments:
    def __init__(self, store, media: MediaStore, cpu: CpuPool, clock: Clock, settings: Settings):
        self.store = store
        self.settings = settings
        self.media = media
        self.cpu = cpu
        self.clock = clock
        self._rendering: dict[tuple[int, int], asyncio.Task[bytes]] = {}
        self._preparing: set[asyncio.Task[None]] = set()
        self.links: NoticeLinks | None = None  # while the web server runs (App.link_notices)

    def link(self, view: View) -> str | None:
        """The factory's link to the version `view` shows, as its PDF prints it; None without
        the web server."""
        return self.links.as_sent(view) if self.links is not None else None

    async def shared(self, view: View) -> SharedLink | None:
        """The link the version's PDF carries, with its QR code, for the buyer to pass on.
        The code is drawn in the CPU pool (pure Python, tens of milliseconds) and written to
        disk in a thread: neither holds up the loop that answers taps."""
        url = self.link(view)
        if url is None:
            return None
        png = await self.cpu.call("messages.qr:qr_png", url)
        sha256 = hashlib.sha256(png).hexdigest()
        await asyncio.to_thread(self.media.put_bytes, png, sha256, "PNG")
        return SharedLink(url, sha256, self.links.expiry_as_sent(view))

    def prepare_photos(self, sha256s: list[str]) -> None:
        """Makes the print-size copies of photos just accepted (a posted visit's, a done
        report's) in the CPU pool, with nobody waiting: the notice PDF, HTML or visit report
        that shows them later decodes no camera photo, which was two thirds of a first notice
        PDF's time. Losing this head start (a crash, the bot stopping) costs only that: each
        document makes a copy it does not find."""
        task = asyncio.create_task(self._keep_thumbnails(sha256s), name="thumbnails")
        self._preparing.add(task)
        task.add_done_callback(self._preparing.discard)

    async def _keep_thumbnails(self, sha256s: list[str]) -> None:
        try:
            await self.cpu.call("messages.photos:keep_thumbnails", self.media, sha256s)
        except Exception:  # noqa: BLE001 - a head start only: the documents make what is missing
            log.warning("print-size copies of %d photos not made ahead", len(sha256s), exc_info=True)

    def close(self) -> None:
        """Stops making copies ahead: the pool is closing."""
        for task in self._preparing:
            task.cancel()

    async def pdf(self, view: View) -> bytes:
        """The PDF of the version `view` shows (a view loaded for that version)."""
        notice_id, version = view.notice.id, view.notice.version
        async with self.store.unit_of_work() as uow:
            stored = await uow.notice_pdfs.get(notice_id, version)
        if stored is not None:
            return stored
        key = (notice_id, version)
        if key not in self._rendering:
            self._rendering[key] = asyncio.create_task(self._render(view), name=f"notice-pdf-{notice_id}-{version}")
            self._rendering[key].add_done_callback(lambda _: self._rendering.pop(key, None))
        # shield: one attempt giving up (its send cancelled) must not cancel the others' render
        return await asyncio.shield(self._rendering[key])

    async def visit_report(self, view: View, language: Language) -> tuple[str, bytes]:
        """The file name and PDF of the report of the visit `view` shows, for `language`'s
        reader, as things stand now; drawn in the CPU pool (the chart, the photos)."""
        async with self.store.unit_of_work() as uow:
            record = await visit_record(uow, self.settings, view.visit, self.clock.now())
        content = await self.cpu.call("messages.report_pdf:visit_report_pdf", record, language, self.media)
        log.info("visit report of %s rendered (%d bytes)", record.visit.order_reference, len(content))
        return record.file_name, content

    async def _render(self, view: View) -> bytes:
        notice_id, version = view.notice.id, view.notice.version
        rendered = await self.cpu.call("messages.pdf:notice_pdf", view, self.media, self.link(view))
        log.info("notice %s version %s: PDF rendered (%d bytes), kept for every delivery", view.notice.number,
                 version, len(rendered))
        async with self.store.unit_of_work() as uow:
            stored = await uow.notice_pdfs.keep(notice_id, version, rendered, self.clock.now())
            await uow.commit()
        return stored
