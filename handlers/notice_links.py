"""Revoking a notice's signed links: a link forwarded too far stops opening the page, and the
audit trail says who ended it and when."""

from __future__ import annotations

from handlers.commands import RevokeNoticeLinks
from handlers.context import Context
from handlers.results import Refused, Reply


async def revoke(command: RevokeNoticeLinks, ctx: Context) -> Reply:
    notice = await ctx.uow.notices.get(command.notice_id)
    if notice is None:
        raise Refused("unknown_notice", notice_id=command.notice_id)
    params = {"notice_id": notice.id, "number": notice.number, "recipient": command.recipient}
    if not await ctx.uow.link_revocations.revoke(notice.id, command.recipient, ctx.decision()):
        return Reply("links_already_revoked", params)
    await ctx.audit("notice", notice.id, "revoke_links", None, {"recipient": command.recipient})
    return Reply("links_revoked", params)
