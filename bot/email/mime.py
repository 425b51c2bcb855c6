"""A letter as the MIME mail SMTP carries: a plain-text part and an HTML part as
alternatives, the notice's PDF attached, and headers a mail client shows right.

The `SMTP` policy writes CRLF line ends and encodes any header that is not ASCII (the
Chinese subject) as RFC 2047 encoded words, folded within the line limit. The Message-ID
is made from the outbox message, so a mail sent again after a crash (sent, but not yet
recorded as sent) carries the same id, and the mailbox can tell it is the same mail.
"""

from __future__ import annotations

from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from messages.mail import Letter


def mime(letter: Letter, sender: str, recipients: tuple[str, ...], message_id: str, sent_at: datetime,
         pdf: tuple[str, bytes] | None = None) -> EmailMessage:
    """`pdf`: the file name and content to attach."""
    mail = EmailMessage(policy=policy.SMTP)
    mail["Subject"] = letter.subject
    mail["From"] = sender
    mail["To"] = ", ".join(recipients)
    mail["Date"] = format_datetime(sent_at)
    mail["Message-ID"] = message_id
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to a robot
    mail.set_content(letter.plain, subtype="plain", charset="utf-8")
    mail.add_alternative(letter.html, subtype="html", charset="utf-8")
    if pdf is not None:
        name, content = pdf
        mail.add_attachment(content, maintype="application", subtype="pdf", filename=name)
    return mail


def message_id(outbox_id: int | None, sender: str) -> str:
    """The same for every attempt at one outbox message; a fresh one for a mail outside the
    outbox, which is never retried."""
    domain = sender.rpartition("@")[2]
    if outbox_id is None:
        return make_msgid("followup", domain)
    return f"<followup.outbox.{outbox_id}@{domain}>"
