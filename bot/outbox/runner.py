"""One outbox message shown on one surface, step by step as the plan of its kind says.

The steps render the view for the surface and call its primitives; what a later change
needs is remembered as the adapters always did: the reference of the message that shows a
subject (bot/outbox/message_refs.py), and each platform call as a part of the message's
`Progress`, so a retry after a failure sends only what is missing. Edits are not parts:
repeating one changes nothing.
"""

from __future__ import annotations

import dataclasses

from bot.outbox.message_refs import MessageRefs, findings_shown, shown_finding, subject_of
from bot.outbox.notice_documents import NoticeDocuments
from bot.outbox.plan import (
    PLANS, POST_ONLY, UNCHANGING, AttachPdf, AttachVisitReport, EditEarlier, Post, PostTogether, RefreshItems,
    RefreshSummary, ShareLink, Step, SwapButtons,
)
from bot.outbox.progress import Progress
from bot.outbox.summary_refresh import SummaryRefresh
from bot.outbox.surface import Draft, EditingSurface, Surface, Target
from handlers.model import OutgoingMessage
from handlers.model.message_kinds import MessageKind
from handlers.views import Item, View, items_of
from messages.buttons import buttons_for
from messages.environment import render
from messages.i18n import Language
from messages.render import Rendered, render_view

# Findings to one message in a crowded chat: on a phone, the buttons under five findings are
# a scroll from the first of them; more would bury them.
TOGETHER = 5
# What a finding's text grows by once decided ("Decision: approved — who, when"), kept free in
# a message of several so that their edits still fit it.
DECISION_ROOM = 120


