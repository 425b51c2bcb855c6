"""A mail server on 127.0.0.1 (aiosmtpd) that keeps what it is given, answers as it is told
(a 4xx or 5xx for the next mails or recipients) and, given a login, checks it."""

from __future__ import annotations

import email
import socket
import ssl
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    sender: str
    recipients: list[str]
    raw: bytes
    tls: bool = False  # whether the mail came over TLS (STARTTLS or TLS from the first byte)

    @property
    def mail(self) -> EmailMessage:
        return email.message_from_bytes(self.raw, policy=policy.default)


@dataclass
class FakeMailServer:
    """`refuse_data` and `refuse_recipients` hold the replies for the next mails, in order."""

    received: list[Received] = field(default_factory=list)
    refuse_data: deque[str] = field(default_factory=deque)
    refuse_recipients: deque[str] = field(default_factory=deque)
    login: tuple[str, str] | None = None
    # Called with each mail as it is taken, before the server answers 250 (a crash test kills
    # the bot there: the mail is in the mailbox, the bot never heard so).
    on_mail: Callable[[Received], None] | None = None

    def message_ids(self) -> Counter:
        """How many times each Message-ID arrived: a mailbox shows one mail per id."""
        return Counter(r.mail["Message-ID"] for r in self.received)

    async def handle_RCPT(self, server, session, envelope, address, options) -> str:  # noqa: N802 - aiosmtpd's name
        if self.refuse_recipients:
            return self.refuse_recipients.popleft()
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's name
        if self.refuse_data:
            return self.refuse_data.popleft()
        tls = server.transport.get_extra_info("ssl_object") is not None
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content, tls))
        if self.on_mail is not None:
            self.on_mail(self.received[-1])
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        given = isinstance(auth_data, LoginPassword) and (auth_data.login.decode(), auth_data.password.decode())
        return AuthResult(success=given == self.login, handled=False)  # the server answers 235 or 535


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(server: FakeMailServer, tls: ssl.SSLContext | None = None, implicit_tls: bool = False) -> Controller:
    """Listening on a free port of 127.0.0.1 (`controller.port`); stop it with `stop()`.
    With `tls` (the server's certificate), it insists on STARTTLS before the mail, or with
    `implicit_tls` speaks TLS from the first byte (as on port 465)."""
    options = {}
    if tls is not None:
        options = {"ssl_context": tls} if implicit_tls else {"tls_context": tls, "require_starttls": True}
    # With STARTTLS a login before it is refused, so the test shows the password goes encrypted.
    # aiosmtpd does not count TLS from the first byte as TLS for AUTH (it would refuse every
    # login there), and warns for each connection that AUTH is allowed unencrypted.
    controller = Controller(server, hostname="127.0.0.1", port=free_port(), authenticator=server.authenticate,
                            auth_require_tls=tls is not None and not implicit_tls,
                            auth_required=server.login is not None, **options)
    controller.start()
    return controller
