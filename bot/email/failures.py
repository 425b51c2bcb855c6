"""What aiosmtplib's errors mean for a message of the outbox.

SMTP says it in the reply code: 4xx is "try again later" (greylisting, a full queue, a
server busy), 5xx is "never as things stand" (no such mailbox, a failed login, a refused
message). A refused connection, a timeout or a dropped connection is the network's, and
worth trying again.
"""

from __future__ import annotations

import aiosmtplib

from bot.outbox.failures import Failure, Permanent, Reason, Transient, describe


class RecipientsRefused(Exception):
    """The server took the mail for some of the factory's addresses and refused `refused`
    (address: [code, text]): the mail is not sent to all."""

    def __init__(self, mail_id: str, refused: dict[str, list], for_good: bool):
        replies = "; ".join(f"{address}: {code} {text}" for address, (code, text) in refused.items())
        super().__init__(f"mail {mail_id} refused for {replies}")
        self.for_good = for_good


def classify(error: Exception) -> Failure | None:
    if isinstance(error, RecipientsRefused):
        return Permanent(Reason.ADDRESS_REFUSED, describe(error)) if error.for_good else Transient(describe(error))
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return _recipients_refused(error)
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return _reply(error)
    if isinstance(error, aiosmtplib.SMTPNotSupported):  # no STARTTLS or no login where [smtp] wants one
        return Permanent(Reason.FORBIDDEN, describe(error))
    if isinstance(error, (aiosmtplib.SMTPException, OSError, TimeoutError)):
        return Transient(describe(error))  # connect, timeout, disconnect: before any reply code
    return None


def _reply(error: aiosmtplib.SMTPResponseException) -> Failure:
    detail = f"{type(error).__name__}: {error.code} {' '.join(error.message.split())}"
    if error.code < 500:
        return Transient(detail)
    if isinstance(error, aiosmtplib.SMTPAuthenticationError):
        return Permanent(Reason.INVALID_AUTH, detail)
    if isinstance(error, aiosmtplib.SMTPSenderRefused):
        return Permanent(Reason.FORBIDDEN, detail)  # the server will not send as [smtp] from
    if isinstance(error, aiosmtplib.SMTPRecipientRefused):
        return Permanent(Reason.ADDRESS_REFUSED, detail)
    return Permanent(Reason.REJECTED, detail)


def _recipients_refused(error: aiosmtplib.SMTPRecipientsRefused) -> Failure:
    """Every address refused: permanent only if no refusal was a 4xx."""
    refusals = [_reply(refused) for refused in error.recipients]
    return next((r for r in refusals if isinstance(r, Transient)), None) or refusals[0]