class PlanRun:
    def __init__(self, surface: Surface, refs: MessageRefs | None, documents: NoticeDocuments | None,
                 progress: Progress, summaries: SummaryRefresh | None = None):
        """Without `refs` the surface keeps no references: each message is posted as itself.
        `summaries`: whether a later message refreshes a summary (without: each refreshes it)."""
        self.surface = surface
        self.refs = refs
        self.documents = documents
        self.progress = progress
        self.summaries = summaries
        self._message: OutgoingMessage | None = None
        self._edited: set[str] = set()  # messages of several findings already rewritten in this run

    async def deliver(self, message: OutgoingMessage, view: View) -> str | None:
        """Runs the plan; returns the reference of the message itself (its first step's)."""
        self._message, language = message, Language(message.locale, message.timezone)
        to = Target(message.destination, await self.surface.chat(message.destination), view, language,
                    subject_of(view))
        first, *rest = PLANS[view.kind] if self.refs is not None else UNCHANGING.get(view.kind, POST_ONLY)
        reference = await self._run(first, to, None)
        for step in rest:
            await self._run(step, to, reference)
        return reference

    async def _run(self, step: Step, to: Target, reference: str | None) -> str | None:
        match step:
            case Post():
                return await self._post(to)
            case EditEarlier(shown_as=shown_as):
                return await self._edit_earlier(to, shown_as)
            case SwapButtons(shown_as=shown_as):
                return await self._swap_buttons(to, shown_as)
            case AttachPdf():
                return await self._attach_pdf(to, reference)
            case AttachVisitReport():
                return await self._attach_visit_report(to, reference)
            case ShareLink():
                return await self._share_link(to)
            case RefreshItems(shown_as=shown_as):
                return await self._refresh_items(to, shown_as)
            case RefreshSummary():
                return await self._refresh_summary(to)
            case PostTogether(shown_as=shown_as):
                return await self._post_together(to, shown_as)
            case _:
                raise TypeError(f"no such step: {step!r}")

    async def _post(self, to: Target) -> str | None:
        rendered = self._render(to)
        photos = ()
        if rendered.photos and self.surface.limits.shows_photos:
            photos = await self.surface.send_photos(to, rendered.photos, self._caption(to), self.progress)
        draft = Draft(rendered.text, self.surface.limits.messages(rendered.text), rendered.buttons, photos,
                      details=rendered.details)
        reference = await self.surface.send_text(to, draft, self.progress)
        if self.refs is not None and to.subject:
            await self.refs.remember(to.destination, to.subject, reference)
        return reference

    async def _edit_earlier(self, to: Target, shown_as: MessageKind) -> str:
        surface: EditingSurface = self.surface
        text = self._render(to, shown_as).text
        buttons = buttons_for(to.view, to.language)  # the message's own kind's, without rendering it
        reference, shown = await self.refs.find_shown(to.destination, to.subject)
        if reference is not None and await self._edit(to, reference, findings_shown(shown), text, buttons):
            return reference
        draft = Draft(text, surface.limits.messages(text), buttons, again=True)
        reference = await surface.send_text(to, draft, self.progress)
        await self.refs.remember(to.destination, to.subject, reference)
        return reference

    async def _edit(self, to: Target, reference: str, together: list[str], text: str, buttons) -> bool:
        """The message `reference` shows `text` and `buttons`; or, where it shows several
        findings (`together`: a crowded chat's), all of them as they stand now, once in this run."""
        surface: EditingSurface = self.surface
        if len(together) < 2:
            return await surface.edit(to, reference, text, buttons)
        if reference not in self._edited:
            view = dataclasses.replace(to.view, kind=MessageKind.FINDINGS, items=items_of(to.view, together))
            rendered = self._render(dataclasses.replace(to, view=view))
            if not await surface.edit(to, reference, rendered.text, rendered.buttons):
                return False
            self._edited.add(reference)
        return True

    async def _post_together(self, to: Target, shown_as: MessageKind) -> str | None:
        first = None
        for n, batch in enumerate(self._batches(to)):
            shown = dataclasses.replace(to, view=dataclasses.replace(to.view, items=batch))
            rendered = self._render(shown)
            draft = Draft(rendered.text, self.surface.limits.messages(rendered.text), rendered.buttons)
            reference = await self.surface.send_text(shown, draft, self.progress.under(f"findings-{n}"))
            first = first or reference
            for it in batch:
                if self.refs is None:
                    continue
                await self.refs.remember(to.destination, shown_finding(to.view.visit.id, it.source), reference)
                if subject := self._one(to, it, shown_as).subject:  # what a decision edits
                    await self.refs.remember(to.destination, subject, reference)
        if self.surface.limits.shows_photos:
            for it in to.view.items:
                one = self._one(to, it, shown_as)
                if photos := one.view.shown_photos:
                    await self.surface.send_photos(one, photos, self._caption(one), self.progress.under(it.label))
        return first

    def _batches(self, to: Target) -> list[tuple[Item, ...]]:
        """The items in order, as many to a message as its text holds with room for each
        decision, and no more than TOGETHER."""
        batches: list[tuple[Item, ...]] = []
        batch: tuple[Item, ...] = ()
        for it in to.view.items:
            if batch and (len(batch) == TOGETHER or not self._fits(to, (*batch, it))):
                batches.append(batch)
                batch = ()
            batch = (*batch, it)
        return [*batches, batch] if batch else batches

    def _fits(self, to: Target, items: tuple[Item, ...]) -> bool:
        limits = self.surface.limits
        if limits.text is None:
            return True
        text = self._render(dataclasses.replace(to, view=dataclasses.replace(to.view, items=items))).text
        return limits.measure(text) + DECISION_ROOM * len(items) <= limits.text

    @staticmethod
    def _one(to: Target, item: Item, kind: MessageKind) -> Target:
        """One item of the target, as a message of `kind` about it alone shows it."""
        view = dataclasses.replace(to.view, kind=kind, items=(item,))
        return dataclasses.replace(to, view=view, subject=subject_of(view))

    async def _swap_buttons(self, to: Target, shown_as: MessageKind) -> str | None:
        surface: EditingSurface = self.surface
        reference = await self.refs.find(to.destination, to.subject)
        if not reference:
            return await self._post(to)
        earlier = self._render(to, shown_as)
        await surface.replace_buttons(to, reference, earlier.buttons, earlier.text, self._render(to).text)
        return reference

    async def _attach_pdf(self, to: Target, reference: str) -> None:
        if self.surface.limits.takes_files:
            await self.progress.part("document", lambda: self._send_pdf(to, reference))

    async def _send_pdf(self, to: Target, reference: str):
        content = await self.documents.pdf(to.view)
        return await self.surface.send_file(to, reference, f"{to.view.notice.number}.pdf", content)

    async def _attach_visit_report(self, to: Target, reference: str | None) -> None:
        if self.surface.limits.takes_files:
            await self.progress.part("document", lambda: self._send_visit_report(to, reference))

    async def _send_visit_report(self, to: Target, reference: str | None):
        name, content = await self.documents.visit_report(to.view, to.language)
        return await self.surface.send_file(to, reference, name, content)

    async def _share_link(self, to: Target) -> None:
        """The QR code captioned with the link where the caption holds it (Telegram); else the
        link's text, showing the QR code where the surface shows photos (Slack). Its parts are
        named apart from the message's own."""
        shared = await self.documents.shared(to.view) if self.documents is not None else None
        if shared is None:
            return
        text = render(self.surface.templates, "chat/notice_share.j2", to.language, self.surface.colour,
                      v=to.view, url=shared.url, expires=shared.expires)
        to, progress = dataclasses.replace(to, subject=None), self.progress.under("link")
        photos, caption = (), None
        if self.surface.limits.shows_photos:
            caption = self.surface.limits.caption_of(text)
            qr = ((f"{to.view.notice.number}-QR.png", shared.qr),)
            photos = await self.surface.send_photos(to, qr, caption, progress)
        if caption is None:
            await self.surface.send_text(to, Draft(text, self.surface.limits.messages(text), (), photos), progress)

    async def _refresh_items(self, to: Target, shown_as: MessageKind) -> None:
        for item in to.view.items:
            shown = self._one(to, item, shown_as)
            if await self.refs.find(to.destination, shown.subject) is not None:
                for step in PLANS[shown_as]:
                    if not isinstance(step, RefreshSummary):
                        await self._run(step, shown, None)

    async def _refresh_summary(self, to: Target) -> None:
        surface: EditingSurface = self.surface
        summary = dataclasses.replace(to.view, kind=MessageKind.VISIT_SUMMARY, items=())
        shown = dataclasses.replace(to, view=summary, subject=subject_of(summary))
        if self.summaries and await self.summaries.left_to_a_later_message(self._message, to.view.visit.id):
            return
        reference = await self.refs.find(to.destination, shown.subject)
        if reference is not None:
            # Rendering a summary of a hundred findings for each burst of decisions would make a
            # visit's decisions quadratic still: the text only where it is rewritten.
            text = "" if surface.buttons_keep_text else self._render(shown).text
            await surface.replace_buttons(shown, reference, buttons_for(summary, to.language), text, "")

    def _render(self, to: Target, kind: MessageKind | None = None) -> Rendered:
        """The target's view as the surface shows it; as `kind` shows it, when given."""
        view = dataclasses.replace(to.view, kind=kind) if kind else to.view
        return render_view(self.surface.templates, view, to.language, self.surface.colour, self.surface.answers,
                           self.surface.unfolded)

    def _caption(self, to: Target) -> str | None:
        """What the photos show, where the surface captions photos and it fits."""
        if self.surface.limits.caption is None:
            return None
        return self.surface.limits.caption_of(render(self.surface.templates, "chat/caption.j2", to.language,
                                                     it=to.view.item))
