"""The factory's notice page over HTTP: opens a signed link, shows the notice as its version
was sent, and turns each form it posts into the same bus command a chat button gives, as the
factory contact "via link". Nothing else: who may act is the bus's to decide, from the store.

A link that is not genuine is refused with 403, one expired or revoked with 410, before
anything is read or changed. The contact names themselves once; the name is kept in a cookie.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote, unquote

from aiohttp import web

from bot.web.links import BadLink, ExpiredLink, LinkSigner, NoticeLink
from handlers.commands import AcknowledgeNotice, Actor, Command, CommitToDate, DisputeNotice
from handlers.commitments import COMMITTABLE
from handlers.model import Notice, Person, Platform, PlatformAccount, Role
from handlers.results import Reply
from handlers.views import View, load_notice_version
from handlers.working_hours import factory_today
from messages.i18n import CHINESE, ENGLISH, Language
from messages.replies import reply_text
from messages.web import PageState, Said, notice_page, refused_page

NAME_COOKIE = "followup_name"
GIVE_NAME = "name"  # the one form that is no command: the contact says who they are, once
MAX_NAME = 60
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


def _acknowledge(opened: Opened, form) -> Command:
    return AcknowledgeNotice(opened.notice.id)


def _dispute(opened: Opened, form) -> Command:
    return DisputeNotice(opened.notice.id, form.get("reason", ""))


def _commit(opened: Opened, form) -> Command | Reply:
    instruction = form.get("instruction", "")
    if not instruction.isdigit() or int(instruction) not in opened.view.notice.instruction_ids:
        return Reply("not_in_notice", {"number": opened.notice.number}, ok=False)
    return CommitToDate(int(instruction), form.get("date", ""))


ACTIONS: dict[str, Callable[[Opened, object], Command | Reply]] = {
    "acknowledge": _acknowledge,
    "dispute": _dispute,
    "commit": _commit,
}


class NoticePage:
    def __init__(self, app, signer: LinkSigner, wake: Callable[[], None]) -> None:
        self._app = app
        self._signer = signer
        self._wake = wake  # the outbox delivers what an answer enqueued (the buyer is told) at once

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
        opened = await self._open(request)
        sha256 = request.match_info["sha256"]
        if sha256 not in _photos_of(opened.view).values() or (path := self._app.media.find(sha256)) is None:
            raise web.HTTPNotFound()
        return web.FileResponse(path, headers={"Cache-Control": "private, max-age=86400"})

    async def act(self, request: web.Request) -> web.Response:
        opened = await self._open(request)
        action = ACTIONS.get(request.match_info["action"])
        if action is None and request.match_info["action"] != GIVE_NAME:
            raise web.HTTPNotFound()
        form = await request.post()
        name = _clean_name(form.get("name")) or _name_of(request)
        made = None if action is None else action(opened, form)
        if action is None:
            reply = None if name else Reply("name_needed", {}, ok=False)
        elif name is None:
            reply = Reply("name_needed", {}, ok=False)
        elif opened.link.version != opened.notice.version:
            reply = Reply("link_superseded", {"number": opened.notice.number}, ok=False)
        elif isinstance(made, Reply):
            reply = made
        else:
            reply = await self._app.bus.handle(made, _contact(name, opened), _update_key(form.get("nonce")))
            self._wake()
        opened = await self._open(request)  # as the answer left it
        response = await self._page(request, opened, name, reply, status=200 if reply is None or reply.ok else 422)
        if name is not None:
            response.set_cookie(NAME_COOKIE, quote(name), max_age=365 * 86400, httponly=True, samesite="Lax",
                                path="/n/", secure=request.url.scheme == "https")
        return response

    async def _open(self, request: web.Request) -> Opened:
        """The link's notice and version, or the refusal page (403 forged, 410 expired or revoked)."""
        clock = self._app.bus.clock
        try:
            link = self._signer.read(request.match_info["token"], clock.now())
        except BadLink:
            raise _refused(web.HTTPForbidden, "forged") from None
        except ExpiredLink:
            raise _refused(web.HTTPGone, "expired") from None
        async with self._app.store.unit_of_work() as uow:
            if await uow.link_revocations.is_revoked(link.notice_id, link.recipient):
                raise _refused(web.HTTPGone, "revoked")
            notice = await uow.notices.get(link.notice_id)
            view = None if notice is None else await load_notice_version(uow, self._app.settings, notice.id,
                                                                          link.version)
        if view is None:  # signed for a notice this database does not have
            raise _refused(web.HTTPGone, "forged")
        return Opened(link, notice, view)

    async def _page(self, request: web.Request, opened: Opened, name: str | None, reply: Reply | None,
                    status: int = 200) -> web.Response:
        language = _language(request, opened.view.factory.timezone)
        base = f"/n/{request.match_info['token']}"
        today = factory_today(self._app.bus.clock.now(), opened.view.factory)
        state = PageState(base, name, secrets.token_urlsafe(12), today.isoformat(),
                          opened.link.version != opened.notice.version, frozenset(s.value for s in COMMITTABLE))
        urls = {photo: f"{base}/photo/{sha256}" for photo, sha256 in _photos_of(opened.view).items()}
        said = None if reply is None else Said(reply.ok, reply_text(reply, language))
        html = notice_page(opened.view, language, urls, state, said)
        return web.Response(text=html, content_type="text/html", status=status, headers=HEADERS)


def _refused(kind: type[web.HTTPException], reason: str) -> web.HTTPException:
    return kind(text=refused_page(reason), content_type="text/html", headers=HEADERS)


def _photos_of(view: View) -> dict[str, str]:
    """The notice's photos, by their name in the report: the only ones its link serves."""
    return {name: view.visit.photos[name] for item in view.items for name in item.item.photos
            if name in view.visit.photos}


def _language(request: web.Request, zone: str) -> Language:
    """Chinese unless the reader switched to English."""
    return Language(ENGLISH if request.query.get("lang") == "en" else CHINESE, zone)


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
