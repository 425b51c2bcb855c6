"""Signed, expiring links to the inspector's visit form: `<draft id>.<expiry>.<signature>`,
the signature over "form.<draft id>.<expiry>" with the notice links' key, so a notice link's
signature never opens a form nor the other way round."""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.web.links import BadLink, ExpiredLink, LinkSigner
from handlers.clock import Clock

_TOKEN = re.compile(r"^([A-Za-z0-9_-]{16,40})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$")
KIND = "form"


@dataclass(frozen=True)
class FormLink:
    draft_id: str
    expires: datetime


def mint_form_token(signer: LinkSigner, draft_id: str, now: datetime, days: int) -> str:
    expires = int((now + timedelta(days=days)).timestamp())
    signed = f"{draft_id}.{expires}"
    return f"{signed}.{signer.sign(f'{KIND}.{signed}')}"


def read_form_token(signer: LinkSigner, token: str, now: datetime) -> FormLink:
    """The draft `token` opens; BadLink when not signed with this key as a form link, ExpiredLink
    once its time is up (checked only for a genuine link)."""
    match = _TOKEN.match(token)
    if match is None:
        raise BadLink(token)
    signed, signature = token.rsplit(".", 1)
    if not hmac.compare_digest(signature, signer.sign(f"{KIND}.{signed}")):
        raise BadLink(token)
    link = FormLink(match[1], datetime.fromtimestamp(int(match[2]), UTC))
    if now >= link.expires:
        raise ExpiredLink(link)
    return link


def form_url(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/v/{token}"


FORM_DAYS = 14  # a visit is filled in within days; a lost phone's link does not open it for long


@dataclass(frozen=True)
class FormLinks:
    """The address of a draft's form, minted afresh each time it is asked for."""

    signer: LinkSigner
    public_url: str
    clock: Clock
    days: int = FORM_DAYS

    def for_draft(self, draft_id: str) -> str:
        return form_url(self.public_url, mint_form_token(self.signer, draft_id, self.clock.now(), self.days))
