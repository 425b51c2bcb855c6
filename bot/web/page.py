"""The factory's notice page over HTTP: opens a signed link, shows the notice as its version
was sent, and turns each form it posts into the same bus command a chat button gives, as the
factory contact "via link". Nothing else: who may act is the bus's to decide, from the store.

A link that is not genuine is refused with 403, one expired or revoked with 410, before
anything is read or changed. The contact names themselves once; the name is kept in a cookie.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import quote, unquote

from aiohttp import web

from bot.chat.evidence import MAX_BYTES, report_photos
from bot.web.links import BadLink, ExpiredLink, LinkSigner, NoticeLink
from handlers.commands import AcknowledgeNotice, Actor, CommitToDate, DisputeNotice
from handlers.commitments import COMMITTABLE
from handlers.intake.photos import format_size
from handlers.lifecycle import TRANSITIONS, Action
from handlers.model import Notice, Person, Platform, PlatformAccount, Role
from handlers.results import Reply
from handlers.views import View, load_notice_version, notice_version_photos
from handlers.working_hours import factory_today
from messages.buttons import PAGE_LOCALE
from messages.i18n import CHINESE, ENGLISH, Language
from messages.replies import reply_text
from messages.web import PageState, Said, notice_page, refused_page

NAME_COOKIE = "followup_name"
GIVE_NAME = "name"  # the one form that is no command: the contact says who they are, once
MAX_NAME = 60
MAX_FILE_NAME = 100  # as much of a photo's file name as a refusal repeats
MAX_PHOTOS = 5  # one done report's photos from the page; a chat takes more, one at a time
MAX_BODY = MAX_PHOTOS * MAX_BYTES + 64 * 1024  # the photos and the form's few fields
REPORTABLE = frozenset(state.value for state in TRANSITIONS[Action.REPORT_DONE])
_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,40}$")
# The page loads nothing from elsewhere (it must load in mainland China) and runs no script.
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",  # the link is the key: it must not leave in a Referer
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


@dataclass(frozen=True)
class Opened:
    link: NoticeLink
    notice: Notice
    view: View  # the version the link names, as it was sent


Answer = Callable[[object, Opened, object, Actor, str | None], Awaitable[Reply]]


async def _acknowledge(app, opened: Opened, form, actor: Actor, key: str | None) -> Reply:
    return await app.bus.handle(AcknowledgeNotice(opened.notice.id), actor, key)


async def _dispute(app, opened: Opened, form, actor: Actor, key: str | None) -> Reply:
    return await app.bus.handle(DisputeNotice(opened.notice.id, form.get("reason", "")), actor, key)


async def _commit(app, opened: Opened, form, actor: Actor, key: str | None) -> Reply:
    instruction = _instruction_in(opened, form)
    if instruction is None:
        return _not_in_notice(opened)
    return await app.bus.handle(CommitToDate(instruction, form.get("date", "")), actor, key)


async def _done(app, opened: Opened, form, actor: Actor, key: str | None) -> Reply:
    """Done, with the photos the form carries: the same checks and command as a chat upload."""
    instruction = _instruction_in(opened, form)
    if instruction is None:
        return _not_in_notice(opened)
    files = [f for f in form.getall("photos", []) if isinstance(f, web.FileField) and f.filename]
    if len(files) > MAX_PHOTOS:
        return Reply("too_many_photos", {"count": len(files), "limit": MAX_PHOTOS}, ok=False)
    photos = [(await asyncio.to_thread(f.file.read), f.filename[:MAX_FILE_NAME]) for f in files]
    return await report_photos(app, actor, photos, instruction, key)


ACTIONS: dict[str, Answer] = {
    "acknowledge": _acknowledge,
    "dispute": _dispute,
    "commit": _commit,
    "done": _done,
}


def _instruction_in(opened: Opened, form) -> int | None:
    """The instruction a form names, if it is one of the link's notice version."""
    instruction = form.get("instruction", "")
    if isinstance(instruction, str) and instruction.isdigit() and int(instruction) in opened.view.notice.instruction_ids:
        return int(instruction)
    return None


def _not_in_notice(opened: Opened) -> Reply:
    return Reply("not_in_notice", {"number": opened.notice.number}, ok=False)


