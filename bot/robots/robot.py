"""What the three group robots share as an outbox surface: markdown text only, posted to a
factory's webhook one part at a time, each part recorded (bot/outbox/progress.py), so a retry
or a restart after SIGKILL posts only what the chat has not shown yet. A robot keeps no
reference and changes nothing it posted, so every message is posted in its own words, its
buttons dropped: the factory answers through the notice's signed link (`links`, when the web
server runs).

A robot's own part is its `Robot` description: where it is reached, how a request is signed,
how it says that it refused, and what each refusal means."""

from __future__ import annotations

import asyncio
import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

import aiohttp

from bot.outbox.adapter import PlannedAdapter
from bot.outbox.failures import Failure, Permanent, Reason, Transient, describe
from bot.outbox.progress import Progress
from bot.outbox.surface import Draft, Limits, Target
from bot.robots.rate import RateLimit
from handlers.clock import Clock
from handlers.model import Platform
from handlers.views import View
from messages.environment import render
from messages.mail import subject
from messages.render import Answers


@dataclass(frozen=True)
class Webhook:
    """One factory's robot: its webhook URL (the robot's key inside) and signing secret."""

    url: str
    secret: str | None = None


class Robot(Protocol):
    platform: Platform
    surface: str  # its markdown dialect, as messages/ renders for it
    limits: Limits
    rate: RateLimit
    codes: dict[int, Failure]  # what each documented refusal means; any other is this message's

    def request(self, webhook: Webhook, text: str, title: str, now: datetime) -> tuple[str, dict]:
        """The URL and the JSON body that post `text`, signed at `now`; `title` is what the
        message is about in plain text, for a robot that shows one in the chat list."""

    def refusal(self, answer: dict) -> tuple[int, str]:
        """The code (0: posted) and message of the robot's answer."""


class RobotBusy(Exception):
    """The robot's rate limit is reached: it may be sent more in `wait` seconds."""

    def __init__(self, wait: float):
        super().__init__(f"rate limit reached, next message in {wait:.0f} s")
        self.wait = wait


class RobotRefused(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(f"refused with code {code}: {message}")
        self.code = code


class RobotUnavailable(Exception):
    """An answer that is no robot's verdict: HTTP 429 or 5xx, or no JSON."""

    def __init__(self, status: int, retry_after: float | None):
        super().__init__(f"HTTP {status}")
        self.retry_after = retry_after


class NoWebhook(Exception):
    """The factory's robot is no longer in the configuration."""


class RobotAdapter(PlannedAdapter):
    def __init__(self, robot: Robot, session: aiohttp.ClientSession, webhooks: dict[str, Webhook], clock: Clock,
                 base_url: str | None = None, links: Callable[[View], str | None] | None = None):
        """`webhooks` by factory id, the robot's destination; `base_url` sends every request to
        that host instead of the robot's (the tests' fake); `links` gives the signed link of the
        notice a message shows, when the web server runs (a robot is one-way: the link is how
        the factory answers)."""
        super().__init__(clock=clock)
        self.robot = robot
        self.platform = robot.platform
        self.templates = robot.surface
        self.limits = robot.limits
        self.session = session
        self.webhooks = webhooks
        self.base_url = base_url
        self.links = links
        self.answers = Answers.LINK if links is not None else Answers.BUYER

    async def chat(self, destination: str) -> Webhook:
        if destination not in self.webhooks:
            raise NoWebhook(f"no {self.platform} robot configured for factory {destination}")
        return self.webhooks[destination]

    async def send_text(self, to: Target, draft: Draft, progress: Progress) -> None:
        link = self.links(to.view) if self.links is not None else None
        link_line = (render(self.templates, "chat/notice_link.j2", to.language, url=link),) if link else ()
        for i, text in enumerate((*draft.messages, *link_line)):
            await progress.part(f"text-{i}", lambda text=text: self._post(to, text))

    async def _post(self, to: Target, text: str) -> None:
        now = self.clock.now()
        if (wait := self.robot.rate.wait(to.destination, now)) > 0:
            raise RobotBusy(wait)
        self.robot.rate.taken(to.destination, now)
        url, body = self.robot.request(to.chat, text, subject(to.view, to.language), now)
        async with self.session.post(self._rebased(url), json=body) as response:
            if response.status == 429 or response.status >= 500 or response.content_type != "application/json":
                # Feishu says when to try again in its own header:
                # https://open.feishu.cn/document/server-docs/api-call-guide/frequency-control
                retry_after = response.headers.get("Retry-After") or response.headers.get("x-ogw-ratelimit-reset")
                raise RobotUnavailable(response.status, seconds_to_wait(retry_after, now))
            code, message = self.robot.refusal(await response.json())
        if code:
            raise RobotRefused(code, message)

    def _rebased(self, url: str) -> str:
        if self.base_url is None:
            return url
        base = urlsplit(self.base_url)
        return urlunsplit(urlsplit(url)._replace(scheme=base.scheme, netloc=base.netloc))

    def classify(self, error: Exception) -> Failure | None:
        match error:
            case RobotBusy(wait=wait):
                return Transient(describe(error), retry_after=wait)
            case RobotUnavailable(retry_after=retry_after):
                return Transient(describe(error), retry_after=retry_after)
            case RobotRefused(code=code):
                known = self.robot.codes.get(code, Permanent(Reason.REJECTED, "refused this message"))
                return dataclasses.replace(known, detail=f"{known.detail} ({error})")
            case NoWebhook():
                return Permanent(Reason.CHAT_NOT_FOUND, describe(error))
            case aiohttp.ClientError() | asyncio.TimeoutError():
                return Transient(describe(error))
        return None


def seconds_to_wait(retry_after: str | None, now: datetime) -> float | None:
    """A Retry-After as seconds or as an HTTP date (RFC 9110, 10.2.3: a proxy in front of a
    robot may send either); None for anything else, which the outbox's own backoff waits out."""
    if not retry_after:
        return None
    try:
        seconds = float(retry_after)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        until = parsedate_to_datetime(retry_after)
    except (TypeError, ValueError):
        return None
    if until.tzinfo is None:  # an HTTP date is GMT
        until = until.replace(tzinfo=UTC)
    return max(0.0, (until - now).total_seconds())


def errcode_refusal(answer: dict) -> tuple[int, str]:
    """WeCom's and DingTalk's way of answering: `errcode` and `errmsg`."""
    return int(answer.get("errcode", -1)), str(answer.get("errmsg", ""))


def utf8_bytes(text: str) -> int:
    return len(text.encode())


