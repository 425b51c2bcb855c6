"""Signed, expiring notice links: what a factory without Telegram or Slack opens on its phone.

A link names a notice, the version it was sent as, its recipient (the factory, or whoever the
buyer passed it to), when it was issued and when it expires, signed with HMAC-SHA256 under
one key. Nothing is stored to mint one, so a link can be printed on the PDF or put
beside the notice in a chat at any time (the key is FOLLOWUP_WEB_SECRET, or else the one the
replicas share in the store: bot/web/shared_key.py); what is stored is only its revocation
(storage/link_revocations.py), which ends the links issued before it: those the bot mints
afterwards (a robot's reminder, a mail) open the page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from handlers.clock import Clock
from handlers.views import View

SECRET_ENV = "FOLLOWUP_WEB_SECRET"
MIN_SECRET_LENGTH = 32
RECIPIENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")  # a factory id is one
# notice.version.recipient.issued.days.signature: the days it opens for, not the expiry, keep
# it short enough to print on one line of the PDF. A token of the first shape (notice, version,
# recipient, expiry) was never handed out: it is refused like any forgery.
_TOKEN = re.compile(r"^(\d{1,12})\.(\d{1,6})\.([A-Za-z0-9][A-Za-z0-9_-]{0,39})\.(\d{1,12})\.([1-9]\d{0,2})\."
                    r"([A-Za-z0-9_-]{43})$")


class BadWebSecret(Exception):
    """FOLLOWUP_WEB_SECRET is set, but too short to sign links with."""


class BadLink(Exception):
    """A link that is not one the bot signed, or was altered: HTTP 403."""


class ExpiredLink(Exception):
    """A link the bot signed whose time is up: HTTP 410."""


@dataclass(frozen=True)
class NoticeLink:
    notice_id: int
    version: int
    recipient: str
    issued: datetime  # whole seconds
    days: int  # how long it opens the page

    @property
    def expires(self) -> datetime:
        return self.issued + timedelta(days=self.days)

    def __post_init__(self) -> None:
        if not RECIPIENT.match(self.recipient):
            raise ValueError(f"a link's recipient is letters, digits, _ and - (at most 40): {self.recipient!r}")


@dataclass(frozen=True)
class LinkSigner:
    secret: bytes

    @classmethod
    def from_environment(cls) -> LinkSigner | None:
        """The key the operator gave, or None: then the store's (bot/web/shared_key.py)."""
        secret = os.environ.get(SECRET_ENV, "")
        if not secret:
            return None
        if len(secret) < MIN_SECRET_LENGTH:
            raise BadWebSecret(f"{SECRET_ENV} must be a random secret of at least {MIN_SECRET_LENGTH} characters"
                               " (e.g. `openssl rand -hex 32`), or unset to use the one kept in the store")
        return cls(secret.encode())

    def mint(self, notice_id: int, version: int, recipient: str, now: datetime, days: int) -> str:
        link = NoticeLink(notice_id, version, recipient, _whole_seconds(now), days)
        return f"{_signed_part(link)}.{self._signature(link)}"

    def read(self, token: str, now: datetime) -> NoticeLink:
        """The link `token` stands for; BadLink when it was not signed with this key or was
        altered, ExpiredLink once its time is up (checked only for a genuine link)."""
        match = _TOKEN.match(token)
        if match is None:
            raise BadLink(token)
        # The signature over the text as given, before any of it is read as numbers: an unsigned
        # issue time in the year 33658, or 007 for 7, is refused like any forgery.
        signed, signature = token.rsplit(".", 1)
        if not hmac.compare_digest(signature, self._signed(signed)):
            raise BadLink(token)
        notice_id, version, recipient, issued, days, _ = match.groups()
        link = NoticeLink(int(notice_id), int(version), recipient, datetime.fromtimestamp(int(issued), UTC), int(days))
        if now >= link.expires:
            raise ExpiredLink(link)
        return link

    def sign(self, text: str) -> str:
        """The signature of `text`, for another kind of link: its text must start with its own
        kind ("form."), so no signature of one kind is ever valid for another."""
        return self._signed(text)

    def _signature(self, link: NoticeLink) -> str:
        return self._signed(_signed_part(link))

    def _signed(self, text: str) -> str:
        digest = hmac.new(self.secret, text.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _signed_part(link: NoticeLink) -> str:
    return f"{link.notice_id}.{link.version}.{link.recipient}.{int(link.issued.timestamp())}.{link.days}"


def _whole_seconds(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def notice_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/n/{token}"


@dataclass(frozen=True)
class NoticeLinks:
    """The link a one-way message (a group robot's post) carries so the factory can answer the
    notice it shows: minted afresh for the notice's version, addressed to the factory, valid for
    `days`. A later version's message carries a link to that version."""

    signer: LinkSigner
    public_url: str
    days: int
    clock: Clock

    def for_view(self, view: View) -> str | None:
        return self._minted(view, self.clock.now())

    def as_sent(self, view: View) -> str | None:
        """The link the version's PDF and the buyer's chat carry: valid `days` from when the
        version was sent, so rendering the PDF again, or retrying the chat's copy, gives the
        same link (and the same QR code)."""
        return self._minted(view, view.notice.sent.at) if view.notice is not None else None

    def expiry_as_sent(self, view: View) -> datetime:
        return _whole_seconds(view.notice.sent.at + timedelta(days=self.days))

    def _minted(self, view: View, at: datetime) -> str | None:
        notice = view.notice
        if notice is None:
            return None
        token = self.signer.mint(notice.id, notice.version, notice.factory_id, at, self.days)
        return notice_url(self.public_url, token)