class NoticePage:
    def __init__(self, app, signer: LinkSigner, wake: Callable[[], None], public_url: str = "") -> None:
        self._app = app
        self._signer = signer
        self._wake = wake  # the outbox delivers what an answer enqueued (the buyer is told) at once
        # Behind a proxy that ends TLS the request comes as http; the address people open says.
        self._secure = public_url.lower().startswith("https://")

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/n/{token}", self.show),
            web.get("/n/{token}/photo/{sha256}", self.photo),
            web.post("/n/{token}/{action}", self.act),
        ]

    async def show(self, request: web.Request) -> web.Response:
        opened = await self._open(request)
        return await self._page(request, opened, _name_of(request), None)

    async def photo(self, request: web.Request) -> web.StreamResponse:
        """A photo of the link's notice version, checked with what that takes alone (not the
        whole notice: a page asks for each of its photos)."""
        link = self._read(request)
        sha256 = request.match_info["sha256"]
        async with self._app.store.unit_of_work() as uow:
            await _unrevoked(uow, link)
            shown = await notice_version_photos(uow, link.notice_id, link.version)
        if sha256 not in shown.values() or (path := self._app.media.find(sha256)) is None:
            raise web.HTTPNotFound()
        return web.FileResponse(path, headers={"Cache-Control": "private, max-age=86400"})

    async def act(self, request: web.Request) -> web.Response:
        opened = await self._open(request)
        action = ACTIONS.get(request.match_info["action"])
        if action is None and request.match_info["action"] != GIVE_NAME:
            raise web.HTTPNotFound()
        form = await _form(request)
        name = _clean_name(form.get("name")) or _name_of(request)
        if action is None:
            reply = None if name else Reply("name_needed", {}, ok=False)
        elif name is None:
            reply = Reply("name_needed", {}, ok=False)
        elif opened.link.version != opened.notice.version:
            reply = Reply("link_superseded", {"number": opened.notice.number}, ok=False)
        else:
            reply = await action(self._app, opened, form, _contact(name, opened), _update_key(form.get("nonce")))
            self._wake()
        if reply is not None and reply.ok:
            opened = await self._open(request)  # as the answer left it
        response = await self._page(request, opened, name, reply, status=200 if reply is None or reply.ok else 422)
        if name is not None:
            response.set_cookie(NAME_COOKIE, quote(name), max_age=365 * 86400, httponly=True, samesite="Lax",
                                path="/n/", secure=self._secure)
        return response

    def _read(self, request: web.Request) -> NoticeLink:
        """The link the path carries, or the refusal page: 403 forged, 410 expired."""
        try:
            return self._signer.read(request.match_info["token"], self._app.bus.clock.now())
        except BadLink:
            raise refused(web.HTTPForbidden, "forged") from None
        except ExpiredLink:
            raise refused(web.HTTPGone, "expired") from None

    async def _open(self, request: web.Request) -> Opened:
        """The link's notice and version, or the refusal page (403 forged, 410 expired or revoked)."""
        link = self._read(request)
        async with self._app.store.unit_of_work() as uow:
            await _unrevoked(uow, link)
            notice = await uow.notices.get(link.notice_id)
            view = None if notice is None else await load_notice_version(uow, self._app.settings, notice.id,
                                                                          link.version)
        if view is None:  # signed for a notice this database does not have
            raise refused(web.HTTPGone, "forged")
        return Opened(link, notice, view)

    async def _page(self, request: web.Request, opened: Opened, name: str | None, reply: Reply | None,
                    status: int = 200) -> web.Response:
        language = _language(request, opened.view.factory.timezone)
        base = f"/n/{request.match_info['token']}"
        today = factory_today(self._app.bus.clock.now(), opened.view.factory)
        state = PageState(base, name, secrets.token_urlsafe(12), today.isoformat(),
                          opened.link.version != opened.notice.version, frozenset(s.value for s in COMMITTABLE),
                          REPORTABLE, MAX_PHOTOS, str(format_size(MAX_BYTES)))
        urls = {photo: f"{base}/photo/{sha256}" for photo, sha256 in _photos_of(opened.view).items()}
        said = None if reply is None else Said(reply.ok, reply_text(reply, language))
        html = notice_page(opened.view, language, urls, state, said)
        return web.Response(text=html, content_type="text/html", status=status, headers=HEADERS)


async def _unrevoked(uow, link: NoticeLink) -> None:
    """Nothing, or the refusal page (410) for a link issued before its recipient's links were revoked."""
    if await uow.link_revocations.is_revoked(link.notice_id, link.recipient, link.issued):
        raise refused(web.HTTPGone, "revoked")


def refused(kind: type[web.HTTPException], reason: str, headers: dict[str, str] = HEADERS) -> web.HTTPException:
    """The page that says why a link opens nothing (forged, expired, revoked), as `kind`."""
    return kind(text=refused_page(reason), content_type="text/html", headers=headers)


async def _form(request: web.Request):
    """The posted form, photos and all; a body over MAX_BODY gets a page naming the limit (413)
    before it is read, or as soon as reading it passes the limit when its length is not declared."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise _too_large(request.content_length)
    try:  # the server's own limit is for forms of a few fields; this page's take photos
        return await request.clone(client_max_size=MAX_BODY).post()
    except web.HTTPRequestEntityTooLarge:
        raise _too_large(MAX_BODY + 1) from None


def _too_large(size: int) -> web.HTTPException:
    page = refused_page("too_large", count=MAX_PHOTOS, limit=str(format_size(MAX_BYTES)))
    return web.HTTPRequestEntityTooLarge(MAX_BODY, size, text=page, content_type="text/html", headers=HEADERS)


def _photos_of(view: View) -> dict[str, str]:
    """The notice's photos, by their name in the report: the only ones its link serves."""
    return {name: view.visit.photos[name] for item in view.items for name in item.item.photos
            if name in view.visit.photos}


def _language(request: web.Request, zone: str) -> Language:
    """The page's own language (messages.buttons.PAGE_LOCALE: what a link's text says its
    buttons read) unless the reader switched to English."""
    return Language(ENGLISH if request.query.get("lang") == "en" else PAGE_LOCALE, zone)


def _clean_name(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    name = " ".join(value.split())[:MAX_NAME]
    return name or None


def _name_of(request: web.Request) -> str | None:
    return _clean_name(unquote(request.cookies.get(NAME_COOKIE, "")))


def _contact(name: str, opened: Opened) -> Actor:
    """The factory contact who answers through this link: known by the name they gave and the
    link's recipient, acting for the notice's factory alone."""
    account = PlatformAccount(platform=Platform.WEB, user_id=opened.link.recipient)
    person = Person(name=name, role=Role.FACTORY, factory=opened.notice.factory_id, locale=CHINESE, bound=account)
    return Actor(person, Platform.WEB)


def _update_key(nonce: object) -> str | None:
    """A form posted twice (a double tap, a reload) carries the same nonce: one effect."""
    return f"web/{nonce}" if isinstance(nonce, str) and _NONCE.match(nonce) else None
