"""Outbox messages to a factory's mailbox: each message one mail, sent over SMTP with
aiosmtplib, to every address the factory has.

A mail cannot change once sent, and carries no buttons: the surface keeps no references, so
the plan posts each message in its own words (as on the console), and the one mail carries
all the plan would show: the notice goes with its PDF attached, the stored PDF of that
version as Telegram and Slack get it (bot/outbox/notice_documents.py). Sending is one part
of the message's `Progress`, so a retry after a recorded send sends nothing; a crash between
sending and recording sends the mail again with the same Message-ID.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import aiosmtplib

from bot.email.failures import RecipientsRefused, classify
from bot.email.mime import message_id, mime
from bot.email.settings import SmtpSettings
from bot.outbox.adapter import PlannedAdapter
from bot.outbox.failures import Failure
from bot.outbox.notice_documents import NoticeDocuments
from bot.outbox.plan import PLANS, AttachPdf
from bot.outbox.progress import Progress
from bot.outbox.surface import Draft, Limits, Target
from handlers.clock import Clock
from handlers.model import Platform
from handlers.views import View
from messages.mail import letter
from messages.render import Answers

log = logging.getLogger(__name__)

IMPLICIT_TLS_PORT = 465  # SMTPS: TLS from the first byte, where 587 upgrades with STARTTLS
# What an attachment may weigh: most mail servers take 10 to 25 MB per mail, and base64
# makes a file a third larger. A PDF above it goes without; the notice link still has it.
ATTACHMENT_LIMIT = 7_000_000


class EmailAdapter(PlannedAdapter):
    platform = Platform.EMAIL
    templates = "text"
    limits = Limits(text=None, caption=None, photos_per_group=0, file_size=ATTACHMENT_LIMIT)

    def __init__(self, settings: SmtpSettings, clock: Clock, documents: NoticeDocuments,
                 links: Callable[[View], str | None] | None = None):
        """`links` gives the signed link of the notice a message shows, when the web server
        runs: a mail is one-way, and the link is how the factory answers."""
        super().__init__(clock=clock, documents=documents)
        self.settings = settings
        self.links = links
        self.answers = Answers.LINK if links is not None else Answers.BUYER

    def classify(self, error: Exception) -> Failure | None:
        return classify(error)

    async def chat(self, destination: str) -> tuple[str, ...]:
        """A destination is the factory's addresses, comma-separated: one mail to them all."""
        return tuple(address.strip() for address in destination.split(","))

    async def send_text(self, to: Target, draft: Draft, progress: Progress) -> str:
        """The whole mail; the draft's text is one language, a mail carries both (messages/mail.py).

        A server may take some addresses and refuse others. The mail is then not sent to all:
        each round is a part of the message's progress recording what the server refused, and
        the next round (a later attempt, as for any transient failure) goes only to the
        addresses refused with a 4xx, so no address gets the mail twice. An address refused
        for good (5xx) fails the message, and the buyer is alerted, once no 4xx is left."""
        mail_id = message_id(progress.message_id, self.settings.config.from_)
        remaining, for_good, round_ = to.chat, {}, 0
        while remaining:
            name = "mail" if round_ == 0 else f"mail-{round_}"
            fresh = name not in progress.done
            refused = await progress.part(name, lambda r=remaining: self._send(to, r, mail_id))
            refused = refused if isinstance(refused, dict) else {}  # an id: a mail sent before rounds
            for_good |= {a: reply for a, reply in refused.items() if reply[0] >= 500}
            remaining, round_ = tuple(a for a, reply in refused.items() if reply[0] < 500), round_ + 1
            if remaining and fresh:
                raise RecipientsRefused(mail_id, {a: refused[a] for a in remaining}, for_good=False)
        if for_good:
            raise RecipientsRefused(mail_id, for_good, for_good=True)
        return mail_id

    async def _send(self, to: Target, recipients: tuple[str, ...], mail_id: str) -> dict[str, list]:
        """Sends the mail to `recipients` (its To: names all the factory's addresses); returns
        the addresses the server refused, each with its reply code and text."""
        sender = self.settings.config.from_
        link = self.links(to.view) if self.links is not None else None
        mail = mime(letter(to.view, link), sender, to.chat, mail_id, self.clock.now(), await self._pdf(to.view))
        refused, _ = await aiosmtplib.send(mail, recipients=list(recipients), **self._server())
        if refused:
            log.warning("mail %s: the server refused %s and took the other addresses", mail_id,
                        ", ".join(f"{address} ({reply.code})" for address, reply in refused.items()))
        return {address: [reply.code, " ".join(reply.message.split())] for address, reply in refused.items()}

    async def _pdf(self, view: View) -> tuple[str, bytes] | None:
        """The notice's PDF, where the plan of the message attaches it and it fits."""
        if not any(isinstance(step, AttachPdf) for step in PLANS[view.kind]):
            return None
        content = await self.documents.pdf(view)
        if len(content) > self.limits.file_size:
            log.warning("notice %s: PDF of %d bytes too large to attach; the mail goes without", view.notice.number,
                        len(content))
            return None
        return f"{view.notice.number}.pdf", content

    def _server(self) -> dict:
        smtp = self.settings.config
        implicit_tls = smtp.port == IMPLICIT_TLS_PORT if smtp.implicit_tls is None else smtp.implicit_tls
        return dict(
            hostname=smtp.host, port=smtp.port, username=smtp.username, password=self.settings.password,
            timeout=smtp.timeout_seconds, use_tls=implicit_tls, start_tls=smtp.starttls and not implicit_tls,
        )
