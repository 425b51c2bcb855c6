"""The inspector's visit form over HTTP, behind a signed form link (bot/web/form_links.py).

Each field the page posts (one at a time from the autosave script, or a whole section from its
Save button when scripts are off) is written to the draft in its own transaction, and the page
or the JSON answer carries what the checks of `followup visit check` find, beside each field.
Submitting hands SubmitVisitDraft to the bus as the person who asked for the form.

A link that is not genuine is refused with 403, an expired one with 410, before anything is read.
"""

from __future__ import annotations

import asyncio
import functools
import io
from importlib.resources import files

from aiohttp import web

from bot.web.form_links import read_form_token
from bot.web.form_photos import receive_photo
from bot.web.form_refusals import (LAYOUT_CHANGED, LIST_FULL, NOT_A_FIELD, NOT_POSTED, POSTED,
                                   TOO_LARGE, TOO_MANY_FIELDS, FormRefused)
from bot.web.links import BadLink, ExpiredLink, LinkSigner
from bot.web.page import HEADERS as NOTICE_HEADERS
from bot.web.page import refused
from handlers.commands import Actor, SubmitVisitDraft
from handlers.intake.bundle import write_bundle
from handlers.intake.problems import errors
from handlers.model import Person, Platform
from handlers.model.drafts import VisitDraft
from handlers.visit_drafts import CheckedDraft, DraftClosed, check_draft, edit_draft
from handlers.visit_form import (MAX_ITEMS, LayoutChanged, ListFull, NotAField, field_type, fields_set, on_layout,
                                 with_item, without_item)
from messages.form import FormState, form_page, previews, problems_summary, saved_text
from messages.i18n import CHINESE, ENGLISH, Language
from handlers.rights import may
from handlers.text import file_safe
from handlers.translatable import Text
from messages.replies import reply_text

# As the notice page's, with the form's one script, from this server, and its autosave calls;
# Telegram Web shows a Mini App in a frame of its own page, so that page may frame the form.
HEADERS = {**NOTICE_HEADERS, "Content-Security-Policy": NOTICE_HEADERS["Content-Security-Policy"].replace(
    "frame-ancestors 'none'", "frame-ancestors https://web.telegram.org") + "; script-src 'self'; connect-src 'self'"}
SCRIPT = files("messages").joinpath("templates/form/form.js").read_text(encoding="utf-8")
LAYOUT = "layout"  # the posted name of the items the page showed: not a field
MAX_FIELDS = 200  # a section's Save posts a few dozen
MAX_BODY = 1024 * 1024  # a section of long Chinese notes, each character nine bytes once form-encoded
LIST_EDITS = {"add": ("section", with_item), "remove": ("item", without_item)}  # what names the list or item


def _said_on_the_page(route):
    """The route, with a refusal answered by the form page saying why, in the inspector's language
    (the autosave script reads only the status; a phone without scripts reads the page)."""

    @functools.wraps(route)
    async def answered(form: VisitForm, request: web.Request) -> web.StreamResponse:
        try:
            return await route(form, request)
        except FormRefused as refusal:
            draft = await form._open(request)
            said = refusal.text.render(form._language(request, draft))
            return await form._page(request, draft, (False, said), status=refusal.status)
    return answered


class VisitForm:
    def __init__(self, app, signer: LinkSigner, wake) -> None:
        self._app = app
        self._signer = signer
        self._wake = wake

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/static/form.js", self.script),
            web.get("/v/{token}", self.show),
            web.get("/v/{token}/photo/{sha256}", self.photo),
            web.get("/v/{token}/bundle.zip", self.bundle),
            web.post("/v/{token}/field", self.field),
            web.post("/v/{token}/save", self.save),
            web.post("/v/{token}/{edit:add|remove}", self.edit_list),
            web.post("/v/{token}/photo", self.upload),
            web.post("/v/{token}/submit", self.submit),
        ]

    async def script(self, request: web.Request) -> web.Response:
        return web.Response(text=SCRIPT, content_type="application/javascript",
                            headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"})

    async def show(self, request: web.Request) -> web.Response:
        return await self._page(request, await self._open(request))

    @_said_on_the_page
    async def field(self, request: web.Request) -> web.Response:
        """One field, as the autosave script posts it: the problems of the whole draft in JSON."""
        draft = await self._open(request)
        form = await _posted(request)
        draft = await self._save(draft, [(str(form.get("path", "")), str(form.get("value", "")))], _seen(form))
        language = self._language(request, draft)
        checked = check_draft(draft, self._app.settings.factories)
        by_field = {path: [p.text.render(language) for p in found] for path, found in checked.by_field().items()}
        body = {"problems": by_field, "summary": problems_summary(language, len(errors(checked.problems))),
                "previews": previews(draft),
                "saved": saved_text(language, draft.updated_at)}
        return web.json_response(body, headers=HEADERS)

    @_said_on_the_page
    async def save(self, request: web.Request) -> web.Response:
        """A section's fields at once (its Save button, scripts off); an unchecked box is posted
        only as the empty hidden value before it, so the last value of a name is the one taken."""
        draft = await self._open(request)
        form = await _posted(request)
        paths = [path for path in dict.fromkeys(form.keys()) if path != LAYOUT]
        if len(paths) > MAX_FIELDS:
            raise FormRefused(400, Text(TOO_MANY_FIELDS, count=len(paths), limit=MAX_FIELDS))
        changes = [(path, str(form.getall(path)[-1])) for path in paths]
        await self._save(draft, changes, _seen(form))
        raise self._back(request)

    @_said_on_the_page
    async def edit_list(self, request: web.Request) -> web.Response:
        """Add a finding, a material or a packaging check; or remove one."""
        draft = await self._open(request)
        form = await _posted(request)
        field, edit = LIST_EDITS[request.match_info["edit"]]
        named, seen = str(form.get(field, "")), _seen(form)

        def edited(report):
            on_layout(report, seen, [named])
            return edit(report, named)
        await self._edit(draft, edited)
        raise self._back(request)

    @_said_on_the_page
    async def upload(self, request: web.Request) -> web.Response:
        draft = await self._open(request)
        if draft.submitted:
            raise FormRefused(409, Text(POSTED))
        received = await receive_photo(self._app, draft, request, self._language(request, draft), self._edit)
        if isinstance(received, str):
            return await self._page(request, draft, (False, received), status=422)
        raise self._back(request)

    @_said_on_the_page
    async def submit(self, request: web.Request) -> web.Response:
        draft = await self._open(request)
        # A second submit is answered "already posted".
        reply = await self._app.bus.handle(SubmitVisitDraft(draft.id), self._actor(draft))
        self._wake()
        language = self._language(request, draft)
        return await self._page(request, await self._open(request), (reply.ok, reply_text(reply, language)),
                                status=200 if reply.ok else 422)

    async def photo(self, request: web.Request) -> web.StreamResponse:
        draft = await self._open(request)
        sha256 = request.match_info["sha256"]
        if sha256 not in draft.photos.values() or (path := self._app.media.find(sha256)) is None:
            raise web.HTTPNotFound()
        return web.FileResponse(path, headers={"Cache-Control": "private, max-age=86400"})

    @_said_on_the_page
    async def bundle(self, request: web.Request) -> web.Response:
        """The posted report as a .zip bundle that `followup visit check` reads back."""
        draft = await self._open(request)
        if not draft.submitted:
            raise FormRefused(404, Text(NOT_POSTED))
        found = {name: self._app.media.find(sha256) for name, sha256 in draft.photos.items()}
        buffer = io.BytesIO()
        await asyncio.to_thread(write_bundle, draft.report, {n: p for n, p in found.items() if p is not None}, buffer)
        name = f"visit-{file_safe(draft.order_reference)}.zip"
        return web.Response(body=buffer.getvalue(), content_type="application/zip", headers={
            **HEADERS, "Content-Disposition": f'attachment; filename="{name}"'})

    async def _open(self, request: web.Request) -> VisitDraft:
        try:
            link = read_form_token(self._signer, request.match_info["token"], self._app.bus.clock.now())
        except BadLink:
            raise refused(web.HTTPForbidden, "forged", HEADERS) from None
        except ExpiredLink:
            raise refused(web.HTTPGone, "expired", HEADERS) from None
        async with self._app.store.unit_of_work() as uow:
            draft = await uow.visit_drafts.get(link.draft_id)
        if draft is None:
            raise refused(web.HTTPGone, "forged", HEADERS)
        if self._actor(draft) is None:
            raise refused(web.HTTPGone, "person_gone", HEADERS)
        return draft

    async def _save(self, draft: VisitDraft, changes: list[tuple[str, str]], seen: str | None) -> VisitDraft:
        for path, _ in changes:
            try:
                field_type(path)
            except NotAField:
                raise FormRefused(400, Text(NOT_A_FIELD, path=path[:80])) from None

        def edited(report):
            on_layout(report, seen, [path for path, _ in changes])
            return fields_set(report, changes)
        return await self._edit(draft, edited)

    async def _edit(self, draft: VisitDraft, edit, photos: dict[str, str] | None = None) -> VisitDraft:
        """One autosave, one transaction; 400 for what the form does not edit, 409 once posted."""
        try:
            async with self._app.store.unit_of_work() as uow:
                saved = await edit_draft(uow, draft.id, edit, self._app.bus.clock.now(), photos)
                await uow.commit()
        except NotAField as bad:
            raise FormRefused(400, Text(NOT_A_FIELD, path=str(bad)[:80])) from None
        except ListFull:
            raise FormRefused(400, Text(LIST_FULL, count=MAX_ITEMS)) from None
        except DraftClosed:
            raise FormRefused(409, Text(POSTED)) from None
        except LayoutChanged:
            raise FormRefused(409, Text(LAYOUT_CHANGED)) from None
        return saved

    def _back(self, request: web.Request) -> web.HTTPException:
        """After a post without the script: the page again (a reload does not post again)."""
        return web.HTTPSeeOther(f"/v/{request.match_info['token']}?{request.query_string}", headers=HEADERS)

    async def _page(self, request: web.Request, draft: VisitDraft, said: tuple[bool, str] | None = None,
                    status: int = 200) -> web.Response:
        language = self._language(request, draft)
        base = f"/v/{request.match_info['token']}"
        state = FormState(base, "zh" if language.is_chinese else "en", f"{base}/photo", said)
        checked: CheckedDraft = check_draft(draft, self._app.settings.factories)
        factory = self._app.settings.factories.get(draft.report.get("order", {}).get("factory"))
        html = form_page(draft, checked.problems, language, state, factory)
        return web.Response(text=html, content_type="text/html", status=status, headers=HEADERS)

    def _opener(self, draft: VisitDraft) -> Person | None:
        """Who opened the draft, while they are still configured."""
        return next((p for p in self._app.settings.people if p.key == draft.opened_by), None)

    def _actor(self, draft: VisitDraft) -> Actor | None:
        """Who opened the draft, while they are configured and may still post a visit: a person
        removed or moved to another role no longer edits through the link they were given."""
        person = self._opener(draft)
        if person is None or not may(person.role, SubmitVisitDraft):
            return None
        return Actor(person, Platform.WEB)

    def _language(self, request: web.Request, draft: VisitDraft) -> Language:
        """The inspector's own language unless they switched."""
        person = self._opener(draft)
        chosen = {"en": ENGLISH, "zh": CHINESE}.get(request.query.get("lang", ""))
        return Language(chosen or (person.locale if person else ENGLISH), person.timezone if person else "UTC")


async def _posted(request: web.Request):
    """The posted fields, read with the form's own limit: the server's is for a few short fields."""
    try:
        return await request.clone(client_max_size=MAX_BODY).post()
    except web.HTTPRequestEntityTooLarge:
        raise FormRefused(413, Text(TOO_LARGE, limit=MAX_BODY // 1024)) from None


def _seen(form) -> str | None:
    """The layout of items the page that posted was showing (handlers.visit_form.layout)."""
    seen = form.get(LAYOUT)
    return None if seen is None else str(seen)[:40]

